// Runs read-only SQL over the warehouse. Each three-part name in a statement
// becomes a temporary view, on a connection of the statement's own, over the
// table's current Delta snapshot or over one of the normalised views of
// sql/views/, and the statement runs unchanged apart from those names.
import type { AuditSink } from '../access/types.ts';
import { randomUUID } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import {
  SQL_CONCURRENT_MAX,
  SQL_DUCKDB_CACHE,
  SQL_MEMORY_LIMIT,
  SQL_QUEUE_MAX,
  SQL_RESULT_BYTES_MAX,
  SQL_RESULT_ROWS_MAX,
  SQL_TIMEOUT_MS,
  SQL_INTERRUPT_REPEAT_MS,
} from '../config/limits.ts';
import { GrantStore, permissionDeniedMessage } from '../access/grant-store.ts';
import { OWNER, type Caller } from '../access/types.ts';
import { openDuckDb, withConnection, type Connection, type Db, type QueryResult, type ResultLimits } from '../duckdb/db.ts';
import { quoteIdent } from '../tables/schema.ts';
import { isGrantStatement, runGrantStatement } from './grant-statements.ts';
import { assertReadKeyword, assertReadOnly, QueryError, singleStatement } from './read-only.ts';
import { Slots } from './slots.ts';
import { isRemoteLocation } from '../storage/location.ts';
import { readCacheDir } from '../storage/read-cache.ts';
import { ViewCache } from './view-cache.ts';
import { findThreePartNames, replaceRanges } from './sql-text.ts';
import { assertNoFileAccess } from './file-access.ts';
import { explainMissingFile } from './missing-file.ts';
import { costSourceSql, isCostSource, joinsDirectory, withDirectory } from '../cost/view-sources.ts';
import { creationOrder, loadViews, renderView, SOURCE_PLACEHOLDERS, type ViewDef } from './views.ts';
import { missingNameMessage, missingRelation, withoutStatementExcerpt } from './name-hints.ts';
import { activeFilePaths, listTableNames, NotOtelLayout, relationSql, unionRelationSql, Warehouse, type WarehouseTable } from './warehouse.ts';

export type { QueryResult } from '../duckdb/db.ts';
export { QueryError } from './read-only.ts';

export type QueryEngineOptions = {
  warehouse: string;
  /** DuckDB worker threads per query (default: the core count). */
  threads?: number;
  /** DuckDB memory_limit for all statements together (default SQL_MEMORY_LIMIT). */
  memoryLimit?: string;
  /** Statements running at once; more wait their turn (default SQL_CONCURRENT_MAX). */
  maxConcurrent?: number;
  /** Statements that may wait for a slot; more are refused as busy (default SQL_QUEUE_MAX). */
  queueMax?: number;
  /** Longest a statement may wait and run before it is cancelled (default SQL_TIMEOUT_MS). */
  timeoutMs?: number;
  /** Where refusals and cancellations are reported. */
  log?: (line: string) => void;
  /** Error messages end with the SQL the statement was rewritten to (sql --show-generated-sql). */
  showGeneratedSql?: boolean;
  /** The grants statements are checked against (default: the warehouse's own, re-read when they change). */
  grants?: GrantStore;
  /**
   * Where statements are audited: grant statements always, reads when `reads`
   * (the server's endpoint; the owner at the command line reads files anyway).
   * `owner` names the OWNER caller in the rows.
   */
  audit?: { sink: AuditSink; reads: boolean; owner?: string | undefined };
};

/** What one answer may hold; each is capped at the engine's own maximum. */
export type ExecuteLimits = { rowLimit?: number; byteLimit?: number };

/** One statement's run: the connection to interrupt and why it was interrupted. */
type Job = { conn?: Connection; stop?: 'timeout' | 'closed'; interrupting?: NodeJS.Timeout };

type Found =
  | { kind: 'table'; key: string; table: WarehouseTable }
  | { kind: 'view'; key: string; catalog: string; schema: string; view: string };
/** What a name refers to and the temporary view name it becomes. */
type Target = Found & { name: string };

/**
 * tableSetup: views over tables' files; viewSetup: the normalised views they
 * feed, whose statement-named results are `viewNames`.
 */
type Plan = { tableSetup: string[]; viewSetup: string[]; viewNames: string[]; sqls: string[] };

/** The HTTP status each refusal gets on the statements endpoint, for the audit rows. */
const QUERY_ERROR_STATUS: Record<QueryError['code'], number> = { read_only: 400, invalid: 400, failed: 400, timeout: 400, busy: 429, closed: 503, forbidden: 403 };

