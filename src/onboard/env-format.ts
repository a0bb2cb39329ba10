// A dotenv file (Gemini CLI's ~/.gemini/.env): KEY=value lines. Only lines of
// the keys being set are touched; values are written double-quoted.
import { EditRefused, type ConfigFormat, type ConfigPath } from './format.ts';

const ASSIGN = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=(.*)$/;

function unquoted(raw: string): string {
  const v = raw.trim();
  if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) return v.slice(1, -1).replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
  if (v.startsWith("'") && v.endsWith("'") && v.length >= 2) return v.slice(1, -1);
  return v.replace(/\s+#.*$/, '');
}

const quoted = (v: string): string => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;

function key(path: ConfigPath): string {
  if (path.length !== 1) throw new EditRefused('an environment file has one level of keys');
  return path[0]!;
}

function split(text: string): { lines: string[]; eol: string } {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  return { lines: text.split(eol), eol };
}

export const envFormat: ConfigFormat = {
  name: 'environment file',
  problem(text) {
    const lines = text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      const t = lines[i]!.trim();
      if (t === '' || t.startsWith('#')) continue;
      if (!ASSIGN.test(lines[i]!)) return `line ${i + 1} is not KEY=value`;
    }
    return undefined;
  },
  parse(text) {
    const out: Record<string, string> = {};
    for (const line of text.split(/\r?\n/)) {
      const m = ASSIGN.exec(line);
      if (m && !line.trim().startsWith('#')) out[m[1]!] = unquoted(m[2]!);
    }
    return out;
  },
  set(text, path, value) {
    const k = key(path);
    if (typeof value !== 'string') throw new EditRefused('environment values are strings');
    const { lines, eol } = split(text);
    const line = `${k}=${quoted(value)}`;
    const at = lines.findIndex((l) => ASSIGN.exec(l)?.[1] === k && !l.trim().startsWith('#'));
    if (at >= 0) {
      lines[at] = line;
      return lines.join(eol);
    }
    if (text === '') return `${line}${eol}`;
    // The last element is '' when the file ends with a newline: insert before it.
    if (lines[lines.length - 1] === '') lines.splice(lines.length - 1, 0, line);
    else lines.push(line);
    return lines.join(eol) + (text.endsWith(eol) ? '' : '');
  },
  remove(text, path) {
    const k = key(path);
    const { lines, eol } = split(text);
    const kept = lines.filter((l) => !(ASSIGN.exec(l)?.[1] === k && !l.trim().startsWith('#')));
    return kept.join(eol);
  },
};
