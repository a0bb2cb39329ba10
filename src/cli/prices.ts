// `otlp2delta prices`: import the price list, show it, and list the models
// used that it has no price for.
import { CsvError } from '../cost/csv.ts';
import { DEFAULT_PRICES_FILE } from '../cost/prices.ts';
import { currentPrices, importPrices } from '../cost/store.ts';
import { missingPrices } from '../cost/report.ts';
import { QueryEngine } from '../query/engine.ts';
import { tableLines, warehouseFromArgs } from './table-arg.ts';
import { parseCommandArgs, UsageError } from './usage.ts';

export const PRICES_HELP = `usage: otlp2delta prices import FILE.csv [--warehouse DIR]
       otlp2delta prices list [--json] [--warehouse DIR]
       otlp2delta prices missing [--schema CATALOG.SCHEMA] [--json] [--warehouse DIR]

Model prices in USD per million tokens, which usage_facts.cost_estimated_usd
is computed with. import replaces the whole list in system.billing.prices
with FILE's rows (earlier lists stay in the table's history); until a list is
imported, the one shipped in ${DEFAULT_PRICES_FILE} is used.
FILE's columns: model_pattern, token_type, usd_per_million_tokens,
valid_from (YYYY-MM-DD), and optionally source and retrieved (YYYY-MM-DD).
missing lists the models and token types used that no price matches; their
estimated cost is NULL, never guessed.

options:
  --schema C.S      where the agents' tables are (missing; default: the only one)
  --json            print JSON
  --warehouse DIR   folder holding the tables (env OTLP2DELTA_WAREHOUSE, default ./warehouse)
  -h, --help        show this help`;

export async function runPrices(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, { schema: { type: 'string' }, json: { type: 'boolean' }, warehouse: { type: 'string' } }, PRICES_HELP);
  if (values.help) {
    process.stdout.write(`${PRICES_HELP}\n`);
    return 0;
  }
  const [verb, ...rest] = positionals;
  const warehouse = warehouseFromArgs(values.warehouse);
  const out = (text: string) => process.stdout.write(`${text}\n`);
  if (verb === 'import') {
    if (rest.length !== 1) throw new UsageError('prices import takes one CSV file', PRICES_HELP);
    try {
      const r = await importPrices(warehouse, rest[0] as string);
      out(`imported ${r.rows} prices into system.billing.prices (version ${r.version}); they replace the earlier list`);
    } catch (e) {
      if (e instanceof CsvError) throw new UsageError(`${rest[0]}: ${e.message}`);
      throw e;
    }
    return 0;
  }
  if (rest.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(rest[0])}`, PRICES_HELP);
  if (verb === 'list') {
    const { from, prices } = await currentPrices(warehouse);
    if (values.json) out(JSON.stringify({ from, prices }, null, 2));
    else {
      out(from === 'defaults' ? `Shipped default prices (no system.billing.prices in the warehouse), USD per million tokens` : 'Prices from system.billing.prices, USD per million tokens');
      out(tableLines(['model pattern', 'token type', 'usd/M', 'valid from', 'retrieved'], prices.map((p) => [p.model_pattern, p.token_type, String(p.usd_per_million_tokens), p.valid_from, p.retrieved ?? '-']), [false, false, true, false, false]));
    }
    return 0;
  }
  if (verb === 'missing') {
    const engine = await QueryEngine.open({ warehouse });
    try {
      const rows = await missingPrices(engine, values.schema);
      if (values.json) out(JSON.stringify(rows, null, 2));
      else if (rows.length === 0) out('Every model and token type used has a price.');
      else out(tableLines(['agent', 'model', 'token type', 'tokens', 'first day', 'last day'], rows.map((r) => [r.agent, r.model ?? '(no model)', r.tokenType, String(r.tokens), r.firstDay, r.lastDay]), [false, false, false, true, false, false]));
    } finally {
      engine.close();
    }
    return 0;
  }
  throw new UsageError(verb === undefined ? 'give import, list or missing' : `unknown prices command ${JSON.stringify(verb)}`, PRICES_HELP);
}
