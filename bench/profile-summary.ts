// Summarises a V8 .cpuprofile (node --cpu-prof) as self time per function and
// per source area, to show where a server's event-loop thread spends its time.
// Usage: npx tsx bench/profile-summary.ts FILE.cpuprofile [--top N] [--from-s A --to-s B] [--long-ms M]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

type CallFrame = { functionName: string; url: string; lineNumber: number };
type ProfileNode = { id: number; callFrame: CallFrame; children?: number[] };
type Profile = { nodes: ProfileNode[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] };

/** Coarse owner of a frame: our sources by folder, dependencies by package, Node internals, V8 states. */
function areaOf(f: CallFrame): string {
  const src = /\/src\/([^/]+)\//.exec(f.url);
  if (src && !f.url.includes('node_modules')) return `src/${src[1]}`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f.url);
  if (pkg) return pkg[1]!;
  if (f.url.startsWith('node:')) return 'node internals';
  if (f.url === '') return f.functionName.startsWith('(') ? f.functionName : 'native';
  return 'other';
}

const shortUrl = (url: string): string => url.replace(/^.*?\/(src|node_modules)\//, '$1/').replace(/^file:\/\//, '');

export function summarize(profile: Profile, fromUs = 0, toUs = Infinity) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  let t = profile.startTime;
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    const rel = t - profile.startTime;
    if (rel < fromUs || rel > toUs) continue;
    // A sample's time is the gap to the next one; the last one has none.
    const dt = profile.timeDeltas[i + 1] ?? 0;
    selfUs.set(profile.samples[i]!, (selfUs.get(profile.samples[i]!) ?? 0) + dt);
    total += dt;
  }
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const f = byId.get(id)!.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${shortUrl(f.url)}${f.url ? `:${f.lineNumber + 1}` : ''}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    byArea.set(areaOf(f), (byArea.get(areaOf(f)) ?? 0) + us);
  }
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  return { totalMs: total / 1000, byArea: sorted(byArea), byFunction: sorted(byFunction) };
}

/**
 * Stretches where the thread ran without an idle sample for at least `minMs`:
 * the tasks that held every other callback (and every acknowledgement) up.
 */
export function longTasks(profile: Profile, minMs: number, top: number) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // The outermost frame of our own code (or of a dependency) names what the task was doing.
  const owner = (id: number): string => {
    let best = '';
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)!.callFrame;
      if (f.url.includes('/src/') || f.url.includes('node_modules')) best = `${f.functionName || '(anonymous)'} ${shortUrl(f.url)}`;
    }
    return best || byId.get(id)!.callFrame.functionName;
  };
  const tasks: { startMs: number; ms: number; self: Map<string, number> }[] = [];
  let t = profile.startTime;
  let cur: { startMs: number; ms: number; self: Map<string, number> } | undefined;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    const id = profile.samples[i]!;
    const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    if (byId.get(id)!.callFrame.functionName === '(idle)') {
      if (cur && cur.ms >= minMs) tasks.push(cur);
      cur = undefined;
      continue;
    }
    cur ??= { startMs: (t - profile.startTime) / 1000, ms: 0, self: new Map() };
    cur.ms += dt;
    const key = owner(id);
    cur.self.set(key, (cur.self.get(key) ?? 0) + dt);
  }
  if (cur && cur.ms >= minMs) tasks.push(cur);
  return tasks
    .sort((a, b) => b.ms - a.ms)
    .slice(0, top)
    .map((k) => ({ startMs: k.startMs, ms: k.ms, owners: [...k.self].sort((a, b) => b[1] - a[1]).slice(0, 4) }));
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string' }, 'from-s': { type: 'string' }, 'to-s': { type: 'string' }, 'long-ms': { type: 'string' } },
  });
  const file = positionals[0];
  if (!file) throw new Error('usage: profile-summary FILE.cpuprofile [--top N] [--from-s A --to-s B]');
  const top = Number(values.top ?? 30);
  const from = Number(values['from-s'] ?? 0) * 1e6;
  const to = values['to-s'] === undefined ? Infinity : Number(values['to-s']) * 1e6;
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  if (values['long-ms'] !== undefined) {
    for (const k of longTasks(profile, Number(values['long-ms']), top)) {
      const parts = k.owners.map(([o, ms]) => `${ms.toFixed(0)} ms ${o}`).join('; ');
      process.stdout.write(`at ${(k.startMs / 1000).toFixed(2)} s: ${k.ms.toFixed(0)} ms busy: ${parts}\n`);
    }
    return;
  }
  const s = summarize(profile, from, to);
  const pct = (us: number) => `${((100 * us) / 1000 / s.totalMs).toFixed(1).padStart(5)}%`;
  const ms = (us: number) => `${(us / 1000).toFixed(0).padStart(7)} ms`;
  process.stdout.write(`sampled ${s.totalMs.toFixed(0)} ms\n\nby area:\n`);
  for (const [k, us] of s.byArea.slice(0, top)) process.stdout.write(`${ms(us)} ${pct(us)}  ${k}\n`);
  process.stdout.write('\nby function (self time):\n');
  for (const [k, us] of s.byFunction.slice(0, top)) process.stdout.write(`${ms(us)} ${pct(us)}  ${k}\n`);
}

main();
