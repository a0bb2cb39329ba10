// TOML (Codex's config.toml), edited as text: only the lines of the keys
// being set are replaced or added, inside their [section]; every edit is
// parsed again with smol-toml and checked to have changed nothing else.
import { parse } from 'smol-toml';
import { EditRefused, type ConfigFormat, type ConfigPath } from './format.ts';
import { sameValue, valueAt, without } from './same-value.ts';

const HEADER = /^\s*\[\s*([^[\]]+?)\s*\]\s*(#.*)?$/;
const ARRAY_HEADER = /^\s*\[\[/;

const unquote = (k: string): string => (/^(".*"|'.*')$/.test(k) ? k.slice(1, -1) : k);

/** A key as TOML writes it: bare when it can be. */
const tomlKey = (k: string): string => (/^[A-Za-z0-9_-]+$/.test(k) ? k : JSON.stringify(k));

/** A value as a one-line TOML value; strings in JSON's escaping, which TOML basic strings share. */
export function tomlInline(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(tomlInline).join(', ')}]`;
  if (typeof v === 'object' && v !== null) {
    const parts = Object.entries(v).map(([k, x]) => `${tomlKey(k)} = ${tomlInline(x)}`);
    return parts.length === 0 ? '{}' : `{ ${parts.join(', ')} }`;
  }
  throw new EditRefused(`cannot write ${typeof v} as TOML`);
}

type Layout = { lines: string[]; eol: string; trailingEol: boolean };

function layout(text: string): Layout {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const trailingEol = text.endsWith(eol);
  const body = trailingEol ? text.slice(0, -eol.length) : text;
  return { lines: body === '' ? [] : body.split(eol), eol, trailingEol };
}

const join = (l: Layout): string => (l.lines.length === 0 ? '' : l.lines.join(l.eol) + (l.trailingEol ? l.eol : ''));

/** The line range [start, end) of section `name`'s body, or undefined when the file has no such header. */
function sectionRange(lines: string[], name: string): [number, number] | undefined {
  let start = -1;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const m = HEADER.exec(line);
    const isHeader = m !== null || ARRAY_HEADER.test(line);
    if (start >= 0 && isHeader) return [start, i];
    if (m && unquote(m[1]!) === name) start = i + 1;
  }
  return start >= 0 ? [start, lines.length] : undefined;
}

/** The lines [i, j) a key's assignment takes: the fewest that parse on their own (arrays may span lines). */
function assignmentEnd(lines: string[], i: number, end: number): number {
  for (let j = i + 1; j <= end; j++) {
    try {
      parse(lines.slice(i, j).join('\n'));
      return j;
    } catch {
      // the value goes on
    }
  }
  throw new EditRefused(`the assignment at line ${i + 1} does not parse on its own`);
}

function findKey(lines: string[], range: [number, number], key: string): [number, number] | undefined {
  const re = /^\s*("(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+)\s*=/;
  for (let i = range[0]; i < range[1]; i++) {
    const m = re.exec(lines[i]!);
    if (m && unquote(m[1]!) === key) return [i, assignmentEnd(lines, i, range[1])];
  }
  return undefined;
}

function checkPath(path: ConfigPath): [string, string] {
  if (path.length !== 2) throw new EditRefused('only keys of a [section] are edited');
  return [path[0]!, path[1]!];
}

function parseDoc(text: string): unknown {
  return parse(text);
}

/** Refuses an edit whose result differs from the original anywhere but at `path`, or lacks the value set. */
function verified(before: string, after: string, path: ConfigPath, value: unknown): string {
  let doc: unknown;
  try {
    doc = parseDoc(after);
  } catch (e) {
    throw new EditRefused(`the edited file would not parse (${(e as Error).message.split('\n')[0]}); left unchanged`);
  }
  if (!sameValue(valueAt(doc, path), value)) throw new EditRefused(`the edit of ${path.join('.')} would not read back as written; left unchanged`);
  if (!sameValue(without(doc, [path]), without(parseDoc(before), [path]))) throw new EditRefused(`the edit of ${path.join('.')} would change other settings; left unchanged`);
  return after;
}

export const tomlFormat: ConfigFormat = {
  name: 'TOML',
  problem(text) {
    try {
      parseDoc(text);
      return undefined;
    } catch (e) {
      return `it does not parse as TOML: ${(e as Error).message.split('\n')[0]}`;
    }
  },
  parse: parseDoc,
  set(text, path, value) {
    const [section, key] = checkPath(path);
    const doc = parseDoc(text);
    const l = layout(text);
    const line = `${tomlKey(key)} = ${tomlInline(value)}`;
    const range = sectionRange(l.lines, section);
    if (!range) {
      if (valueAt(doc, [section]) !== undefined) {
        throw new EditRefused(`${section} is set without a [${section}] header (dotted keys or an inline table); move it under a [${section}] header first`);
      }
      const lines = [...l.lines];
      if (lines.length > 0 && lines[lines.length - 1]!.trim() !== '') lines.push('');
      lines.push(`[${section}]`, line);
      return verified(text, join({ ...l, lines, trailingEol: l.trailingEol || text === '' }), path, value);
    }
    const found = findKey(l.lines, range, key);
    const lines = [...l.lines];
    if (found) {
      const indent = /^\s*/.exec(lines[found[0]]!)![0];
      lines.splice(found[0], found[1] - found[0], indent + line);
    } else {
      if (valueAt(doc, path) !== undefined) throw new EditRefused(`${path.join('.')} is set in a way this edit cannot replace in place ([${path.join('.')}] table?); remove it by hand first`);
      // After the section's last assignment, so comments and blank lines before the next header stay where they are.
      let at = range[0];
      for (let i = range[0]; i < range[1]; i++) if (lines[i]!.trim() !== '' && !lines[i]!.trim().startsWith('#')) at = i + 1;
      lines.splice(at, 0, line);
    }
    return verified(text, join({ ...l, lines, trailingEol: l.trailingEol || text === '' }), path, value);
  },
  remove(text, path) {
    const [section, key] = checkPath(path);
    const l = layout(text);
    const range = sectionRange(l.lines, section);
    const found = range && findKey(l.lines, range, key);
    if (!found) return text;
    const lines = [...l.lines];
    lines.splice(found[0], found[1] - found[0]);
    const after = join({ ...l, lines });
    const doc = parseDoc(after);
    if (!sameValue(without(doc, [path]), without(parseDoc(text), [path]))) throw new EditRefused(`removing ${path.join('.')} would change other settings; left unchanged`);
    return after;
  },
};

/** Removes a [section] header that has nothing left under it (one this tool added). */
export function removeEmptySection(text: string, section: string): string {
  const l = layout(text);
  const range = sectionRange(l.lines, section);
  if (!range) return text;
  const body = l.lines.slice(range[0], range[1]);
  if (body.some((x) => x.trim() !== '')) return text;
  const lines = [...l.lines];
  let from = range[0] - 1;
  if (from > 0 && lines[from - 1]!.trim() === '') from--;
  lines.splice(from, range[1] - from);
  return join({ ...l, lines });
}
