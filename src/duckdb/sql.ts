// SQL text helpers shared by every module that builds DuckDB statements.

/** A single-quoted SQL string literal; doubling quotes is DuckDB's only escape. */
export function sqlString(s: string): string {
  if (s.includes('\0')) throw new Error('SQL string literal cannot contain a NUL character');
  return `'${s.replaceAll("'", "''")}'`;
}
