// GRANT, REVOKE and SHOW GRANTS for the sql command and the statements
// endpoint. Only the warehouse's owner and members of the admins group run
// them; everyone else is refused before the statement is even parsed.
import { isAdmin, type GrantStore } from '../access/grant-store.ts';
import { GrantSyntaxError, isGrantStatement, parseGrantStatement } from '../access/grant-sql.ts';
import { ADMINS_GROUP, type Caller } from '../access/types.ts';
import type { QueryResult } from '../duckdb/db.ts';
import { QueryError } from './read-only.ts';

export { isGrantStatement };

const STRING = 'VARCHAR';
const SHOW_COLUMNS = ['principal', 'action_type', 'object_type', 'object_key'].map((name) => ({ name, type: STRING }));

/** Runs one grant statement for `caller`; the answer of GRANT and REVOKE is an empty result. */
export function runGrantStatement(store: GrantStore, statement: string, caller: Caller): QueryResult {
  if (!isAdmin(caller)) {
    throw new QueryError(`PERMISSION_DENIED: only the warehouse's owner and members of the ${ADMINS_GROUP} group may run GRANT, REVOKE and SHOW GRANTS`, 'forbidden');
  }
  let parsed;
  try {
    parsed = parseGrantStatement(statement);
  } catch (e) {
    if (e instanceof GrantSyntaxError) throw new QueryError(e.message, 'invalid', { cause: e });
    throw e;
  }
  if (parsed.kind === 'SHOW GRANTS') {
    const rows = store.show(parsed.on, parsed.principal).map((g) => [g.principal, g.privilege, g.objectType, g.objectKey]);
    return { columns: SHOW_COLUMNS, rows, truncated: false };
  }
  store.apply(parsed);
  return { columns: [], rows: [], truncated: false };
}
