// configure and unconfigure for one agent: every file's edit is worked out
// and checked first, and only when all of them can be made safely is any
// written (a backup before each change), so an agent is never left half set.
import { EditRefused } from './format.ts';
import { shadowingEnvFiles } from './gemini-env-files.ts';
import { lineDiff } from './diff.ts';
import type { Environment, OnboardOptions } from './options.ts';
import type { AgentDef, FilePlan } from './plan.ts';
import { sameValue, valueAt, without } from './same-value.ts';
import { backup, readCurrent, removeFile, writeAtomic, type Current } from './safe-write.ts';
import { readState, sha256, writeState, type AgentState, type FileRecord } from './state.ts';
import { removeEmptySection } from './toml-format.ts';

export type FileOutcome = {
  file: string;
  action: 'unchanged' | 'created' | 'updated' | 'removed' | 'restored';
  diff: string;
  backup?: string | undefined;
  warnings: string[];
};

export type AgentOutcome = { agent: string; ok: boolean; files: FileOutcome[]; error?: string; warnings?: string[] };

/** Settings from elsewhere that win over the user's file: managed (system-wide) files and the environment. */
export async function overrides(def: AgentDef, o: OnboardOptions, e: Environment): Promise<string[]> {
  const plan = def.plan(o, e);
  const out: string[] = [];
  for (const managed of plan.managedFiles) {
    const cur = await readCurrent(managed);
    if (!cur) continue;
    // The managed file has the layout of the agent's main user file.
    const f = plan.files[0]!;
    if (f.format.problem(cur.text)) {
      out.push(`${managed} (managed settings) does not parse; the agent may refuse to start`);
      continue;
    }
    const doc = f.format.parse(cur.text);
    for (const s of f.settings) {
      const v = valueAt(doc, s.path);
      if (v !== undefined && !sameValue(v, s.value)) out.push(`${managed} (managed settings) sets ${s.path.join('.')}, which wins over ${f.file}; ask whoever manages this machine`);
    }
  }
  if (def.agent === 'gemini' && e.cwd !== undefined) {
    for (const f of shadowingEnvFiles(e.cwd, e.env.GEMINI_CLI_HOME ?? e.env.HOME ?? e.home)) out.push(`${f} is loaded instead of ${plan.files[1]!.file} when Gemini CLI starts in ${e.cwd}: add the OTEL_EXPORTER_OTLP_*_HEADERS lines there too`);
  }
  for (const name of Object.keys(e.env).sort()) {
    if (plan.overridingEnv(name)) out.push(`${name} is set in this shell's environment and wins over what configure writes; unset it (or remove it from your shell profile)`);
  }
  return out;
}

type Worked = { plan: FilePlan; cur: Current; next: string; mode: number; record: FileRecord | undefined; conflicts: string[] };

function edit(plan: FilePlan, cur: Current): string {
  const text = cur?.text ?? '';
  const problem = plan.format.problem(text);
  if (problem) throw new EditRefused(`${plan.file} is not changed: ${problem}. Fix it (or move it away) and run configure again`);
  let next = text;
  for (const s of plan.settings) {
    if (!sameValue(valueAt(plan.format.parse(next), s.path), s.value)) next = plan.format.set(next, s.path, s.value);
  }
  const after = plan.format.parse(next);
  for (const s of plan.settings) if (!sameValue(valueAt(after, s.path), s.value)) throw new EditRefused(`${plan.file}: ${s.path.join('.')} would not read back as written; not changed`);
  const paths = plan.settings.map((s) => s.path);
  if (!sameValue(without(after, paths), without(plan.format.parse(text), paths))) throw new EditRefused(`${plan.file}: the edit would change other settings; not changed`);
  return next;
}

function recordFor(plan: FilePlan, cur: Current, next: string, prior: FileRecord | undefined): FileRecord {
  const text = cur?.text ?? '';
  const doc = plan.format.parse(text);
  // Byte-exact undo is only right while the file holds nothing but configure's own changes.
  const intact = prior !== undefined && cur !== undefined && sha256(text) === prior.writtenSha256;
  const base: FileRecord = prior
    ? { ...prior, restorable: intact && prior.restorable }
    : { file: plan.file, original: cur?.text ?? null, originalMode: cur?.mode ?? null, restorable: true, writtenSha256: '', paths: [], createdParents: [] };
  const paths = plan.settings.map((s) => {
    const old = base.paths.find((p) => sameValue(p.path, s.path));
    if (old) return { ...old, written: s.value };
    const previous = valueAt(doc, s.path);
    return { path: [...s.path], had: previous !== undefined, ...(previous !== undefined ? { previous } : {}), written: s.value };
  });
  const createdParents = [...base.createdParents];
  for (const s of plan.settings) {
    const parent = s.path.slice(0, -1);
    if (parent.length > 0 && valueAt(doc, parent) === undefined && !createdParents.some((p) => sameValue(p, parent))) createdParents.push([...parent]);
  }
  return { ...base, paths, createdParents, writtenSha256: sha256(next) };
}

/** Headers carry tokens and API keys: their values are never shown. */
const shown = (path: readonly string[], v: unknown): string =>
  path.some((k) => /headers/i.test(k)) || (typeof v === 'object' && v !== null) ? '(a value of its own, not shown)' : JSON.stringify(v);

/** A value of the user's that configure replaces is a conflict worth saying. */
function replaced(f: FilePlan, doc: unknown, prior: FileRecord | undefined): string[] {
  return f.settings.flatMap((s) => {
    const cur = valueAt(doc, s.path);
    // A value configure itself wrote earlier is not the user's.
    const ours = prior?.paths.some((p) => sameValue(p.path, s.path) && sameValue(p.written, cur)) ?? false;
    return cur !== undefined && !ours && !sameValue(cur, s.value) ? [`${s.path.join('.')} was ${shown(s.path, cur)}: replaced (unconfigure puts it back)`] : [];
  });
}

