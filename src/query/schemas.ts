// Which catalog.schemas of the warehouse hold agent tables (the metrics and
// logs layouts the usage views read), and the choice of the one a usage
// report is about, with messages that say what exists and how to choose.
import { QueryError } from './read-only.ts';
import { listTableNames, NotOtelLayout, type Warehouse } from './warehouse.ts';

export type AgentSchema = { schema: string; tables: string[] };

/** No schema could be chosen; `reason` says whether any agent tables exist at all. */
export class SchemaChoiceError extends QueryError {
  constructor(
    message: string,
    readonly reason: 'none' | 'several' | 'unknown',
  ) {
    super(message, 'invalid');
  }
}

const CREATE_HINT = [
  'create them first, for example:',
  '  otlp2delta create-table main.agent_telemetry.claude_otel_metrics --kind metrics',
  '  otlp2delta create-table main.agent_telemetry.claude_otel_logs --kind logs',
  'then point the agents at them, or use --warehouse for the folder that holds them',
].join('\n');

/** Every catalog.schema with at least one metrics or logs table, sorted, with those tables' names. */
export async function agentSchemas(warehouse: Warehouse): Promise<AgentSchema[]> {
  const bySchema = new Map<string, string[]>();
  for (const name of await listTableNames(warehouse.root)) {
    const [catalog, schema, table] = name.split('.') as [string, string, string];
    const t = await warehouse.table(catalog, schema, table).catch((e: unknown) => {
      if (e instanceof NotOtelLayout) return undefined;
      throw e;
    });
    if (!t || (t.kind !== 'metrics' && t.kind !== 'logs')) continue;
    const key = `${catalog}.${schema}`;
    bySchema.set(key, [...(bySchema.get(key) ?? []), table]);
  }
  return [...bySchema].map(([schema, tables]) => ({ schema, tables })).sort((a, b) => (a.schema < b.schema ? -1 : 1));
}

const TABLES_SHOWN = 4;

function describe(s: AgentSchema): string {
  const shown = s.tables.slice(0, TABLES_SHOWN).join(', ');
  const more = s.tables.length > TABLES_SHOWN ? `, and ${s.tables.length - TABLES_SHOWN} more` : '';
  return `  ${s.schema} (${shown}${more})`;
}

/**
 * The catalog.schema to report on: `requested` when it holds agent tables,
 * else, when none is requested, the only schema that does. Anything else is
 * a SchemaChoiceError listing the schemas that exist.
 */
export async function chooseAgentSchema(warehouse: Warehouse, requested?: string): Promise<string> {
  const found = await agentSchemas(warehouse);
  const listing = found.map(describe).join('\n');
  const want = requested?.toLowerCase();
  if (want !== undefined) {
    if (found.some((s) => s.schema === want)) return want;
    if (found.length === 0) throw new SchemaChoiceError(`${want} holds no agent tables, and no schema of the warehouse ${warehouse.root} does; ${CREATE_HINT}`, 'none');
    throw new SchemaChoiceError(`${want} holds no agent tables (metrics or logs layout); these schemas do:\n${listing}\nchoose one with --schema CATALOG.SCHEMA`, 'unknown');
  }
  const [only, ...others] = found;
  if (only === undefined) throw new SchemaChoiceError(`no agent tables (metrics or logs layout) in the warehouse ${warehouse.root}; ${CREATE_HINT}`, 'none');
  if (others.length > 0) {
    throw new SchemaChoiceError(`agent tables are in ${found.length} schemas:\n${listing}\nchoose one with --schema, for example --schema ${only.schema}`, 'several');
  }
  return only.schema;
}