const temp = (name: string): string => `temp.main.${quoteIdent(name)}`;
const splitName = (key: string): { catalog: string; schema: string; table: string } => {
  const [catalog, schema, table] = key.split('.') as [string, string, string];
  return { catalog, schema, table };
};
const internal = (catalog: string, schema: string, name: string): string => `__o2d_${catalog}__${schema}__${name}`;

export class QueryEngine {
  private readonly views: Map<string, ViewDef> = loadViews();
  private readonly jobs = new Set<Job>();
  private closed = false;
  private readonly viewCache: ViewCache;

  private constructor(
    private readonly db: Db,
    readonly warehouse: Warehouse,
    private readonly slots: Slots,
    readonly timeoutMs: number,
    private readonly log: (line: string) => void,
    private readonly showGeneratedSql: boolean,
    /** Who may read what; shared with the HTTP edge, which checks exports against it. */
    readonly grants: GrantStore,
    private readonly ownsGrants: boolean,
    private readonly audit: QueryEngineOptions['audit'],
  ) {
    this.viewCache = new ViewCache(db);
  }

  /** Opens a DuckDB instance that can read files below the warehouse and nothing else. */
  static async open(opts: QueryEngineOptions): Promise<QueryEngine> {
    let root: string;
    const remote = isRemoteLocation(opts.warehouse);
    try {
      root = remote ? opts.warehouse : await fsp.realpath(path.resolve(opts.warehouse));
    } catch {
      throw new QueryError(`warehouse ${path.resolve(opts.warehouse)} does not exist`, 'invalid');
    }
    // Over an object store DuckDB reads the local copies of the read cache, and nothing else.
    const readable = remote ? readCacheDir() : root;
    if (remote) await fsp.mkdir(readable, { recursive: true });
    const timeoutMs = opts.timeoutMs ?? SQL_TIMEOUT_MS;
    if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1) throw new QueryError(`the statement timeout must be a positive integer of ms, got ${timeoutMs}`, 'invalid');
    const db = await openDuckDb({
      ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
      memoryLimit: opts.memoryLimit ?? SQL_MEMORY_LIMIT,
      // No spilling: DuckDB would let statements read its temp directory.
      tempDirectory: '',
      allocatorCacheLimit: SQL_DUCKDB_CACHE,
      onlyDirectories: [readable],
    });
    const slots = new Slots(opts.maxConcurrent ?? SQL_CONCURRENT_MAX, opts.queueMax ?? SQL_QUEUE_MAX);
    const log = opts.log ?? (() => undefined);
    let grants = opts.grants;
    try {
      grants ??= GrantStore.open(root, { log, watch: true });
    } catch (e) {
      db.close();
      throw new QueryError(`the warehouse's grants could not be read: ${(e as Error).message}`, 'invalid', { cause: e });
    }
    return new QueryEngine(db, new Warehouse(root, db), slots, timeoutMs, log, opts.showGeneratedSql ?? false, grants, opts.grants === undefined, opts.audit);
  }

  /** The names of the normalised views every catalog.schema offers. */
  viewNames(): string[] {
    return [...this.views.keys()].sort();
  }

  /** Every table of the warehouse as catalog.schema.table. */
  tableNames(): Promise<string[]> {
    return listTableNames(this.warehouse.root);
  }

  /**
   * Runs one read statement, or one grant statement (GRANT, REVOKE, SHOW
   * GRANTS), for `caller` and returns its columns and rows, cut at the limits.
   * A read needs SELECT on every table it reads; the command line is the owner.
   */
  async execute(text: string, limits: ExecuteLimits = {}, caller: Caller = OWNER): Promise<QueryResult> {
    const statement = singleStatement(text);
    const grant = isGrantStatement(statement);
    try {
      const result = grant ? runGrantStatement(this.grants, statement, caller) : ((await this.executeBatch([text], { limits, caller }))[0] as QueryResult);
      this.audited(grant, statement, caller, 200);
      return result;
    } catch (e) {
      if (grant && e instanceof QueryError) this.log(`sql: grant statement refused (${e.code}): ${e.message}`);
      this.audited(grant, statement, caller, e instanceof QueryError ? QUERY_ERROR_STATUS[e.code] : 500, (e as Error).message);
      throw e;
    }
  }

  private audited(grant: boolean, statement: string, caller: Caller, status: number, error?: string): void {
    const audit = this.audit;
    if (!audit || (!grant && !audit.reads)) return;
    const verb = statement.trim().split(/\s+/, 2).map((w) => w.toUpperCase());
    const action = !grant ? 'executeStatement' : verb[0] === 'GRANT' ? 'grant' : verb[0] === 'REVOKE' ? 'revoke' : 'showGrants';
    audit.sink.record({
      time: new Date(),
      principal: caller === OWNER ? audit.owner : caller.name,
      tokenId: caller === OWNER ? undefined : caller.tokenId,
      service: grant ? 'accessControl' : 'sql',
      action,
      requestId: randomUUID(),
      params: { statement },
      status,
      error,
    });
  }

  /**
   * Runs read statements one after another on one connection, so the views
   * they name are created once. With `materialize`, each normalised view is
   * computed once into a temporary table that the statements then read: the
   * way to run several queries over the same views (the usage report).
   */
  async executeBatch(texts: string[], opts: { materialize?: boolean; limits?: ExecuteLimits; caller?: Caller } = {}): Promise<QueryResult[]> {
    const caller = opts.caller ?? OWNER;
    const statements = texts.map(singleStatement);
    if (statements.some(isGrantStatement)) throw new QueryError('GRANT, REVOKE and SHOW GRANTS run one at a time, not in a batch of reads', 'invalid');
    statements.forEach(assertReadKeyword);
    const limits: ResultLimits = {
      rowsMax: Math.min(opts.limits?.rowLimit ?? SQL_RESULT_ROWS_MAX, SQL_RESULT_ROWS_MAX),
      bytesMax: Math.min(opts.limits?.byteLimit ?? SQL_RESULT_BYTES_MAX, SQL_RESULT_BYTES_MAX),
    };
    const started = Date.now();
    try {
      await this.slots.acquire(this.timeoutMs);
    } catch (e) {
      if (e instanceof QueryError) this.log(`sql: statement refused (${e.code}): ${e.message}`);
      throw e;
    }
    const job: Job = {};
    this.jobs.add(job);
    // The timeout counts from arrival, so time spent waiting for a slot is part of it.
    const timer = setTimeout(() => this.stopJob(job, 'timeout'), Math.max(0, this.timeoutMs - (Date.now() - started)));
    try {
      const materialize = opts.materialize ?? false;
      const plan = await this.plan(statements, materialize, caller);
      const cacheKey = materialize ? ViewCache.keyOf([...plan.tableSetup, ...plan.viewSetup]) : undefined;
      const kept = cacheKey === undefined ? undefined : this.viewCache.acquire(cacheKey);
      return await withConnection(this.db, async (conn) => {
        job.conn = conn;
        // An interrupt that lands between two calls is not kept by DuckDB for the next one.
        const go = <T>(step: () => Promise<T>): Promise<T> => (job.stop ? Promise.reject(new Error('stopped')) : step());
        try {
          const setup = [...plan.tableSetup, ...(kept ? this.viewCache.viewsOver(kept) : plan.viewSetup)];
          for (const s of setup) await go(() => conn.run(s));
          if (cacheKey !== undefined && !kept) await go(() => this.viewCache.keep(conn, cacheKey, plan.viewNames));
        } catch (e) {
          throw new QueryError(`could not read the tables the statement names: ${(e as Error).message}`, 'failed', { cause: e });
        }
        const results: QueryResult[] = [];
        for (const [i, sql] of plan.sqls.entries()) {
          try {
            // Parsed only, before DuckDB binds it (binding already opens the files a name points at).
            if (caller !== OWNER) await go(() => assertNoFileAccess(conn, sql));
            await go(() => assertReadOnly(conn, sql));
          } catch (e) {
            throw await this.explained(e, statements[i] as string, sql, caller);
          }
        }
        for (const [i, sql] of plan.sqls.entries()) {
          try {
            results.push(await go(() => conn.query(sql, limits)));
          } catch (e) {
            throw await this.explained(e, statements[i] as string, sql, caller);
          }
        }
        return results;
      }).finally(() => (kept ? this.viewCache.release(kept) : undefined));
    } catch (e) {
      throw this.stoppedError(job, started) ?? (await explainMissingFile(e, this.warehouse));
    } finally {
      clearTimeout(timer);
      clearInterval(job.interrupting);
      this.jobs.delete(job);
      this.slots.release();
    }
  }

  /**
   * Refuses waiting statements, cancels running ones and closes DuckDB, so a
   * stop never waits on a query (a running one would also keep the process
   * from exiting). Safe to call twice.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.slots.close();
    for (const job of this.jobs) this.stopJob(job, 'closed');
    this.db.close();
    if (this.ownsGrants) this.grants.close();
  }

  /**
   * DuckDB clears a connection's interrupt when a query starts, so one that
   * lands while the next call is being handed to its thread is lost and the
   * statement runs on unbounded. A stopped job is therefore interrupted again
   * every SQL_INTERRUPT_REPEAT_MS until it has ended.
   */
  private stopJob(job: Job, why: 'timeout' | 'closed'): void {
    job.stop ??= why;
    job.conn?.interrupt();
    if (job.interrupting === undefined) {
      job.interrupting = setInterval(() => job.conn?.interrupt(), SQL_INTERRUPT_REPEAT_MS);
      job.interrupting.unref();
    }
  }

  /** The error a stopped statement ends with, whatever DuckDB said about the interrupt. */
  private stoppedError(job: Job, started: number): QueryError | undefined {
    if (job.stop === 'closed') return new QueryError('the statement was cancelled: the query engine is shutting down', 'closed');
    if (job.stop !== 'timeout') return undefined;
    const e = new QueryError(
      `the statement was cancelled after ${Date.now() - started} ms, past the statement timeout of ${this.timeoutMs} ms (SQL_TIMEOUT_MS; serve --sql-timeout-ms, sql --timeout-ms)`,
      'timeout',
    );
    this.log(`sql: ${e.message}`);
    return e;
  }

  /**
   * Every name the caller may see: the tables it holds a privilege on, and the
   * views of each schema it may use. Suggestions come from these only, so a
   * message never names a table hidden from the caller.
   */
  private async knownNames(caller: Caller): Promise<string[]> {
    const all = await this.tableNames();
    const tables = all.filter((t) => this.grants.decide(caller, 'SELECT', splitName(t)) !== 'hidden');
    const schemas = new Set(all.map((t) => t.slice(0, t.lastIndexOf('.'))));
    const usable = [...schemas].filter((s) => {
      const [c, sc] = s.split('.') as [string, string];
      return this.grants.usesSchema(caller, c, sc);
    });
    return [...tables, ...usable.flatMap((s) => this.viewNames().map((v) => `${s}.${v}`))];
  }

  private async notFound(key: string, caller: Caller): Promise<QueryError> {
    return new QueryError(missingNameMessage(key, await this.knownNames(caller), new Set(this.views.keys())), 'invalid');
  }

  /**
   * DuckDB's error in our terms: a name it cannot find gets the nearest
   * three-part names, and the excerpt of the generated SQL is left out.
   */
  private async explained(e: unknown, statement: string, sql: string, caller: Caller): Promise<unknown> {
    if (e instanceof QueryError && e.code !== 'failed') return e;
    const message = (e as Error).message;
    const missing = missingRelation(message);
    if (missing !== undefined) return new QueryError(missingNameMessage(missing, await this.knownNames(caller), new Set(this.views.keys())), 'invalid', { cause: e });
    if (sql === statement) return e instanceof QueryError ? e : new QueryError(message, 'failed', { cause: e });
    const generated = this.showGeneratedSql ? `\n\ngenerated SQL:\n${sql}` : '';
    return new QueryError(`${withoutStatementExcerpt(message)}${generated}`, 'failed', { cause: e });
  }

  /**
   * What each three-part name refers to, for this caller; names outside the
   * warehouse are left alone. A table the caller holds no privilege on is
   * answered exactly as one that does not exist; one it may see but not read
   * is refused naming the privilege it lacks. A schema's views are there for
   * a caller that may use the schema, and read only the tables it may read.
   */
  private async resolve(parts: [string, string, string], caller: Caller): Promise<Found | undefined> {
    const [catalog, schema, name] = parts;
    const key = parts.join('.');
    const t = { catalog, schema, table: name };
    const decision = this.grants.decide(caller, 'SELECT', t);
    const table = await this.warehouse.table(catalog, schema, name).catch(async (e: unknown) => {
      if (!(e instanceof NotOtelLayout)) throw e;
      throw decision === 'hidden' ? await this.notFound(key, caller) : new QueryError(e.message, 'invalid');
    });
    if (table) {
      if (decision === 'hidden') throw await this.notFound(key, caller);
      const missing = this.grants.missing(caller, 'SELECT', t);
      if (decision === 'denied' && missing) {
        this.log(`sql: statement refused (forbidden): ${permissionDeniedMessage(missing)}`);
        throw new QueryError(permissionDeniedMessage(missing), 'forbidden');
      }
      return { kind: 'table', key, table };
    }
    if (this.views.has(name) && (await this.warehouse.hasSchema(catalog, schema)) && this.grants.usesSchema(caller, catalog, schema)) {
      return { kind: 'view', key, catalog, schema, view: name };
    }
    if (await this.warehouse.hasCatalog(catalog)) throw await this.notFound(key, caller);
    return undefined;
  }

  private async plan(statements: string[], materialize: boolean, caller: Caller): Promise<Plan> {
    const found = new Map<string, Found>();
    const edits: { start: number; end: number; key: string }[][] = [];
    for (const statement of statements) {
      const mine: { start: number; end: number; key: string }[] = [];
      for (const ref of findThreePartNames(statement)) {
        const key = ref.parts.join('.');
        if (!found.has(key)) {
          const target = await this.resolve(ref.parts, caller);
          if (!target) continue;
          found.set(key, target);
        }
        mine.push({ start: ref.start, end: ref.end, key });
      }
      edits.push(mine);
    }
    // A view takes the table's own name, so `t.col` keeps working; two names
    // ending alike (c1.s.t and c2.s.t) get longer ones instead.
    const last = (key: string) => key.slice(key.lastIndexOf('.') + 1);
    const clash = (key: string) => [...found.keys()].filter((k) => last(k) === last(key)).length > 1;
    const targets = new Map<string, Target>();
    for (const [key, t] of found) targets.set(key, { ...t, name: clash(key) ? key.replaceAll('.', '__') : last(key) });
    const tableSetup: string[] = [];
    for (const t of targets.values()) {
      if (t.kind === 'table') tableSetup.push(`CREATE TEMP VIEW ${quoteIdent(t.name)} AS ${relationSql(t.table.kind, activeFilePaths(t.table), { pointAttributes: true })}`);
    }
    const viewSetup = await this.viewSetup([...targets.values()], materialize, caller);
    const viewNames = [...targets.values()].filter((t) => t.kind === 'view').map((t) => t.name);
    const sqls = statements.map((statement, i) =>
      replaceRanges(
        statement,
        (edits[i] ?? []).map((e) => ({ start: e.start, end: e.end, text: temp((targets.get(e.key) as Target).name) })),
      ),
    );
    return { tableSetup, viewSetup, viewNames, sqls };
  }

  /** CREATE statements for the referenced views, their dependencies and the schema unions they read. */
  private async viewSetup(targets: Target[], materialize: boolean, caller: Caller): Promise<string[]> {
    const bySchema = new Map<string, { catalog: string; schema: string; views: Map<string, string> }>();
    for (const t of targets) {
      if (t.kind !== 'view') continue;
      const k = `${t.catalog}.${t.schema}`;
      const entry = bySchema.get(k) ?? { catalog: t.catalog, schema: t.schema, views: new Map<string, string>() };
      entry.views.set(t.view, t.name);
      bySchema.set(k, entry);
    }
    const setup: string[] = [];
    for (const { catalog, schema, views } of bySchema.values()) {
      const order = creationOrder(views.keys(), this.views);
      // The views read only the tables the caller may read: rows of the others never reach it,
      // and refusing instead would tell it which tables it may not see.
      const tables = (await this.warehouse.tablesOf(catalog, schema)).filter((t) => this.grants.decide(caller, 'SELECT', { catalog, schema, table: t.table }) === 'allowed');
      const sources = new Set<string>(order.flatMap((d) => d.sources));
      // Only the views a statement names get the directory's columns: the
      // views they are built from never read them, so joining there is waste.
      const withTeams = (view: string) => views.has(view) && joinsDirectory(view);
      if (order.some((d) => withTeams(d.name))) sources.add('directory');
      for (const src of SOURCE_PLACEHOLDERS) {
        if (!sources.has(src)) continue;
        const relation = isCostSource(src) ? await costSourceSql(src, this.warehouse, caller, this.grants) : unionRelationSql(src, tables);
        setup.push(`CREATE TEMP VIEW ${quoteIdent(internal(catalog, schema, src))} AS ${relation}`);
      }
      const nameOf = (view: string) => views.get(view) ?? internal(catalog, schema, view);
      for (const def of order) {
        const rendered = renderView(def, (p) => temp((SOURCE_PLACEHOLDERS as readonly string[]).includes(p) ? internal(catalog, schema, p) : nameOf(p)));
        const body = withTeams(def.name) ? withDirectory(rendered, temp(internal(catalog, schema, 'directory'))) : rendered;
        setup.push(`CREATE TEMP ${materialize ? 'TABLE' : 'VIEW'} ${quoteIdent(nameOf(def.name))} AS ${body}`);
      }
    }
    return setup;
  }
}
