// Stores list keys in the byte order of their UTF-8 names; JavaScript's string
// comparison orders UTF-16 code units, which differs for characters outside
// the Basic Multilingual Plane.

/** Compares two keys the way object stores order them. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
