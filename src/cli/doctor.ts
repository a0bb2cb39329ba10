// `otlp2delta doctor`: what the local agent configs set and where each value
// comes from, and what the warehouse has received from each agent.
import { localReport } from '../onboard/doctor-local.ts';
import { renderLocal, renderWarehouse } from '../onboard/doctor-render.ts';
import { warehouseReport } from '../onboard/doctor-warehouse.ts';
import { AGENT_DEFS } from '../onboard/agents.ts';
import { AGENTS, type Agent } from '../onboard/options.ts';
import { environment } from './configure.ts';
import { warehouseFromArgs } from './table-arg.ts';
import { parseCommandArgs, UsageError } from './usage.ts';
import { existsSync } from 'node:fs';

export const DOCTOR_HELP = `usage: otlp2delta doctor [--agent claude|codex|gemini] [--schema C.S] [--warehouse DIR] [--no-local] [--no-warehouse]

For the agents on this machine: each telemetry setting, its value (tokens
hidden) and where it comes from (managed settings, user files, the environment),
and whether the agent exports at all. For the warehouse: per agent, user, host
and signal the last time data arrived; agents that send logs but no metrics;
and refused exports (system.access.audit) with their reason and fix.

options:
  --agent A        one agent only
  --schema C.S     only tables of this catalog.schema
  --warehouse DIR  the warehouse (env OTLP2DELTA_WAREHOUSE, default ./warehouse)
  --no-local       skip the local agent configs (an admin on the server)
  --no-warehouse   skip the warehouse
  -h, --help       show this help`;

export async function runDoctor(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    { agent: { type: 'string' }, schema: { type: 'string' }, warehouse: { type: 'string' }, 'no-local': { type: 'boolean' }, 'no-warehouse': { type: 'boolean' } },
    DOCTOR_HELP,
  );
  if (values.help) {
    process.stdout.write(`${DOCTOR_HELP}\n`);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`, DOCTOR_HELP);
  if (values.agent !== undefined && !(AGENTS as readonly string[]).includes(values.agent)) throw new UsageError(`--agent must be one of ${AGENTS.join(', ')}`, DOCTOR_HELP);
  if (values.schema !== undefined && !/^[A-Za-z0-9_]+\.[A-Za-z0-9_]+$/.test(values.schema)) throw new UsageError('--schema is catalog.schema', DOCTOR_HELP);
  const agents = values.agent ? [values.agent as Agent] : [...AGENTS];
  const print = (l: string) => process.stdout.write(`${l}\n`);
  if (!values['no-local']) for (const a of agents) for (const l of renderLocal(await localReport(a, environment()))) print(l);
  if (!values['no-warehouse']) {
    const warehouse = warehouseFromArgs(values.warehouse);
    if (!existsSync(warehouse)) print(`warehouse: ${warehouse} does not exist here (give --warehouse DIR, or run doctor where the server runs)`);
    else {
      const service = values.agent ? AGENT_DEFS[values.agent as Agent].serviceName : undefined;
      for (const l of renderWarehouse(await warehouseReport(warehouse, { schema: values.schema, agentService: service }))) print(l);
    }
  }
  return 0;
}
