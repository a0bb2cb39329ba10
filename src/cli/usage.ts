// Argument parsing shared by the commands: node's parseArgs, with errors that
// carry the command's help text.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error {
  constructor(
    message: string,
    readonly help?: string,
  ) {
    super(message);
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Parses `argv` strictly. An option given twice is refused unless it is declared
 * `multiple`: node's parser keeps the last value, which would silently drop the
 * first (`--kind logs --kind metrics`).
 */
export function parseCommandArgs<O extends Options>(argv: string[], options: O, help: string) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true, tokens: true });
  } catch (e) {
    throw new UsageError((e as Error).message, help);
  }
  const seen = new Set<string>();
  for (const t of parsed.tokens) {
    if (t.kind !== 'option' || t.name === 'help' || options[t.name]?.multiple) continue;
    if (seen.has(t.name)) throw new UsageError(`--${t.name} is given more than once; give it once`, help);
    seen.add(t.name);
  }
  return { values: parsed.values, positionals: parsed.positionals };
}
