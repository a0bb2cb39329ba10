// OTLP enum numbers and the proto enum names the enum columns store.

/** Names indexed by enum number; enums here are dense from 0. */
export type EnumTable = readonly string[];

const LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'] as const;

export const SEVERITY_NUMBER: EnumTable = [
  'SEVERITY_NUMBER_UNSPECIFIED',
  // Each level has four steps named LEVEL, LEVEL2, LEVEL3, LEVEL4, numbered 1..24 in order.
  ...LEVELS.flatMap((level) => ['', '2', '3', '4'].map((step) => `SEVERITY_NUMBER_${level}${step}`)),
];

export const AGGREGATION_TEMPORALITY: EnumTable = [
  'AGGREGATION_TEMPORALITY_UNSPECIFIED',
  'AGGREGATION_TEMPORALITY_DELTA',
  'AGGREGATION_TEMPORALITY_CUMULATIVE',
];

export const SPAN_KIND: EnumTable = [
  'SPAN_KIND_UNSPECIFIED',
  'SPAN_KIND_INTERNAL',
  'SPAN_KIND_SERVER',
  'SPAN_KIND_CLIENT',
  'SPAN_KIND_PRODUCER',
  'SPAN_KIND_CONSUMER',
];

export const STATUS_CODE: EnumTable = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];

/**
 * The proto name of an enum number. A missing number is the proto3 default 0;
 * a number the table has no name for (newer senders, or junk) keeps its value
 * as a decimal string rather than being dropped or rejected.
 */
export function enumName(table: EnumTable, n: number | null | undefined): string {
  const value = n ?? 0;
  return (Number.isInteger(value) && value >= 0 ? table[value] : undefined) ?? String(value);
}
