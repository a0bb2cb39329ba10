// Chooses what compaction rewrites: active files below the target size, in
// event-time order, packed into runs of about the target size each, so every
// output file covers one stretch of time and time-range queries skip the rest.
import type { AddAction } from '../delta/actions.ts';
import type { TableKind } from '../tables/schema.ts';
import { minTimeOf } from './time-order.ts';

export type PlanOptions = {
  targetBytes: number;
  /** A run of fewer files gains nothing from a rewrite; default 2. */
  minFilesPerGroup?: number;
  /** Stop planning once this many input bytes are planned (bounds one run's work). */
  maxInputBytes?: number;
};

export type CompactionGroup = { inputs: AddAction[]; bytes: number };

/** read_parquet expands glob characters in each path, so such files are left alone. */
const GLOB = /[*?[\]{}]/;

function compactable(add: AddAction, targetBytes: number): boolean {
  if (add.size >= targetBytes) return false;
  if (Object.keys(add.partitionValues).length > 0) return false;
  let decoded: string;
  try {
    decoded = decodeURIComponent(add.path);
  } catch {
    return false;
  }
  return !GLOB.test(decoded);
}

type Keyed = { add: AddAction; time: bigint | undefined };

function byTime(a: Keyed, b: Keyed): number {
  if (a.time !== b.time) {
    if (a.time === undefined) return 1;
    if (b.time === undefined) return -1;
    return a.time < b.time ? -1 : 1;
  }
  return a.add.modificationTime - b.add.modificationTime || (a.add.path < b.add.path ? -1 : a.add.path > b.add.path ? 1 : 0);
}

/** Files smaller than the target: the ones a compaction would consider. */
export function smallFiles(files: Iterable<AddAction>, targetBytes: number): AddAction[] {
  return [...files].filter((a) => compactable(a, targetBytes));
}

/** Groups of two or more small files, each at most about `targetBytes` of input. */
export function planCompaction(files: Iterable<AddAction>, kind: TableKind, opts: PlanOptions): CompactionGroup[] {
  const minFiles = Math.max(2, opts.minFilesPerGroup ?? 2);
  const budget = opts.maxInputBytes ?? Number.POSITIVE_INFINITY;
  const sorted = smallFiles(files, opts.targetBytes)
    .map((add): Keyed => ({ add, time: minTimeOf(kind, add) }))
    .sort(byTime);
  const groups: CompactionGroup[] = [];
  let planned = 0;
  let current: CompactionGroup = { inputs: [], bytes: 0 };
  const close = () => {
    if (current.inputs.length >= minFiles && planned < budget) {
      groups.push(current);
      planned += current.bytes;
    }
    current = { inputs: [], bytes: 0 };
  };
  for (const { add } of sorted) {
    if (current.inputs.length > 0 && current.bytes + add.size > opts.targetBytes) close();
    current.inputs.push(add);
    current.bytes += add.size;
  }
  close();
  return groups;
}
