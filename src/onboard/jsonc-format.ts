// JSON with comments (Claude Code's and Gemini CLI's settings.json), edited
// through jsonc-parser so comments, order and spacing of everything else stay.
import { applyEdits, modify, parse, printParseErrorCode, type FormattingOptions, type ParseError } from 'jsonc-parser';
import { EditRefused, type ConfigFormat, type ConfigPath } from './format.ts';
import { valueAt } from './same-value.ts';

const PARSE_OPTIONS = { allowTrailingComma: true, disallowComments: false, allowEmptyContent: true };

/** The indentation and line ending the file already uses, so inserted lines look like their neighbours. */
function formatting(text: string): FormattingOptions {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const indent = /\n([ \t]+)\S/.exec(text)?.[1] ?? '  ';
  return indent.startsWith('\t') ? { insertSpaces: false, tabSize: 1, eol } : { insertSpaces: true, tabSize: indent.length, eol };
}

export const jsoncFormat: ConfigFormat = {
  name: 'JSON',
  problem(text) {
    const errors: ParseError[] = [];
    const doc = parse(text, errors, PARSE_OPTIONS) as unknown;
    if (errors.length > 0) {
      const e = errors[0]!;
      const line = text.slice(0, e.offset).split('\n').length;
      return `it does not parse as JSON: ${printParseErrorCode(e.error)} at line ${line}`;
    }
    if (text.trim() !== '' && (typeof doc !== 'object' || doc === null || Array.isArray(doc))) return 'it does not hold a JSON object';
    return undefined;
  },
  parse(text) {
    return text.trim() === '' ? {} : (parse(text, [], PARSE_OPTIONS) as unknown);
  },
  set(text, path: ConfigPath, value) {
    const doc = this.parse(text);
    for (let i = 1; i < path.length; i++) {
      const parent = valueAt(doc, path.slice(0, i));
      if (parent !== undefined && (typeof parent !== 'object' || parent === null || Array.isArray(parent))) {
        throw new EditRefused(`"${path.slice(0, i).join('.')}" is not an object in the file; fix it by hand first`);
      }
    }
    const base = text.trim() === '' ? '{}\n' : text;
    return applyEdits(base, modify(base, [...path], value, { formattingOptions: formatting(base) }));
  },
  remove(text, path) {
    if (valueAt(this.parse(text), path) === undefined) return text;
    return applyEdits(text, modify(text, [...path], undefined, { formattingOptions: formatting(text) }));
  },
};
