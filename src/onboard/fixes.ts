// What to do about each answer a check export can get: the server's message
// and one line saying how to fix it.
export type CheckAnswer = { ok: true } | { ok: false; status: string; message: string; fix: string };

export type FixContext = { table: string; prefix: string; endpoint: string };

/** The fix for an HTTP status (gRPC codes are mapped to their HTTP pair first). */
export function fixFor(status: number, message: string, c: FixContext): string {
  // The audit keeps the operator's note of a grant refusal, which names the principal.
  const lacks = /^(.+?) lacks (\w+) on (\S+)/.exec(message);
  if ((status === 403 || status === 404) && lacks) {
    const who = /^[A-Za-z_]\w*$/.test(lacks[1]!) ? lacks[1]! : `\`${lacks[1]}\``;
    return `an admin runs: otlp2delta sql "GRANT ${lacks[2]} ON TABLE ${lacks[3]} TO ${who}" (and USE CATALOG, USE SCHEMA on its catalog and schema if it lacks them)`;
  }
  if (status === 401) return 'the server needs a token: run configure again with --token T (an admin creates one with: otlp2delta token create --principal NAME)';
  if (status === 403 && /PERMISSION_DENIED/.test(message)) {
    const m = /does not have (.+?) on (\w+) '([^']+)'/.exec(message);
    return m ? `an admin grants it: otlp2delta sql "GRANT ${m[1]} ON ${m[2]!.toUpperCase()} ${m[3]} TO <principal of the token>"` : 'an admin grants the token MODIFY on the table (see otlp2delta sql "SHOW GRANTS ...")';
  }
  if (status === 403) return 'the token is unknown, mistyped, expired or revoked: get a new one (otlp2delta token create) and run configure again with --token';
  if (status === 404 && /table/i.test(message)) return `create the tables: otlp2delta create-table --prefix ${c.prefix} --if-not-exists (an admin runs it where the server's warehouse is; if they exist, the token also needs a grant on them)`;
  if (status === 404 || status === 415) return `the endpoint does not serve OTLP there: check --endpoint (${c.endpoint}) and --protocol`;
  if (status === 400) return `the table ${c.table} is refused: ${message}`;
  if (status === 429 || status === 503) return 'the server is busy or stopping; the agent retries these, run configure again later to check';
  return 'see the server log for this request';
}

/** gRPC status codes as the HTTP statuses the server pairs them with. */
export const GRPC_TO_HTTP: Record<number, number> = { 3: 400, 5: 404, 7: 403, 8: 429, 14: 503, 16: 401, 12: 404, 13: 500, 4: 504 };
