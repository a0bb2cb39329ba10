// The interactive SQL prompt: statements may span lines and end with ';',
// dot commands (.tables, .format, .quit) between them, and line history kept
// in a file across runs.
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import type { QueryEngine } from '../query/engine.ts';
import { formatResult, OUTPUT_FORMATS, type OutputFormat } from '../query/format.ts';
import { splitStatements, SqlTextError } from '../query/sql-text.ts';
import { truncationNote } from './sql.ts';

export type ReplOptions = {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  format: OutputFormat;
  /** Where line history is kept; ~/.otlp2delta_history by default. */
  historyFile?: string;
};

const HISTORY_MAX = 1000;
const PROMPT = 'otlp2delta> ';
const CONTINUE = '        ...> ';

const REPL_HELP = `Statements end with ';' and may span lines. Commands:
  .tables         list the warehouse's tables
  .views          list the views each catalog.schema offers
  .format F       show results as table, csv, json or ndjson
  .help           this text
  .quit           leave (or Ctrl-D)`;

async function loadHistory(file: string): Promise<string[]> {
  let lines: string[];
  try {
    lines = (await fsp.readFile(file, 'utf8')).split('\n').filter((l) => l.trim() !== '');
  } catch {
    return [];
  }
  // Entries are appended as they are run; keep the file from growing without end.
  if (lines.length > 2 * HISTORY_MAX) await fsp.writeFile(file, `${lines.slice(-HISTORY_MAX).join('\n')}\n`, { mode: 0o600 }).catch(() => undefined);
  return lines.slice(-HISTORY_MAX).reverse();
}

/**
 * The prompt's state between lines: the unfinished statement and the output
 * format. `handle` takes one line and resolves false on .quit.
 */
function session(engine: QueryEngine, print: (s: string) => void, remember: (entry: string) => void, initial: OutputFormat) {
  let format = initial;
  let buffer = '';

  const command = async (line: string): Promise<boolean> => {
    const [cmd, arg] = line.trim().split(/\s+/);
    if (cmd === '.quit' || cmd === '.exit') return false;
    if (cmd === '.help') print(REPL_HELP);
    else if (cmd === '.tables') print((await engine.tableNames()).join('\n') || '(no tables)');
    else if (cmd === '.views') print(engine.viewNames().join('\n'));
    else if (cmd === '.format' && OUTPUT_FORMATS.includes(arg as OutputFormat)) format = arg as OutputFormat;
    else print(`unknown command ${line.trim()}; .help lists them`);
    return true;
  };

  const complete = (): string[] => {
    try {
      const { statements, rest } = splitStatements(buffer);
      buffer = rest === '' ? '' : `${rest}\n`;
      return statements;
    } catch (e) {
      if (e instanceof SqlTextError) return []; // an open string or comment: keep reading
      throw e;
    }
  };

  return {
    prompt: () => (buffer === '' ? PROMPT : CONTINUE),
    async handle(line: string): Promise<boolean> {
      if (buffer === '' && line.trim().startsWith('.')) {
        remember(line);
        return command(line);
      }
      buffer += `${line}\n`;
      for (const statement of complete()) {
        remember(`${statement};`);
        try {
          const result = await engine.execute(statement);
          print(formatResult(result, format));
          const cut = truncationNote(result);
          if (cut) print(cut);
        } catch (e) {
          print(`Error: ${(e as Error).message}`);
        }
      }
      return true;
    },
  };
}

/** Reads statements until the input ends or .quit; resolves with the exit status. */
export async function runRepl(engine: QueryEngine, opts: ReplOptions): Promise<number> {
  const historyFile = opts.historyFile ?? path.join(os.homedir(), '.otlp2delta_history');
  const rl = readline.createInterface({
    input: opts.input,
    output: opts.output,
    // readline keeps history (newest first) only on a terminal.
    history: await loadHistory(historyFile),
    historySize: HISTORY_MAX,
    removeHistoryDuplicates: true,
  });
  // Each statement (on one line) and command goes to the file as it is run,
  // so a later session can recall it even if this one is killed.
  let saving = Promise.resolve();
  const remember = (entry: string) => {
    const text = `${entry.replace(/\s*\n\s*/g, ' ').trim()}\n`;
    saving = saving.then(() => fsp.appendFile(historyFile, text, { mode: 0o600 })).catch(() => undefined);
  };
  const state = session(engine, (s) => opts.output.write(`${s}\n`), remember, opts.format);

  return new Promise<number>((resolve) => {
    // Lines are handled one at a time, in order, even while a query runs.
    let chain = Promise.resolve(true);
    // Input may end while a statement still runs; from Node.js 22 a prompt on
    // a closed interface throws, so the queued lines finish without one.
    let closed = false;
    rl.setPrompt(PROMPT);
    rl.prompt();
    rl.on('line', (line) => {
      chain = chain.then(async (going) => {
        if (!going) return false;
        const more = await state.handle(line);
        if (!more) rl.close();
        else if (!closed) {
          rl.setPrompt(state.prompt());
          rl.prompt();
        }
        return more;
      });
    });
    rl.on('close', () => {
      closed = true;
      void chain.then(async () => {
        await saving;
        resolve(0);
      });
    });
  });
}