/** The new text of every file, or the reason none can be written. */
async function work(def: AgentDef, o: OnboardOptions, e: Environment, state: AgentState | undefined): Promise<Worked[]> {
  const plan = def.plan(o, e);
  const out: Worked[] = [];
  for (const f of plan.files) {
    const cur = await readCurrent(f.file);
    const next = edit(f, cur);
    const mode = f.secret ? 0o600 : (cur?.mode ?? 0o644);
    const prior = state?.files.find((r) => r.file === f.file);
    const changed = next !== (cur?.text ?? null) || mode !== cur?.mode;
    const doc = f.format.parse(cur?.text ?? '');
    out.push({ plan: f, cur, next, mode, record: changed ? recordFor(f, cur, next, prior) : prior, conflicts: [...replaced(f, doc, prior), ...f.conflicts(doc)] });
  }
  return out;
}

export async function configureAgent(def: AgentDef, o: OnboardOptions, e: Environment, opts: { dryRun?: boolean } = {}): Promise<AgentOutcome> {
  const state = await readState(e, def.agent);
  let worked: Worked[];
  try {
    worked = await work(def, o, e, state);
  } catch (err) {
    if (err instanceof EditRefused) return { agent: def.agent, ok: false, files: [], error: err.message };
    throw err;
  }
  const files: FileOutcome[] = [];
  const records = worked.flatMap((w) => (w.record ? [w.record] : []));
  const keep = (state?.files ?? []).filter((r) => !records.some((x) => x.file === r.file));
  const changedAny = worked.some((w) => w.next !== (w.cur?.text ?? null) || w.mode !== w.cur?.mode);
  if (!opts.dryRun && changedAny) await writeState(e, { version: 1, agent: def.agent, files: [...keep, ...records] });
  for (const w of worked) {
    const changed = w.next !== (w.cur?.text ?? null) || w.mode !== w.cur?.mode;
    const outcome: FileOutcome = {
      file: w.plan.file,
      action: !changed ? 'unchanged' : w.cur ? 'updated' : 'created',
      diff: lineDiff(w.cur?.text ?? '', w.next, w.plan.file),
      warnings: w.conflicts,
    };
    if (changed && !opts.dryRun) {
      if (w.cur) outcome.backup = await backup(w.plan.file);
      await writeAtomic(w.plan.file, w.next, w.mode);
    }
    files.push(outcome);
  }
  return { agent: def.agent, ok: true, files, warnings: await overrides(def, o, e) };
}

/** Takes away the values configure set (restoring what was there before), and nothing else. */
export async function unconfigureAgent(def: AgentDef, e: Environment, opts: { dryRun?: boolean } = {}): Promise<AgentOutcome> {
  const state = await readState(e, def.agent);
  if (!state) return { agent: def.agent, ok: true, files: [], error: `nothing to undo: configure has not changed ${def.files(e).join(', ')}` };
  const plans = new Map(def.plan({ endpoint: 'http://127.0.0.1', prefix: 'c.s.p', protocol: 'http/protobuf' }, e).files.map((f) => [f.file, f]));
  const files: FileOutcome[] = [];
  const left: FileRecord[] = [];
  for (const r of state.files) {
    const plan = plans.get(r.file);
    const cur = await readCurrent(r.file);
    if (!plan || !cur) {
      files.push({ file: r.file, action: 'unchanged', diff: '', warnings: [cur ? 'not a file configure writes any more; left as it is' : 'the file is gone; nothing to undo'] });
      continue;
    }
    const warnings: string[] = [];
    let next: string | null;
    const mode = r.originalMode ?? cur.mode;
    if (r.restorable && sha256(cur.text) === r.writtenSha256) {
      next = r.original;
    } else {
      const problem = plan.format.problem(cur.text);
      if (problem) {
        files.push({ file: r.file, action: 'unchanged', diff: '', warnings: [`not changed: ${problem}`] });
        left.push(r);
        continue;
      }
      let text = cur.text;
      for (const p of r.paths) {
        const now = valueAt(plan.format.parse(text), p.path);
        if (!sameValue(now, p.written)) {
          if (now !== undefined) warnings.push(`${p.path.join('.')} was changed since configure wrote it; left as it is`);
          continue;
        }
        text = p.had ? plan.format.set(text, p.path, p.previous) : plan.format.remove(text, p.path);
      }
      for (const parent of r.createdParents) {
        const v = valueAt(plan.format.parse(text), parent);
        if (typeof v === 'object' && v !== null && Object.keys(v).length === 0) {
          text = plan.format.name === 'TOML' ? removeEmptySection(text, parent[0]!) : plan.format.remove(text, parent);
        }
      }
      next = text;
      if (r.original === null && next.trim() === '') next = null;
    }
    const action: FileOutcome['action'] = next === null ? 'removed' : next === cur.text && mode === cur.mode ? 'unchanged' : 'restored';
    const outcome: FileOutcome = { file: r.file, action, diff: lineDiff(cur.text, next ?? '', r.file), warnings };
    if (!opts.dryRun && action !== 'unchanged') {
      outcome.backup = await backup(r.file);
      if (next === null) await removeFile(r.file);
      else await writeAtomic(r.file, next, mode);
    }
    files.push(outcome);
  }
  if (!opts.dryRun) await writeState(e, { ...state, files: left });
  return { agent: def.agent, ok: true, files };
}
