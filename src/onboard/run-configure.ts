// configure for one or more agents, as the command reports it: the files
// written, the tables, the grants the token lacks, and each check export's
// answer. The token never appears in what is printed.
import path from 'node:path';
import { loadSnapshot } from '../delta/snapshot.ts';
import { tableDir } from '../ingest/registry.ts';
import { AUDIT_TABLE } from '../access/audit-table.ts';
import { AGENT_DEFS } from './agents.ts';
import { configureAgent, unconfigureAgent, type AgentOutcome } from './apply.ts';
import { isLoopback, tableOf, type Agent, type Environment, type OnboardOptions } from './options.ts';
import { ensureTables, grantCheck } from './tables.ts';
import { verifyAgent } from './verify.ts';

export type ConfigureRequest = {
  agents: Agent[];
  options: (agent: Agent) => OnboardOptions;
  warehouse: string;
  dryRun: boolean;
  check: boolean;
};

type Out = (line: string) => void;

/** Hides the given token, and any bearer token a diff shows (unconfigure does not know which one was written). */
const masker = (token: string | undefined) => (s: string) => (token ? s.split(token).join('<token>') : s).replace(/(Bearer\s+)[^\s,"'\\]+/g, '$1<token>');

function fileLines(o: AgentOutcome, dryRun: boolean, out: Out, home: string): void {
  const rel = (f: string) => (f.startsWith(home + path.sep) ? `~/${path.relative(home, f)}` : f);
  for (const f of o.files) {
    out(`  ${rel(f.file)}: ${dryRun && f.action !== 'unchanged' ? `would be ${f.action}` : f.action}${f.backup ? ` (backup ${rel(f.backup)})` : ''}`);
    for (const w of f.warnings) out(`    warning: ${w}`);
    if (dryRun && f.diff) for (const l of f.diff.split('\n')) out(`    ${l}`);
  }
  for (const w of o.warnings ?? []) out(`  warning: ${w}`);
}

/** Whether a server has run on this warehouse (it creates the audit table at start). */
const serverWarehouse = async (warehouse: string): Promise<boolean> => (await loadSnapshot(tableDir(warehouse, AUDIT_TABLE))) !== null;

/** Runs configure; the exit status is 0 when every agent was written and every check answered ok. */
export async function runConfigure(req: ConfigureRequest, e: Environment, print: Out): Promise<number> {
  let failed = false;
  for (const agent of req.agents) {
    const o = req.options(agent);
    const out: Out = (l) => print(masker(o.token)(l));
    const def = AGENT_DEFS[agent];
    const plan = def.plan(o, e);
    out(`${agent}: ${req.dryRun ? 'would write' : 'writing'} ${o.protocol} to ${o.endpoint}, tables ${o.prefix}_otel_*`);
    const res = await configureAgent(def, o, e, { dryRun: req.dryRun });
    if (!res.ok) {
      out(`  refused: ${res.error}`);
      failed = true;
      continue;
    }
    fileLines(res, req.dryRun, out, e.env.HOME ?? e.home);
    const tables = plan.signals.map((s) => tableOf(o.prefix, s));
    const local = isLoopback(o.endpoint) && (await serverWarehouse(req.warehouse));
    const steps = await ensureTables(req.warehouse, o.prefix, plan.signals, local && !req.dryRun);
    const missing = steps.filter((s) => s.action === 'create-needed').map((s) => s.table);
    for (const s of steps.filter((x) => x.action === 'created')) out(`  table ${s.table}: created in ${req.warehouse}`);
    if (missing.length > 0) {
      out(
        local
          ? `  tables missing, created when run without --dry-run: ${missing.join(', ')}`
          : `  tables not found in ${req.warehouse} (the server's warehouse may be elsewhere): if they do not exist there, an admin runs: otlp2delta create-table --prefix ${o.prefix} --if-not-exists`,
      );
    }
    const grants = await grantCheck(req.warehouse, o.token, tables);
    if (grants.kind === 'checked' && grants.statements.length > 0) {
      out(`  grants: ${grants.principal} lacks ${grants.missing.map((m) => `${m.privilege} on ${m.objectKey}`).join(', ')}; an admin runs:`);
      for (const st of grants.statements) out(`    otlp2delta sql "${st}"`);
    } else if (grants.kind === 'checked') {
      out(`  grants: ${grants.principal} may write every table`);
    } else if (grants.kind === 'unknown-token' && local) {
      out(`  grants: ${o.token === undefined ? 'this warehouse has tokens, and no --token was given' : 'the token is not an active token of this warehouse'}; exports will be refused (otlp2delta token create --principal NAME)`);
    }
    if (req.dryRun || !req.check) continue;
    for (const c of await verifyAgent(o, plan)) {
      if (c.answer.ok) out(`  check ${c.signal} -> ${c.table}: ok`);
      else {
        failed = true;
        out(`  check ${c.signal} -> ${c.table}: ${c.answer.status} ${c.answer.message}`);
        out(`    fix: ${c.answer.fix}`);
      }
    }
  }
  return failed ? 1 : 0;
}

export async function runUnconfigure(agents: Agent[], e: Environment, dryRun: boolean, print: Out): Promise<number> {
  const out: Out = (l) => print(masker(undefined)(l));
  for (const agent of agents) {
    const res = await unconfigureAgent(AGENT_DEFS[agent], e, { dryRun });
    out(`${agent}:${res.error ? ` ${res.error}` : ''}`);
    // Restored text may hold the user's own headers; the diff is shown for --dry-run only, as for configure.
    fileLines(res, dryRun, out, e.env.HOME ?? e.home);
  }
  return 0;
}
