// The spend and teams sections of `otlp2delta usage` as aligned text.
import type { CostSection } from '../cost/report.ts';
import { tableLines } from './table-arg.ts';

const usd = (n: number | null) => (n === null ? '-' : `$${n.toFixed(n !== 0 && Math.abs(n) < 0.01 ? 4 : 2)}`);
const pct = (n: number | null) => (n === null ? '-' : `${n.toFixed(1)}%`);
const int = (n: number) => Math.round(n).toLocaleString('en-US');

export function renderCost(c: CostSection, span: string, agentName: (a: string) => string): string[] {
  const out: string[] = [];
  const spend = c.spendByAgent.map((a) => [agentName(a.agent), usd(a.reportedUsd), usd(a.estimatedUsd), usd(a.spendUsd), a.basis]);
  if (spend.length > 0) out.push(`Spend by agent (${span}; spend is the reported cost where there is one, else the estimate)\n${tableLines(['agent', 'reported', 'estimated', 'spend', 'spend is'], spend, [false, true, true, true, false])}`);
  if (c.budgets.length > 0) {
    const rows = c.topBudgets.map((b) => [b.scope === 'all' ? 'everyone' : `${b.scope} ${b.subject}`, b.period, usd(b.budgetUsd), usd(b.spentUsd), pct(b.percentUsed), usd(b.remainingUsd)]);
    const more = c.budgets.length > c.topBudgets.length ? `\n${c.budgets.length - c.topBudgets.length} more budgets; --json lists them all` : '';
    out.push(`Budgets (top ${c.topBudgets.length} by % used; this day or month to date)\n${tableLines(['budget', 'period', 'limit', 'spent', 'used', 'remaining'], rows, [false, false, true, true, true, true])}${more}`);
  }
  const outcomes = c.outcomes.filter((o) => o.commits > 0 || o.pullRequests > 0 || o.linesChanged > 0);
  if (outcomes.length > 0) {
    const rows = outcomes.map((o) => [o.level, o.key ?? '(unknown)', o.level === 'user' ? (o.team ?? '-') : '', usd(o.spendUsd), String(o.commits), usd(o.costPerCommit), String(o.pullRequests), usd(o.costPerPullRequest), int(o.linesChanged), usd(o.costPerLine)]);
    out.push(
      `Outcomes (${span}; per commit and pull request: Claude Code spend, per line: Claude Code and Gemini CLI spend)\n${tableLines(['', 'who', 'team', 'spend', 'commits', 'per commit', 'PRs', 'per PR', 'lines', 'per line'], rows, [false, false, false, true, true, true, true, true, true, true])}`,
    );
  }
  const cache = c.cache.map((r) => [agentName(r.agent), int(r.inputTokens), int(r.cacheReadTokens), pct(r.cacheHitRate === null ? null : 100 * r.cacheHitRate)]);
  if (cache.length > 0) out.push(`Cache hit rate (${span}; cache read / (input + cache read))\n${tableLines(['agent', 'input', 'cache read', 'hit rate'], cache, [false, true, true, true])}`);
  if (c.unpriced.tokens > 0) {
    out.push(`Estimates leave out ${int(c.unpriced.tokens)} tokens of ${c.unpriced.models} ${c.unpriced.models === 1 ? 'model' : 'models'} with no price (otlp2delta prices missing lists them).`);
  }
  if (c.directory.notInDirectory > 0) {
    const names = c.directory.missing.slice(0, 10).join(', ') + (c.directory.missing.length > 10 ? ', ...' : '');
    out.push(`Directory: ${c.directory.notInDirectory} of ${c.directory.users} users are not in the directory (team '(not in directory)'): ${names}`);
  }
  return out;
}
