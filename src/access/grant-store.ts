// The warehouse's grants, kept in <warehouse>/.otlp2delta/control/grants.json
// (folder 0700, file 0600: only the warehouse's owner reads who may do what),
// and the decisions they give.
//
// The rule, as in Unity Catalog:
// - the warehouse's owner (OWNER, the command line) may do everything;
// - a grant to a principal or to a group it belongs to counts for it;
// - a privilege granted on a catalog or schema holds on every table in it,
//   existing and future; ALL PRIVILEGES stands for every privilege;
// - an export needs USE CATALOG on the catalog, USE SCHEMA on the schema
//   (granted there or on the catalog) and MODIFY on the table (or above);
//   a read needs USE CATALOG, USE SCHEMA and SELECT in the same way;
// - a caller holding no privilege on the table at all (SELECT, MODIFY or ALL
//   PRIVILEGES, on it or inherited; USE CATALOG and USE SCHEMA are not
//   privileges on a table) gets `hidden`: it is answered as if the table did
//   not exist. One holding some privilege there but not all the call needs
//   gets `denied`, and may be told which one it lacks.
//
// Writes are whole-file: a temporary file, fsync, rename, fsync of the
// folder, so a crash leaves the old or the new grants, never a mix. A running
// server notices a change made by another process (the sql command) by
// polling the file's identity every GRANTS_POLL_MS.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeSync, chmodSync, unlinkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { GRANTS_POLL_MS } from '../config/limits.ts';
import { formatTableName, type TableName } from '../tables/names.ts';
import type { GrantStatement, Securable, SecurableType } from './grant-sql.ts';
import { ADMINS_GROUP, OWNER, type Authorizer, type Caller, type Decision, type Principal, type Privilege } from './types.ts';
import { controlDir } from './token-file.ts';

export const GRANTS_FILE = 'grants.json';

export type Grant = { principal: string; privilege: Privilege; objectType: SecurableType; objectKey: string };

/** A privilege a caller lacks, named as Databricks names it in PERMISSION_DENIED. */
export type Missing = { privilege: Privilege; objectType: 'Catalog' | 'Schema' | 'Table'; objectKey: string };

export class GrantFileError extends Error {}

const FILE_VERSION = 1;
const TYPES: readonly SecurableType[] = ['CATALOG', 'SCHEMA', 'TABLE'];
const PRIVS: readonly Privilege[] = ['USE CATALOG', 'USE SCHEMA', 'MODIFY', 'SELECT', 'ALL PRIVILEGES'];

export const securableKey = (s: Securable): string => s.parts.join('.');

export const isAdmin = (caller: Caller): boolean => caller === OWNER || caller.groups.includes(ADMINS_GROUP);

function parseFile(text: string, file: string): Grant[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new GrantFileError(`${file} is not valid JSON (${(e as Error).message}); fix or remove it (removing it revokes every grant)`);
  }
  const grants = (doc as { grants?: unknown } | null)?.grants;
  if (!Array.isArray(grants)) throw new GrantFileError(`${file} has no "grants" array`);
  return grants.map((g: unknown, i) => {
    const r = g as Record<string, unknown>;
    if (
      typeof r?.principal !== 'string' ||
      !PRIVS.includes(r.privilege as Privilege) ||
      !TYPES.includes(r.objectType as SecurableType) ||
      typeof r.objectKey !== 'string'
    ) {
      throw new GrantFileError(`${file}: grant ${i} is not {principal, privilege, objectType, objectKey} with a known privilege and object type`);
    }
    return { principal: r.principal, privilege: r.privilege as Privilege, objectType: r.objectType as SecurableType, objectKey: r.objectKey };
  });
}

/** What identifies one version of the file: a rename gives a new inode, an edit in place a new mtime or size. */
function identity(file: string): string {
  try {
    const s = statSync(file, { bigint: true });
    return `${s.ino}:${s.mtimeNs}:${s.size}`;
  } catch {
    return 'absent';
  }
}

export class GrantStore implements Authorizer {
  private grants: Grant[] = [];
  private seen = 'absent';
  private timer: NodeJS.Timeout | undefined;
  readonly dir: string;
  readonly file: string;

  private constructor(
    warehouse: string,
    private readonly log: (line: string) => void,
  ) {
    this.dir = controlDir(warehouse);
    this.file = path.join(this.dir, GRANTS_FILE);
  }

  /**
   * Reads the grants (none when the file does not exist). With `watch`, the
   * store re-reads the file when it changes, so a running server applies a
   * grant or revoke made elsewhere within GRANTS_POLL_MS.
   */
  static open(warehouse: string, opts: { log?: (line: string) => void; watch?: boolean; pollMs?: number } = {}): GrantStore {
    const store = new GrantStore(warehouse, opts.log ?? (() => undefined));
    store.load();
    if (opts.watch) {
      store.timer = setInterval(() => store.reloadIfChanged(), opts.pollMs ?? GRANTS_POLL_MS);
      store.timer.unref();
    }
    return store;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Every grant, as stored. */
  list(): readonly Grant[] {
    return this.grants;
  }

  private load(): void {
    const id = identity(this.file);
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      this.grants = [];
      this.seen = 'absent';
      return;
    }
    this.grants = parseFile(text, this.file);
    this.seen = id;
  }

  /** Re-reads the file if it changed; a damaged file keeps the grants last read (and says so). */
  reloadIfChanged(): void {
    if (identity(this.file) === this.seen) return;
    try {
      this.load();
      this.log(`grants: reloaded ${this.file} (${this.grants.length} grants)`);
    } catch (e) {
      this.seen = identity(this.file);
      this.log(`grants: keeping the grants last read: ${(e as Error).message}`);
    }
  }

