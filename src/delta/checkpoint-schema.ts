// The Parquet layout of a classic (V1) checkpoint and its file names: one
// nullable struct column per action type, one action per row.
import type { Field } from '../tables/schema.ts';

const STRING_MAP = { map: ['string', 'string'] } as const satisfies Field['type'];

// Readers match checkpoint columns by name, but Spark and delta-kernel look for
// these optional members (tags, deletionVector, row tracking ids); writing them
// as nulls costs a few bytes and spares readers that cannot handle a missing
// nested field.
const DELETION_VECTOR: Field['type'] = {
  struct: [
    { name: 'storageType', type: 'string' },
    { name: 'pathOrInlineDv', type: 'string' },
    { name: 'offset', type: 'integer' },
    { name: 'sizeInBytes', type: 'integer' },
    { name: 'cardinality', type: 'long' },
  ],
};

/** Columns in Spark's order: txn, add, remove, metaData, protocol. */
export const CHECKPOINT_COLUMNS: Field[] = [
  {
    name: 'txn',
    type: { struct: [{ name: 'appId', type: 'string' }, { name: 'version', type: 'long' }, { name: 'lastUpdated', type: 'long' }] },
  },
  {
    name: 'add',
    type: {
      struct: [
        { name: 'path', type: 'string' },
        { name: 'partitionValues', type: STRING_MAP },
        { name: 'size', type: 'long' },
        { name: 'modificationTime', type: 'long' },
        { name: 'dataChange', type: 'boolean' },
        { name: 'stats', type: 'string' },
        { name: 'tags', type: STRING_MAP },
        { name: 'deletionVector', type: DELETION_VECTOR },
        { name: 'baseRowId', type: 'long' },
        { name: 'defaultRowCommitVersion', type: 'long' },
      ],
    },
  },
  {
    name: 'remove',
    type: {
      struct: [
        { name: 'path', type: 'string' },
        { name: 'deletionTimestamp', type: 'long' },
        { name: 'dataChange', type: 'boolean' },
        { name: 'extendedFileMetadata', type: 'boolean' },
        { name: 'partitionValues', type: STRING_MAP },
        { name: 'size', type: 'long' },
      ],
    },
  },
  {
    name: 'metaData',
    type: {
      struct: [
        { name: 'id', type: 'string' },
        { name: 'name', type: 'string' },
        { name: 'description', type: 'string' },
        { name: 'format', type: { struct: [{ name: 'provider', type: 'string' }, { name: 'options', type: STRING_MAP }] } },
        { name: 'schemaString', type: 'string' },
        { name: 'partitionColumns', type: { array: 'string' } },
        { name: 'configuration', type: STRING_MAP },
        { name: 'createdTime', type: 'long' },
      ],
    },
  },
  {
    name: 'protocol',
    type: {
      struct: [
        { name: 'minReaderVersion', type: 'integer' },
        { name: 'minWriterVersion', type: 'integer' },
        { name: 'readerFeatures', type: { array: 'string' } },
        { name: 'writerFeatures', type: { array: 'string' } },
      ],
    },
  },
];

export const LAST_CHECKPOINT = '_last_checkpoint';

const CHECKPOINT_FILE = /^(\d{20})\.checkpoint\.parquet$/;

/** `<version zero-padded to 20>.checkpoint.parquet`, the classic single-file name. */
export function checkpointFileName(version: number): string {
  if (!Number.isSafeInteger(version) || version < 0) throw new Error(`invalid Delta version ${version}`);
  return `${String(version).padStart(20, '0')}.checkpoint.parquet`;
}

/** The version a classic checkpoint file name stands for, or undefined. */
export function checkpointVersionOf(name: string): number | undefined {
  const m = CHECKPOINT_FILE.exec(name);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}
