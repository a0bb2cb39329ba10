// The Delta log actions this service writes and reads, and their encoding as
// one commit file: one single-key JSON object per line.
import { stringifyJson, type JsonObject, type JsonValue } from './json.ts';

export type ProtocolAction = {
  minReaderVersion: number;
  minWriterVersion: number;
  readerFeatures?: string[];
  writerFeatures?: string[];
};

export type MetaDataAction = {
  id: string;
  name?: string;
  description?: string;
  format: { provider: string; options: Record<string, string> };
  /** The Spark JSON schema, itself serialised as a string. */
  schemaString: string;
  partitionColumns: string[];
  configuration: Record<string, string>;
  createdTime?: number;
};

export type AddAction = {
  /** Relative to the table root and percent-encoded. */
  path: string;
  partitionValues: Record<string, string | null>;
  size: number;
  modificationTime: number;
  dataChange: boolean;
  /** The file statistics JSON, serialised as a string. */
  stats?: string;
  tags?: Record<string, string>;
};

export type RemoveAction = {
  path: string;
  dataChange: boolean;
  deletionTimestamp?: number;
  extendedFileMetadata?: boolean;
  partitionValues?: Record<string, string | null>;
  size?: number;
};

export type TxnAction = {
  appId: string;
  /** An int64; a bigint once it outgrows a double. */
  version: bigint | number;
  lastUpdated?: number;
};

/** Free-form by the protocol; these members are the ones history views show. */
export type CommitInfoAction = JsonObject & {
  timestamp?: number;
  operation?: string;
};

export type Action =
  | { protocol: ProtocolAction }
  | { metaData: MetaDataAction }
  | { add: AddAction }
  | { remove: RemoveAction }
  | { txn: TxnAction }
  | { commitInfo: CommitInfoAction };

/** The text of one commit file; throws on an action that is not a single-key object. */
export function encodeActions(actions: readonly Action[]): string {
  let out = '';
  for (const action of actions) {
    const keys = Object.keys(action);
    if (keys.length !== 1) throw new Error(`a Delta action has exactly one key, got [${keys.join(', ')}]`);
    out += `${stringifyJson(action as unknown as JsonValue)}\n`;
  }
  return out;
}