  /**
   * Applies a GRANT or REVOKE and writes the file. The file is read again
   * first, so a change another process made since this store last read it is
   * kept; one landing while the new file is written (between the read and the
   * rename, a few microseconds) could still be lost, as with two admins
   * editing at the same instant, and SHOW GRANTS shows what stands.
   */
  apply(stmt: Extract<GrantStatement, { kind: 'GRANT' | 'REVOKE' }>): void {
    this.load();
    const objectType = stmt.on.type;
    const objectKey = securableKey(stmt.on);
    const same = (g: Grant, p: Privilege) => g.principal === stmt.principal && g.objectType === objectType && g.objectKey === objectKey && g.privilege === p;
    let next = [...this.grants];
    for (const privilege of stmt.privileges) {
      if (stmt.kind === 'GRANT') {
        if (!next.some((g) => same(g, privilege))) next.push({ principal: stmt.principal, privilege, objectType, objectKey });
      } else if (privilege === 'ALL PRIVILEGES') {
        // As in Unity Catalog, REVOKE ALL PRIVILEGES takes away every privilege the principal holds on the object.
        next = next.filter((g) => !(g.principal === stmt.principal && g.objectType === objectType && g.objectKey === objectKey));
      } else {
        next = next.filter((g) => !same(g, privilege));
      }
    }
    this.write(next);
    this.grants = next;
    this.log(`grants: ${stmt.kind} ${stmt.privileges.join(', ')} ON ${objectType} ${objectKey} ${stmt.kind === 'GRANT' ? 'TO' : 'FROM'} ${stmt.principal}`);
  }

  private write(grants: Grant[]): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    chmodSync(this.dir, 0o700);
    const tmp = path.join(this.dir, `.${GRANTS_FILE}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    const body = `${JSON.stringify({ version: FILE_VERSION, grants }, null, 2)}\n`;
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      writeSync(fd, body);
      fsyncSync(fd);
    } catch (e) {
      closeSync(fd);
      unlinkSync(tmp);
      throw e;
    }
    closeSync(fd);
    renameSync(tmp, this.file);
    const dfd = openSync(this.dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
    this.seen = identity(this.file);
  }

  /** SHOW GRANTS: the grants on the object itself, for one principal or all, in a stable order. */
  show(on: Securable, principal?: string): Grant[] {
    const key = securableKey(on);
    return this.grants
      .filter((g) => g.objectType === on.type && g.objectKey === key && (principal === undefined || g.principal === principal))
      .sort((a, b) => a.principal.localeCompare(b.principal) || PRIVS.indexOf(a.privilege) - PRIVS.indexOf(b.privilege));
  }

  /** The privileges the caller holds directly on one object, itself or through its groups. */
  private held(who: Principal, type: SecurableType, key: string): Set<Privilege> {
    const names = new Set([who.name, ...who.groups]);
    return new Set(this.grants.filter((g) => g.objectType === type && g.objectKey === key && names.has(g.principal)).map((g) => g.privilege));
  }

  /** The privileges in force at each level for a table (each level inheriting from the one above). */
  private levels(who: Principal, t: TableName) {
    const catalog = this.held(who, 'CATALOG', t.catalog);
    const schema = this.held(who, 'SCHEMA', `${t.catalog}.${t.schema}`);
    const table = this.held(who, 'TABLE', formatTableName(t));
    const has = (p: Privilege, ...sets: Set<Privilege>[]) => sets.some((s) => s.has(p) || s.has('ALL PRIVILEGES'));
    return {
      useCatalog: has('USE CATALOG', catalog),
      useSchema: has('USE SCHEMA', catalog, schema),
      onTable: (p: 'SELECT' | 'MODIFY') => has(p, catalog, schema, table),
    };
  }

  /** Whether the caller may name objects in catalog.schema (USE CATALOG and USE SCHEMA): the schema's views. */
  usesSchema(caller: Caller, catalog: string, schema: string): boolean {
    if (caller === OWNER) return true;
    const l = this.levels(caller, { catalog, schema, table: '' });
    return l.useCatalog && l.useSchema;
  }

  /** The first privilege the call lacks, or undefined when it is allowed. */
  missing(caller: Caller, privilege: 'MODIFY' | 'SELECT', t: TableName): Missing | undefined {
    if (caller === OWNER) return undefined;
    const l = this.levels(caller, t);
    if (!l.useCatalog) return { privilege: 'USE CATALOG', objectType: 'Catalog', objectKey: t.catalog };
    if (!l.useSchema) return { privilege: 'USE SCHEMA', objectType: 'Schema', objectKey: `${t.catalog}.${t.schema}` };
    if (!l.onTable(privilege)) return { privilege, objectType: 'Table', objectKey: formatTableName(t) };
    return undefined;
  }

  decide(caller: Caller, privilege: 'MODIFY' | 'SELECT', t: TableName): Decision {
    if (caller === OWNER) return 'allowed';
    const l = this.levels(caller, t);
    if (!l.onTable('SELECT') && !l.onTable('MODIFY')) return 'hidden';
    return this.missing(caller, privilege, t) === undefined ? 'allowed' : 'denied';
  }
}

/** Databricks' message for a missing privilege. */
export const permissionDeniedMessage = (m: Missing): string => `PERMISSION_DENIED: User does not have ${m.privilege} on ${m.objectType} '${m.objectKey}'.`;
