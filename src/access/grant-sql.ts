// Unity Catalog's grant statements, in the subset the warehouse serves:
//   GRANT <privilege>[, ...] ON CATALOG|SCHEMA|TABLE <name> TO <principal>
//   REVOKE <privilege>[, ...] ON CATALOG|SCHEMA|TABLE <name> FROM <principal>
//   SHOW GRANT[S] [<principal>] ON CATALOG|SCHEMA|TABLE <name>
// Names of securables are given in full (catalog, catalog.schema,
// catalog.schema.table) because the warehouse has no current catalog or
// schema. A principal with characters other than letters, digits and
// underscores must be backquoted, as in Databricks. The parser has its own
// small lexer: these statements never reach DuckDB.
import type { Privilege } from './types.ts';

export type SecurableType = 'CATALOG' | 'SCHEMA' | 'TABLE';
export type Securable = { type: SecurableType; /** lower-case parts: [c], [c, s] or [c, s, t] */ parts: string[] };

export type GrantStatement =
  | { kind: 'GRANT' | 'REVOKE'; privileges: Privilege[]; on: Securable; principal: string }
  | { kind: 'SHOW GRANTS'; principal?: string; on: Securable };

export class GrantSyntaxError extends Error {}

export const PRIVILEGES: readonly Privilege[] = ['USE CATALOG', 'USE SCHEMA', 'MODIFY', 'SELECT', 'ALL PRIVILEGES'];

/** Which privileges each kind of securable takes (Databricks refuses the others the same way). */
const APPLIES: Record<SecurableType, readonly Privilege[]> = {
  CATALOG: PRIVILEGES,
  SCHEMA: ['USE SCHEMA', 'MODIFY', 'SELECT', 'ALL PRIVILEGES'],
  TABLE: ['MODIFY', 'SELECT', 'ALL PRIVILEGES'],
};

const PARTS: Record<SecurableType, number> = { CATALOG: 1, SCHEMA: 2, TABLE: 3 };
const NAME_EXAMPLE: Record<SecurableType, string> = { CATALOG: 'main', SCHEMA: 'main.agent_telemetry', TABLE: 'main.agent_telemetry.claude_otel_logs' };
const IDENT = /^[A-Za-z0-9_]{1,255}$/;

type Tok = { kind: 'word' | 'quoted' | 'dot' | 'comma'; text: string; at: number };

function lex(sql: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i] as string;
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === '-' && sql[i + 1] === '-') {
      while (i < sql.length && sql[i] !== '\n') i++;
    } else if (ch === '`') {
      const at = i;
      let text = '';
      i++;
      for (;;) {
        if (i >= sql.length) throw new GrantSyntaxError(`the backquoted name opened at character ${at + 1} is not closed`);
        if (sql[i] === '`') {
          if (sql[i + 1] === '`') {
            text += '`';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        text += sql[i];
        i++;
      }
      if (text === '') throw new GrantSyntaxError(`the backquoted name at character ${at + 1} is empty`);
      out.push({ kind: 'quoted', text, at });
    } else if (ch === '.' || ch === ',') {
      out.push({ kind: ch === '.' ? 'dot' : 'comma', text: ch, at: i });
      i++;
    } else if (ch === ';' && sql.slice(i + 1).trim() === '') {
      break;
    } else {
      const at = i;
      while (i < sql.length && /[A-Za-z0-9_]/.test(sql[i] as string)) i++;
      if (i === at) throw new GrantSyntaxError(`unexpected ${JSON.stringify(ch)} at character ${at + 1}; names with characters other than letters, digits and _ go in backquotes, e.g. \`alice@example.com\``);
      out.push({ kind: 'word', text: sql.slice(at, i), at });
    }
  }
  return out;
}

