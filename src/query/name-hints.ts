// Turns DuckDB's answers about names it cannot find into ours: tables here are
// catalog.schema.table, so a one- or two-part name gets the three-part names
// it most likely meant, and a message never quotes the SQL the engine
// generated from the user's statement (it names internal views) unless asked.

/** Edit distance, bounded: names are short, and anything past `max` is "far". */
function distance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const v = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      cur.push(v);
      best = Math.min(best, v);
    }
    if (best > max) return max + 1;
    prev = cur;
  }
  return prev[b.length] as number;
}

/** How many suggestions a message lists. */
const SUGGESTIONS_MAX = 3;

/**
 * The known names closest to `wanted`, best first. A shorter name is matched
 * against the same number of trailing parts of each known name, so `tel.logs`
 * finds `main.tel.logs` and `claude_otel_log` finds `main.tel.claude_otel_logs`.
 */
export function nearestNames(wanted: string, known: readonly string[]): string[] {
  const w = wanted.toLowerCase();
  const parts = w.split('.').length;
  const max = Math.max(2, Math.floor(w.length / 4));
  const scored: { name: string; d: number }[] = [];
  for (const name of known) {
    const tail = name.toLowerCase().split('.').slice(-parts).join('.');
    const d = distance(w, tail, max);
    if (d <= max) scored.push({ name, d });
  }
  scored.sort((a, b) => a.d - b.d || a.name.localeCompare(b.name));
  return scored.slice(0, SUGGESTIONS_MAX).map((s) => s.name);
}

/** Tables named in full when nothing is near the name asked for. */
const LISTED_MAX = 10;

/** What a failed name lookup is answered with; `views` are the view names each schema offers. */
export function missingNameMessage(wanted: string, known: readonly string[], views: ReadonlySet<string> = new Set()): string {
  const near = nearestNames(wanted, known);
  const parts = wanted.split('.').length;
  const shape =
    parts < 3 ? `${wanted} is not a table here: tables and views are named catalog.schema.table (e.g. main.agent_telemetry.claude_otel_logs)` : `there is no table or view ${wanted} in the warehouse`;
  if (near.length > 0) return `${shape}; did you mean ${near.join(', ')}?`;
  const tables = known.filter((n) => !views.has(n.slice(n.lastIndexOf('.') + 1)));
  if (tables.length === 0) return `${shape}; the warehouse has no tables yet (create them with otlp2delta create-table)`;
  if (tables.length <= LISTED_MAX) return `${shape}; the warehouse holds ${tables.join(', ')}`;
  return `${shape}; '.tables' at the otlp2delta sql prompt lists the ${tables.length} tables`;
}

// DuckDB's catalog errors for a relation it cannot find, with the name as written.
const MISSING_TABLE = /^Catalog Error: Table with name "?([^"\s]+?)"? does not exist/;

/** The relation a DuckDB error says does not exist, if that is what it says. */
export function missingRelation(message: string): string | undefined {
  return MISSING_TABLE.exec(message)?.[1];
}

/**
 * DuckDB's message without the excerpt it quotes of the statement it ran
 * ("LINE 1: ..." and a caret), which is the generated SQL, not the user's.
 */
export function withoutStatementExcerpt(message: string): string {
  const at = message.search(/\n\s*LINE \d+:/);
  return (at < 0 ? message : message.slice(0, at)).trimEnd();
}
