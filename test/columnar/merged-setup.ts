// What the tests of merged message fields share: the reference's own verdict
// on a body, to show that a body with split fields means what the unsplit one
// does (the harnesses are differential.ts's).
import { expect } from 'vitest';
import { decodeRequest } from '../../src/otlp/codec.ts';
import type { Signal } from '../../src/otlp/types.ts';
import { renderLogs } from '../../src/tables/render/logs.ts';
import { renderMetrics } from '../../src/tables/render/metrics.ts';
import { renderSpans } from '../../src/tables/render/spans.ts';

const RENDER = { logs: renderLogs, metrics: renderMetrics, traces: renderSpans } as const;

/** The reference's NDJSON and rejections for one protobuf body. */
export function referenceOf(signal: Signal, body: Uint8Array): { ndjson: string; rejected: number; reasons: string[] } {
  const res = RENDER[signal](decodeRequest(signal, body, 'protobuf') as never);
  return { ndjson: res.ndjson?.toString() ?? '', rejected: res.rejected, reasons: res.rejectReasons };
}

/** The reference reads `split` as it reads `whole`: the split is a faithful merge. */
export function expectSameMeaning(signal: Signal, split: Uint8Array, whole: Uint8Array): void {
  expect(referenceOf(signal, split)).toEqual(referenceOf(signal, whole));
}

export const kv = (key: string, value: object) => ({ key, value });
export const str = (s: string) => ({ stringValue: s });
export const int = (n: number) => ({ intValue: n });
