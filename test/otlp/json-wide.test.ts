// OTLP/JSON integer literals of 16+ digits anywhere decode as if quoted first (json-int.ts), quick path or not.
import { describe, expect, it } from 'vitest';
import { OtlpError } from '../../src/errors.ts';
import { decodeRequest } from '../../src/otlp/codec.ts';
import { quoteWideIntegers } from '../../src/otlp/json-int.ts';
import type { Signal } from '../../src/otlp/types.ts';

const enc = (text: string) => new TextEncoder().encode(text);

/** The decoded message as plain JSON, or the error message. */
function outcome(signal: Signal, text: string): string {
  try {
    const m = decodeRequest(signal, enc(text), 'json') as unknown as { toJSON(): unknown };
    return JSON.stringify(m.toJSON());
  } catch (e) {
    expect(e).toBeInstanceOf(OtlpError);
    return `error: ${(e as Error).message}`;
  }
}

const logs = (record: string) => `{"resourceLogs":[{"scopeLogs":[{"logRecords":[${record}]}]}]}`;
const WIDE = '12345678901234567';

describe('OTLP/JSON wide integer literals', () => {
  it.each([
    ['an int64 field', `{"timeUnixNano":${WIDE}}`],
    ['a negative int64 field', `{"timeUnixNano":-${WIDE}}`],
    ['a string field', `{"severityText":${WIDE}}`],
    ['an attribute key', `{"attributes":[{"key":${WIDE},"value":{"intValue":"1"}}]}`],
    ['an AnyValue string', `{"body":{"stringValue":${WIDE}}}`],
    ['an array in a string field', `{"body":{"stringValue":[${WIDE}]}}`],
    ['an object in a string field', `{"body":{"stringValue":{"x":${WIDE}}}}`],
    ['a double field', `{"body":{"doubleValue":${WIDE}}}`],
    ['a boolean field', `{"body":{"boolValue":${WIDE}}}`],
    ['an id field', `{"traceId":${WIDE}}`],
    ['a message field', `{"body":${WIDE}}`],
    ['a repeated field', `{"attributes":${WIDE}}`],
    ['an unknown field', `{"nonsense":${WIDE},"severityText":"x"}`],
    ['a double exponent', `{"body":{"doubleValue":1e${WIDE}}}`],
    ['a quoted int64', `{"timeUnixNano":"${WIDE}"}`],
    ['a large double', `{"body":{"doubleValue":1.5e300}}`],
    ['a string only, beside small numbers', `{"severityText":"${WIDE}","timeUnixNano":5,"body":{"doubleValue":1.0}}`],
    ['a string, beside a shape error', `{"severityText":"${WIDE}","timeUnixNano":true}`],
  ])('in %s decodes as if it had been quoted first', (_what, record) => {
    const text = logs(record);
    const viaQuoting = outcome('logs', quoteWideIntegers(text));
    expect(outcome('logs', text)).toBe(viaQuoting);
  });

  it('at the top level, or in malformed JSON, reports what the quoting path reports', () => {
    for (const text of [WIDE, `[${WIDE}]`, `{"resourceLogs":[]}${WIDE}`, `{"resourceLogs":"a"${WIDE}}`]) {
      expect(outcome('logs', text)).toBe(outcome('logs', quoteWideIntegers(text)));
    }
  });

  it('keeps 16-digit text inside strings as sent', () => {
    const json = JSON.parse(outcome('logs', logs(`{"severityText":"${WIDE}0","timeUnixNano":5}`))) as {
      resourceLogs: { scopeLogs: { logRecords: { severityText: string; timeUnixNano: string }[] }[] }[];
    };
    expect(json.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]).toMatchObject({ severityText: `${WIDE}0`, timeUnixNano: '5' });
  });

  it('keeps the exact value of a bare int64 literal', () => {
    const json = JSON.parse(outcome('logs', logs(`{"timeUnixNano":9223372036854775807}`))) as {
      resourceLogs: { scopeLogs: { logRecords: { timeUnixNano: string }[] }[] }[];
    };
    expect(json.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!.timeUnixNano).toBe('9223372036854775807');
  });
});
