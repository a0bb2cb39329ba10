// The flattened row: plain values typed the way the Parquet columns are, so
// LONG is always bigint and DOUBLE/INT are numbers; maps keep insertion order.

export type MapValue = Map<string, string | null>;
export type Value = null | string | number | bigint | boolean | MapValue | Value[] | Row;
export type Row = { [column: string]: Value };

/** What flattening one export request produced. */
export type FlattenResult = {
  rows: Row[];
  /** Records (data points, log records, spans) that could not be stored. */
  rejected: number;
  /** A person-readable reason per kind of rejection, for partial_success.error_message. */
  rejectReasons: string[];
};
