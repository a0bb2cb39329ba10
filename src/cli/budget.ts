// `otlp2delta budget`: set, remove and list spending limits.
import { EVERYONE, type Budget } from '../cost/budgets.ts';
import { changeBudgets, listBudgets } from '../cost/store.ts';
import { numberOption, tableLines, warehouseFromArgs } from './table-arg.ts';
import { parseCommandArgs, UsageError } from './usage.ts';

export const BUDGET_HELP = `usage: otlp2delta budget set (--user EMAIL | --team TEAM | --all) [--monthly-usd N] [--daily-usd N] [--warehouse DIR]
       otlp2delta budget remove (--user EMAIL | --team TEAM | --all) [--monthly] [--daily] [--warehouse DIR]
       otlp2delta budget list [--json] [--warehouse DIR]

Spending limits in USD per UTC day or calendar month, for one user, one team
of the directory, or everyone (system.billing.budgets). set replaces the
limit of the same scope and period and keeps the others; remove drops the
given periods (both without --monthly or --daily). otlp2delta usage shows
spend against each: reported cost where the agent sends one, else the
estimate from the price list.

options:
  --user EMAIL      a user (an email, a token principal or an agent's user id)
  --team TEAM       a team of the directory
  --all             everyone
  --monthly-usd N   the limit for a calendar month
  --daily-usd N     the limit for a day
  --json            print JSON
  --warehouse DIR   folder holding the tables (env OTLP2DELTA_WAREHOUSE, default ./warehouse)
  -h, --help        show this help`;

export async function runBudget(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    {
      user: { type: 'string' },
      team: { type: 'string' },
      all: { type: 'boolean' },
      'monthly-usd': { type: 'string' },
      'daily-usd': { type: 'string' },
      monthly: { type: 'boolean' },
      daily: { type: 'boolean' },
      json: { type: 'boolean' },
      warehouse: { type: 'string' },
    },
    BUDGET_HELP,
  );
  if (values.help) {
    process.stdout.write(`${BUDGET_HELP}\n`);
    return 0;
  }
  const [verb, ...rest] = positionals;
  if (rest.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(rest[0])}`, BUDGET_HELP);
  const warehouse = warehouseFromArgs(values.warehouse);
  if (verb === 'list') {
    const budgets = await listBudgets(warehouse);
    const rows = budgets.map((b) => [b.scope, b.subject, b.period, `$${b.usd.toFixed(2)}`, b.updated_at]);
    process.stdout.write(`${values.json ? JSON.stringify(budgets, null, 2) : budgets.length === 0 ? '(no budgets)' : tableLines(['scope', 'subject', 'period', 'limit', 'updated'], rows, [false, false, false, true, false])}\n`);
    return 0;
  }
  if (verb !== 'set' && verb !== 'remove') throw new UsageError(verb === undefined ? 'give set, remove or list' : `unknown budget command ${JSON.stringify(verb)}`, BUDGET_HELP);
  const scopes = [values.user !== undefined, values.team !== undefined, values.all === true].filter(Boolean).length;
  if (scopes !== 1) throw new UsageError('give exactly one of --user, --team and --all', BUDGET_HELP);
  const scope: Budget['scope'] = values.user !== undefined ? 'user' : values.team !== undefined ? 'team' : 'all';
  const subject = scope === 'user' ? (values.user as string).toLowerCase() : scope === 'team' ? (values.team as string) : EVERYONE;
  if (subject.trim() === '') throw new UsageError(`--${scope} must not be empty`, BUDGET_HELP);
  const now = new Date().toISOString();
  const changes: Budget[] = [];
  if (verb === 'set') {
    if (values.monthly || values.daily) throw new UsageError('set takes --monthly-usd and --daily-usd with amounts', BUDGET_HELP);
    const monthly = numberOption('monthly-usd', values['monthly-usd'], BUDGET_HELP);
    const daily = numberOption('daily-usd', values['daily-usd'], BUDGET_HELP);
    if (monthly === undefined && daily === undefined) throw new UsageError('give --monthly-usd, --daily-usd or both', BUDGET_HELP);
    if (monthly !== undefined) changes.push({ scope, subject, period: 'monthly', usd: monthly, updated_at: now });
    if (daily !== undefined) changes.push({ scope, subject, period: 'daily', usd: daily, updated_at: now });
  } else {
    if (values['monthly-usd'] !== undefined || values['daily-usd'] !== undefined) throw new UsageError('remove takes --monthly and --daily, without amounts', BUDGET_HELP);
    const both = !values.monthly && !values.daily;
    if (both || values.monthly) changes.push({ scope, subject, period: 'monthly', usd: 0, updated_at: now });
    if (both || values.daily) changes.push({ scope, subject, period: 'daily', usd: 0, updated_at: now });
  }
  const all = await changeBudgets(warehouse, changes, verb === 'remove');
  process.stdout.write(`${verb === 'set' ? 'set' : 'removed'} ${changes.map((c) => `${c.period} ${scope === 'all' ? 'everyone' : `${scope} ${subject}`}${verb === 'set' ? ` $${c.usd.toFixed(2)}` : ''}`).join(', ')}; ${all.length} budgets in system.billing.budgets\n`);
  return 0;
}
