// Structural equality of parsed config values. Parsers hand back objects with
// a null prototype (smol-toml) or plain ones (jsonc-parser), so prototypes are
// not compared; dates compare by instant.
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Date || b instanceof Date) return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** The value at `path` in a parsed document, undefined when any step is missing. */
export function valueAt(doc: unknown, path: readonly string[]): unknown {
  let cur: unknown = doc;
  for (const k of path) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur) || !Object.prototype.hasOwnProperty.call(cur, k)) return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

/** A copy of `doc` without the values at `paths`, to check an edit changed nothing else. */
export function without(doc: unknown, paths: readonly (readonly string[])[]): unknown {
  const copy = structuredClone(doc, {}) as unknown;
  for (const p of paths) {
    let cur = copy as Record<string, unknown> | undefined;
    for (const k of p.slice(0, -1)) {
      const next = cur?.[k];
      cur = typeof next === 'object' && next !== null && !Array.isArray(next) ? (next as Record<string, unknown>) : undefined;
    }
    if (cur) delete cur[p[p.length - 1]!];
  }
  // A section left empty reads the same as none: both sides of a comparison get the same treatment.
  for (const p of paths) {
    for (let n = p.length - 1; n >= 1; n--) {
      const parent = valueAt(copy, p.slice(0, n));
      if (typeof parent !== 'object' || parent === null || Object.keys(parent).length > 0) break;
      const holder = n === 1 ? copy : valueAt(copy, p.slice(0, n - 1));
      if (typeof holder === 'object' && holder !== null) delete (holder as Record<string, unknown>)[p[n - 1]!];
    }
  }
  return copy;
}