const describe = (t: Tok | undefined): string => (t === undefined ? 'the end of the statement' : `${t.kind === 'quoted' ? `\`${t.text}\`` : JSON.stringify(t.text)} at character ${t.at + 1}`);

class Cursor {
  private i = 0;
  constructor(
    private readonly toks: Tok[],
    private readonly what: string,
  ) {}
  peek(): Tok | undefined {
    return this.toks[this.i];
  }
  next(): Tok | undefined {
    return this.toks[this.i++];
  }
  isWord(word: string, ahead = 0): boolean {
    const t = this.toks[this.i + ahead];
    return t?.kind === 'word' && t.text.toUpperCase() === word;
  }
  fail(expected: string): never {
    throw new GrantSyntaxError(`${this.what}: expected ${expected}, found ${describe(this.peek())}`);
  }
  expectWord(word: string, expected = word): void {
    if (!this.isWord(word)) this.fail(expected);
    this.i++;
  }
  end(): void {
    if (this.peek() !== undefined) this.fail('the end of the statement');
  }
}

/** The statement's first words, upper-cased: enough to tell a grant statement from a query. */
function leadingWords(sql: string, n: number): string[] {
  return [...sql.matchAll(/[A-Za-z_]+/g)].slice(0, n).map((m) => m[0].toUpperCase());
}

/**
 * Whether the statement is one of the grant statements (and so must be
 * parsed here, never run by DuckDB). Comments before the first word are not
 * looked through: such a statement falls to the read-only check, which refuses it.
 */
export function isGrantStatement(sql: string): boolean {
  const t = sql.trimStart();
  const [first, second] = leadingWords(t, 2);
  if (!/^[A-Za-z]/.test(t)) return false;
  return first === 'GRANT' || first === 'REVOKE' || (first === 'SHOW' && (second === 'GRANTS' || second === 'GRANT'));
}

function privileges(c: Cursor): Privilege[] {
  const out: Privilege[] = [];
  for (;;) {
    const t = c.peek();
    if (t?.kind !== 'word') c.fail(`a privilege (${PRIVILEGES.join(', ')})`);
    const first = t.text.toUpperCase();
    let p: Privilege | undefined;
    if (first === 'SELECT' || first === 'MODIFY') {
      c.next();
      p = first;
    } else if (first === 'USE' || first === 'ALL') {
      c.next();
      const second = first === 'USE' ? ['CATALOG', 'SCHEMA'] : ['PRIVILEGES'];
      const w = c.peek();
      if (w?.kind !== 'word' || !second.includes(w.text.toUpperCase())) c.fail(second.map((s) => `${first} ${s}`).join(' or '));
      c.next();
      p = `${first} ${w.text.toUpperCase()}` as Privilege;
    } else {
      throw new GrantSyntaxError(`unsupported privilege ${describe(t)}; the privileges are ${PRIVILEGES.join(', ')}`);
    }
    if (!out.includes(p)) out.push(p);
    if (c.peek()?.kind !== 'comma') break;
    c.next();
  }
  if (out.includes('ALL PRIVILEGES') && out.length > 1) throw new GrantSyntaxError('ALL PRIVILEGES stands alone; it is not listed with other privileges');
  return out;
}

function securable(c: Cursor): Securable {
  const t = c.peek();
  const type = t?.kind === 'word' ? t.text.toUpperCase() : '';
  if (type !== 'CATALOG' && type !== 'SCHEMA' && type !== 'TABLE') c.fail('CATALOG, SCHEMA or TABLE');
  c.next();
  const parts: string[] = [];
  for (;;) {
    const n = c.peek();
    if (n?.kind !== 'word' && n?.kind !== 'quoted') c.fail(`the ${type.toLowerCase()}'s name, e.g. ${NAME_EXAMPLE[type]}`);
    if (!IDENT.test(n.text)) throw new GrantSyntaxError(`${describe(n)} is not a valid name part: catalogs, schemas and tables are named with letters, digits and _`);
    parts.push(n.text.toLowerCase());
    c.next();
    if (c.peek()?.kind !== 'dot') break;
    c.next();
  }
  if (parts.length !== PARTS[type]) {
    throw new GrantSyntaxError(`a ${type.toLowerCase()} is named in full here with ${PARTS[type]} part${PARTS[type] > 1 ? 's' : ''} (e.g. ${NAME_EXAMPLE[type]}), got ${parts.join('.')}`);
  }
  return { type, parts };
}

function principal(c: Cursor): string {
  const t = c.peek();
  if (t?.kind === 'quoted') {
    c.next();
    return t.text;
  }
  if (t?.kind === 'word') {
    c.next();
    if (c.peek()?.kind === 'dot') throw new GrantSyntaxError(`the principal ${t.text}.… holds a '.', so it must be backquoted, e.g. \`first.last@example.com\``);
    return t.text;
  }
  return c.fail('a principal or group (backquoted when it holds characters such as @ or ., e.g. `alice@example.com`)');
}

/** Parses one grant statement (`isGrantStatement` is true for it); a GrantSyntaxError says what was expected where. */
export function parseGrantStatement(sql: string): GrantStatement {
  const toks = lex(sql);
  const head = toks[0]?.text.toUpperCase();
  if (head === 'SHOW') {
    const c = new Cursor(toks, 'SHOW GRANTS');
    c.next();
    if (!c.isWord('GRANTS') && !c.isWord('GRANT')) c.fail('GRANTS');
    c.next();
    let who: string | undefined;
    if (!c.isWord('ON') || c.peek()?.kind === 'quoted') who = principal(c);
    c.expectWord('ON', 'ON followed by CATALOG, SCHEMA or TABLE');
    const on = securable(c);
    c.end();
    return who === undefined ? { kind: 'SHOW GRANTS', on } : { kind: 'SHOW GRANTS', principal: who, on };
  }
  if (head !== 'GRANT' && head !== 'REVOKE') throw new GrantSyntaxError(`expected GRANT, REVOKE or SHOW GRANTS, found ${describe(toks[0])}`);
  const c = new Cursor(toks, head);
  c.next();
  const privs = privileges(c);
  c.expectWord('ON', 'ON after the privileges');
  const on = securable(c);
  const bad = privs.find((p) => !APPLIES[on.type].includes(p));
  if (bad) throw new GrantSyntaxError(`${bad} cannot be granted on a ${on.type}; a ${on.type} takes ${APPLIES[on.type].join(', ')}`);
  const to = head === 'GRANT' ? 'TO' : 'FROM';
  c.expectWord(to, `${to} followed by a principal or group`);
  const who = principal(c);
  c.end();
  return { kind: head, privileges: privs, on, principal: who };
}
