// `*` globs (any run of characters, nothing else special) for table names,
// service names and attribute keys in policy files.

export function globRegex(globs: readonly string[], ignoreCase = false): RegExp {
  const alternatives = globs.map((g) => g.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*'));
  return new RegExp(`^(?:${alternatives.join('|')})$`, ignoreCase ? 'i' : '');
}

/** A key test: exact keys by set lookup, globs by one regex. */
export function keyMatcher(keys: readonly string[]): (key: string) => boolean {
  const exact = new Set(keys.filter((k) => !k.includes('*')));
  const globs = keys.filter((k) => k.includes('*'));
  const re = globs.length > 0 ? globRegex(globs) : undefined;
  if (exact.size === 0 && !re) return () => false;
  return (key) => exact.has(key) || (re !== undefined && re.test(key));
}
