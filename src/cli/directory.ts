// `otlp2delta directory`: import who is in which team, and show it.
import { CsvError } from '../cost/csv.ts';
import { directoryRows, importDirectory } from '../cost/store.ts';
import { tableLines, warehouseFromArgs } from './table-arg.ts';
import { parseCommandArgs, UsageError } from './usage.ts';

export const DIRECTORY_HELP = `usage: otlp2delta directory import FILE.csv [--warehouse DIR]
       otlp2delta directory list [--json] [--warehouse DIR]

The user directory the usage views take team, department and cost center
from (system.directory.users). import replaces the whole directory with
FILE's users. FILE's columns: user (or email, or user_id: an email, a token
principal or an agent's user id; compared without regard to case) and team,
and optionally display_name, department, cost_center and location.

options:
  --json            print JSON
  --warehouse DIR   folder holding the tables (env OTLP2DELTA_WAREHOUSE, default ./warehouse)
  -h, --help        show this help`;

export async function runDirectory(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, { json: { type: 'boolean' }, warehouse: { type: 'string' } }, DIRECTORY_HELP);
  if (values.help) {
    process.stdout.write(`${DIRECTORY_HELP}\n`);
    return 0;
  }
  const [verb, ...rest] = positionals;
  const warehouse = warehouseFromArgs(values.warehouse);
  if (verb === 'import') {
    if (rest.length !== 1) throw new UsageError('directory import takes one CSV file', DIRECTORY_HELP);
    try {
      const r = await importDirectory(warehouse, rest[0] as string);
      process.stdout.write(`imported ${r.rows} users into system.directory.users (version ${r.version}); they replace the earlier directory\n`);
    } catch (e) {
      if (e instanceof CsvError) throw new UsageError(`${rest[0]}: ${e.message}`);
      throw e;
    }
    return 0;
  }
  if (verb === 'list' && rest.length === 0) {
    const rows = await directoryRows(warehouse);
    const cols = ['user', 'display_name', 'team', 'department', 'cost_center', 'location'];
    process.stdout.write(
      `${values.json ? JSON.stringify(rows, null, 2) : rows.length === 0 ? '(no directory: every user shows as not in directory)' : tableLines(cols, rows.map((r) => cols.map((c) => (r[c] === null || r[c] === undefined ? '-' : String(r[c])))), cols.map(() => false))}\n`,
    );
    return 0;
  }
  throw new UsageError(verb === undefined ? 'give import or list' : `unknown directory command ${JSON.stringify([verb, ...rest].join(' '))}`, DIRECTORY_HELP);
}
