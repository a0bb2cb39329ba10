// The byte lengths OTLP fixes for trace and span ids, wherever the ids appear.

/**
 * W3C trace context: a trace id is 16 bytes, a span id 8. An empty id means
 * "none" (stored as NULL); any other length is malformed, and the Collector's
 * pdata refuses it too, so no id column ever holds a value of another length.
 * Keyed by the protobufjs field name, which is the same in spans, span links,
 * log records and exemplars.
 */
export const ID_BYTES: ReadonlyMap<string, number> = new Map([
  ['traceId', 16],
  ['spanId', 8],
  ['parentSpanId', 8],
]);

/** Why an id of this length cannot be stored, or null when it can. */
export function idLengthProblem(expected: number, length: number): string | null {
  if (length === 0 || length === expected) return null;
  return `must be ${expected} bytes or empty, got ${length} bytes`;
}
