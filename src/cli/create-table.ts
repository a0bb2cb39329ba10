// `otlp2delta create-table`: creates empty otel tables, by kind or from the
// documented CREATE TABLE statements.
import { readFile } from 'node:fs/promises';
import { createDeltaTable } from '../delta/table.ts';
import { tableDir } from '../ingest/registry.ts';
import { parseCreateTables } from '../tables/ddl-parse.ts';
import { matchLayout, validateTableProperties } from '../tables/layout-match.ts';
import { formatTableName, parseTableName, type TableName } from '../tables/names.ts';
import { schemaFor, TABLE_KINDS, type TableKind } from '../tables/schema.ts';
import { warehouseFromArgs } from './table-arg.ts';
import { parseCommandArgs, UsageError } from './usage.ts';

export const CREATE_TABLE_HELP = `usage: otlp2delta create-table <catalog.schema.table> --kind metrics|logs|spans [--warehouse DIR] [--if-not-exists]
       otlp2delta create-table --prefix C.S.P[,C.S.P...] [--warehouse DIR] [--if-not-exists]
       otlp2delta create-table --ddl FILE [--warehouse DIR] [--if-not-exists]

Creates empty Delta tables in the otel v1 layouts. With --ddl, FILE holds one or
more Databricks CREATE TABLE statements (the documented otel-tables.sql with the
names filled in); a statement that is not a supported layout is refused, naming
the first difference. With --prefix, each C.S.P gets the three tables of the
documented naming, C.S.P_otel_metrics, C.S.P_otel_logs and C.S.P_otel_spans
(--prefix main.agent_telemetry.claude,main.agent_telemetry.gemini creates six).

options:
  --kind K           metrics, logs or spans
  --prefix C.S.P     create C.S.P_otel_metrics, C.S.P_otel_logs and C.S.P_otel_spans; several
                     prefixes separated by commas
  --ddl FILE         create the tables that FILE's CREATE TABLE statements describe
  --warehouse DIR    folder holding the tables (env OTLP2DELTA_WAREHOUSE, default ./warehouse,
                     relative to the working directory: run serve with the same one)
  --if-not-exists    succeed without change when a table already exists
  -h, --help         show this help`;

type Plan = { name: TableName; kind: TableKind; properties: Record<string, string>; ifNotExists: boolean };

/** The kind a table name's ending suggests: agents are set up by name, so a mismatch is a likely mistake. */
const SUFFIX_KINDS: [RegExp, TableKind][] = [
  [/_metrics$/i, 'metrics'],
  [/_(logs|events)$/i, 'logs'],
  [/_(spans|traces)$/i, 'spans'],
];

/** A warning when `name` reads as one kind of table and is created as another. */
export function kindMismatch(name: TableName, kind: TableKind, dir: string): string | undefined {
  const suggested = SUFFIX_KINDS.find(([re]) => re.test(name.table))?.[1];
  if (suggested === undefined || suggested === kind) return undefined;
  const full = formatTableName(name);
  return `warning: ${full} is created as a ${kind} table, but its name reads as a ${suggested} table; exporters that send ${suggested} to it will be refused (400). Meant a ${suggested} table? Delete ${dir} and run otlp2delta create-table ${full} --kind ${suggested}`;
}

function plansFromPrefixes(list: string, ifNotExists: boolean): Plan[] {
  const prefixes = list.split(',').map((p) => p.trim());
  if (prefixes.some((p) => p === '')) throw new UsageError('--prefix takes catalog.schema.prefix names separated by commas', CREATE_TABLE_HELP);
  return prefixes.flatMap((prefix) =>
    (['metrics', 'logs', 'spans'] as const).map((kind) => {
      let name: TableName;
      try {
        name = parseTableName(`${prefix}_otel_${kind}`, '--prefix');
      } catch (e) {
        throw new UsageError((e as Error).message, CREATE_TABLE_HELP);
      }
      return { name, kind, properties: {}, ifNotExists };
    }),
  );
}

async function plansFromDdl(file: string, ifNotExists: boolean): Promise<Plan[]> {
  const text = await readFile(file, 'utf8');
  const statements = parseCreateTables(text);
  if (statements.length === 0) throw new Error(`${file} holds no CREATE TABLE statement`);
  return statements.map((st) => {
    const name = parseTableName(st.name, 'table name');
    const m = matchLayout(st.columns);
    if ('error' in m) throw new Error(`${formatTableName(name)}: not a supported layout: ${m.error}`);
    const props = validateTableProperties(st.properties, m.kind);
    if ('error' in props) throw new Error(`${formatTableName(name)}: ${props.error}`);
    return { name, kind: m.kind, properties: props.properties, ifNotExists: ifNotExists || st.ifNotExists };
  });
}

async function createOne(warehouse: string, plan: Plan): Promise<string> {
  const schema = schemaFor(plan.kind);
  const properties = { ...schema.tableProperties, ...plan.properties };
  const full = formatTableName(plan.name);
  try {
    await createDeltaTable(tableDir(warehouse, plan.name), { schema, properties, name: plan.name.table });
  } catch (e) {
    if (plan.ifNotExists && /already exists/.test((e as Error).message)) return `${full} already exists`;
    throw e;
  }
  return `created ${plan.kind} table ${full} at ${tableDir(warehouse, plan.name)}`;
}

export async function runCreateTable(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    {
      kind: { type: 'string' },
      ddl: { type: 'string' },
      prefix: { type: 'string' },
      warehouse: { type: 'string' },
      'if-not-exists': { type: 'boolean' },
    },
    CREATE_TABLE_HELP,
  );
  if (values.help) {
    process.stdout.write(`${CREATE_TABLE_HELP}\n`);
    return 0;
  }
  const warehouse = warehouseFromArgs(values.warehouse);
  const ifNotExists = values['if-not-exists'] ?? false;
  let plans: Plan[];
  if (values.ddl !== undefined && values.prefix !== undefined) {
    throw new UsageError('give --ddl or --prefix, not both', CREATE_TABLE_HELP);
  }
  if (values.prefix !== undefined) {
    if (positionals.length > 0 || values.kind !== undefined) {
      throw new UsageError('--prefix names the tables and their kinds; give no table name or --kind', CREATE_TABLE_HELP);
    }
    plans = plansFromPrefixes(values.prefix, ifNotExists);
  } else if (values.ddl !== undefined) {
    if (positionals.length > 0 || values.kind !== undefined) {
      throw new UsageError('--ddl takes the names and layouts from the file; give no table name or --kind', CREATE_TABLE_HELP);
    }
    plans = await plansFromDdl(values.ddl, ifNotExists);
  } else {
    if (positionals.length !== 1) throw new UsageError('give exactly one table name, catalog.schema.table', CREATE_TABLE_HELP);
    const kind = values.kind as TableKind | undefined;
    if (!kind || !TABLE_KINDS.includes(kind)) {
      throw new UsageError(`--kind must be one of ${TABLE_KINDS.join(', ')}`, CREATE_TABLE_HELP);
    }
    let name: TableName;
    try {
      name = parseTableName(positionals[0], 'table name');
    } catch (e) {
      throw new UsageError((e as Error).message, CREATE_TABLE_HELP);
    }
    plans = [{ name, kind, properties: {}, ifNotExists }];
    const warning = kindMismatch(name, kind, tableDir(warehouse, name));
    if (warning) process.stderr.write(`${warning}\n`);
  }
  for (const plan of plans) process.stdout.write(`${await createOne(warehouse, plan)}\n`);
  return 0;
}
