// Trace, span and link ids: raw id bytes become the lowercase hex strings the id columns hold.

/** Two hex digits per byte value, so encoding is one table read per byte. */
const BYTE_HEX: readonly string[] = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/** Lowercase hex of an id; an empty or missing id is NULL (no id was sent). */
export function hexId(bytes: Uint8Array | null | undefined): string | null {
  if (!bytes || bytes.length === 0) return null;
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += BYTE_HEX[bytes[i] as number] as string;
  return out;
}
