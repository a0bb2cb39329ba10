// The three kinds of file an agent keeps its settings in, behind one
// interface: read a value, set one, remove one, each keeping the rest of the
// text byte for byte.
export type ConfigPath = readonly string[];

export interface ConfigFormat {
  readonly name: string;
  /** Why the text cannot be edited safely (it does not parse), or undefined. */
  problem(text: string): string | undefined;
  /** The parsed document (the text is known to parse). */
  parse(text: string): unknown;
  /** The text with `value` at `path`; throws when the file's shape does not allow it. */
  set(text: string, path: ConfigPath, value: unknown): string;
  /** The text without the value at `path` (unchanged when absent). */
  remove(text: string, path: ConfigPath): string;
}

/** Thrown when a file cannot take an edit without rewriting parts that are not ours. */
export class EditRefused extends Error {}
