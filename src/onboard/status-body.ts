// The message of a google.rpc.Status error body, in either encoding.
import { STATUS_TYPE } from '../otlp/schema.ts';

export function decodeStatus(body: Uint8Array, contentType: string): string {
  const text = new TextDecoder().decode(body);
  if (/json/.test(contentType)) {
    try {
      const j = JSON.parse(text) as { message?: unknown };
      if (typeof j.message === 'string') return j.message;
    } catch {
      // not JSON after all
    }
    return text.slice(0, 300);
  }
  if (/protobuf/.test(contentType)) {
    try {
      return String((STATUS_TYPE.decode(body) as unknown as { message?: string }).message ?? '');
    } catch {
      // fall through
    }
  }
  return text.slice(0, 300);
}
