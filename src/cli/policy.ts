// `otlp2delta policy check FILE`: validates a policy file and shows, on
// recorded requests, what its privacy rules would do, so a rule is seen
// working on an agent's real telemetry before it is put in force.
import { INFLIGHT_BYTES_MAX } from '../config/limits.ts';
import { parseContentType } from '../http/content-type.ts';
import { decodeRequest } from '../otlp/codec.ts';
import { decompress, parseContentEncoding } from '../otlp/compression.ts';
import type { AnyValue } from '../otlp/types.ts';
import { loadPolicyFile, type PolicyDocument } from '../policy/document.ts';
import { summarizeLimits } from '../policy/limits-config.ts';
import { applyPrivacy, noChanges, type PrivacyReport } from '../policy/privacy-apply.ts';
import { summarizePrivacy } from '../policy/privacy-config.ts';
import { createPrivacyRules } from '../policy/privacy-rules.ts';
import { discoverInputs } from '../replay/inputs.ts';
import { recordsIn, type ReplayRequest } from '../replay/request.ts';
import { readInputs } from '../replay/run.ts';
import { parseTableName, type TableName } from '../tables/names.ts';
import { parseCommandArgs, UsageError } from './usage.ts';

export const POLICY_HELP = `usage: otlp2delta policy check FILE [--request CAPTURE_OR_FIXTURE ...] [--table C.S.T]

Checks a policy file: exits 0 and prints the limits and privacy rules it sets, or exits 1
with the first problem, naming the setting. With --request, applies the privacy rules to
each recorded request (captures from 'serve --capture', recorded fixtures, Collector files;
directories are searched) and shows per rule which keys it drops, pseudonymizes, masks or
leaves out, how often, and one shortened before -> after example. Nothing is sent anywhere.

options:
  --request PATH   a capture, fixture or Collector file, or a folder of them (repeatable)
  --table C.S.T    the table to assume for requests that recorded none
  -h, --help       show this help`;

const OPTIONS = { request: { type: 'string', multiple: true }, table: { type: 'string' } } as const;

/** Values shown in examples are cut to this many characters: enough to recognise, not to copy. */
const SHOWN_CHARS_MAX = 40;

function short(s: string): string {
  return JSON.stringify(s.length > SHOWN_CHARS_MAX ? `${s.slice(0, SHOWN_CHARS_MAX)}…` : s);
}

function shown(v: AnyValue | null | undefined): string {
  if (v == null) return '(removed)';
  if (v.stringValue != null && (v.value === undefined || v.value === 'stringValue')) return short(v.stringValue);
  if (v.arrayValue) return `[${v.arrayValue.values.slice(0, 3).map(shown).join(', ')}${v.arrayValue.values.length > 3 ? ', …' : ''}]`;
  if (v.kvlistValue) return `{${v.kvlistValue.values.slice(0, 3).map((kv) => `${kv.key}: ${shown(kv.value)}`).join(', ')}${v.kvlistValue.values.length > 3 ? ', …' : ''}}`;
  if (v.boolValue != null) return String(v.boolValue);
  if (v.intValue != null) return String(v.intValue);
  if (v.doubleValue != null) return String(v.doubleValue);
  return '(empty)';
}

function reportLines(report: PrivacyReport): string[] {
  const lines: string[] = [];
  for (const [rule, entries] of report) {
    lines.push(`  ${rule}:`);
    const kept = [...entries.values()].filter((e) => e.action === 'kept');
    for (const e of entries.values()) if (e.action !== 'kept') lines.push(`    ${e.action} ${e.key} x${e.count}: ${shown(e.before)} -> ${shown(e.after)}`);
    if (kept.length > 0) lines.push(`    kept (allow list): ${kept.map((e) => `${e.key} x${e.count}`).join(', ')}`);
  }
  return lines;
}

async function checkRequest(doc: PolicyDocument, req: ReplayRequest, fallbackTable: TableName | undefined): Promise<string[]> {
  const recorded = req.table === undefined ? undefined : parseTableName(req.table, 'recorded table');
  const table = recorded ?? fallbackTable;
  const head = `request ${req.source} (${req.signal}, table ${table ? `${table.catalog}.${table.schema}.${table.table}` : 'none recorded: rules apply whatever their tables'})`;
  const body = await decompress(req.body, parseContentEncoding(req.contentEncoding), INFLIGHT_BYTES_MAX);
  const decoded = decodeRequest(req.signal, body, parseContentType(req.contentType));
  // Without a table every rule is tried, whatever tables it names.
  const plan = table
    ? createPrivacyRules(() => doc.privacy).planFor({ principal: undefined, signal: req.signal, table })
    : doc.privacy.rules.length > 0
      ? { version: `${doc.privacy.version}:all`, rules: doc.privacy.rules }
      : undefined;
  const changes = noChanges();
  const report: PrivacyReport = new Map();
  applyPrivacy(req.signal, decoded, plan, changes, report);
  const total = Object.values(changes).reduce((a, b) => a + b, 0);
  const counts = Object.entries(changes).filter(([, n]) => n > 0).map(([a, n]) => `${a} ${n}`).join(', ');
  return [
    `${head}: ${recordsIn(req.signal, decoded)} records, ${total === 0 ? 'no value changed' : `values changed: ${counts}`}`,
    ...reportLines(report),
  ];
}

async function check(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS, POLICY_HELP);
  if (values.help) {
    process.stdout.write(`${POLICY_HELP}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('give exactly one policy FILE', POLICY_HELP);
  let fallback: TableName | undefined;
  try {
    fallback = values.table === undefined ? undefined : parseTableName(values.table, '--table');
  } catch (e) {
    throw new UsageError((e as Error).message, POLICY_HELP);
  }
  const doc = loadPolicyFile(positionals[0]!);
  const out = [`policy file ${doc.file} is valid`, ...summarizeLimits(doc.limits), ...summarizePrivacy(doc.privacy)];
  process.stdout.write(`${out.join('\n')}\n`);
  let bad = 0;
  const inputs = await discoverInputs(values.request ?? []);
  for await (const item of readInputs(inputs)) {
    if (item.kind === 'bad') {
      bad++;
      process.stdout.write(`request ${item.source}: cannot be read: ${item.message}\n`);
      continue;
    }
    try {
      process.stdout.write(`${(await checkRequest(doc, item, fallback)).join('\n')}\n`);
    } catch (e) {
      bad++;
      process.stdout.write(`request ${item.source}: cannot be decoded: ${(e as Error).message}\n`);
    }
  }
  return bad > 0 ? 1 : 0;
}

export async function runPolicy(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(`${POLICY_HELP}\n`);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'check') throw new UsageError(`unknown subcommand '${sub}'`, POLICY_HELP);
  return check(rest);
}
