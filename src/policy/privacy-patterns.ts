// Mask patterns: the built-in ones for credentials that end up in prompts and
// tool parameters, and the checks a custom pattern must pass. JavaScript
// regexes cannot be interrupted once running, so a pattern that backtracks
// exponentially would freeze the thread rendering the request; patterns are
// kept short and nested quantifiers, backreferences and lookarounds (the
// usual causes) are refused.
import { PRIVACY_PATTERN_CHARS_MAX } from '../config/limits.ts';
import type { MaskPlan } from './types.ts';

type BuiltIn = { source: string; ignoreCase?: boolean; what: string };

export const BUILT_IN_MASKS: Readonly<Record<string, BuiltIn>> = {
  'aws-access-key': { source: '\\b(?:AKIA|ASIA)[0-9A-Z]{16}\\b', what: 'AWS access key ids (AKIA…, ASIA…)' },
  'github-token': { source: '\\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\\b', what: 'GitHub tokens (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_)' },
  'databricks-token': { source: '\\bdapi[0-9a-f]{32}(?:-[0-9]+)?\\b', what: 'Databricks personal access tokens (dapi…)' },
  jwt: { source: '\\beyJ[A-Za-z0-9_-]{4,}\\.eyJ[A-Za-z0-9_-]{4,}\\.[A-Za-z0-9_-]{4,}', what: 'JSON Web Tokens (eyJ….eyJ….…)' },
  'private-key': {
    source: '-----BEGIN [A-Z ]{0,40}PRIVATE KEY-----[^-]{0,65536}-----END [A-Z ]{0,40}PRIVATE KEY-----',
    what: 'PEM private key blocks',
  },
  email: { source: '[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\\.[A-Za-z0-9-]{1,63}){1,8}', what: 'e-mail addresses in text' },
};

/** `mask = ["secrets"]` names every credential pattern (not `email`, which would hit ordinary text). */
export const SECRET_MASKS = ['aws-access-key', 'github-token', 'databricks-token', 'jwt', 'private-key'] as const;

export function builtInMask(name: string): MaskPlan | undefined {
  const b = BUILT_IN_MASKS[name];
  return b && { name, source: b.source, ignoreCase: b.ignoreCase ?? false, replacement: `[redacted:${name}]` };
}

/**
 * Why a custom pattern is refused, or undefined when it compiles and has none
 * of the constructs that make backtracking explode.
 */
export function patternProblem(source: string, ignoreCase: boolean): string | undefined {
  if (source.length === 0) return 'must not be empty';
  if (source.length > PRIVACY_PATTERN_CHARS_MAX) return `is ${source.length} characters; at most ${PRIVACY_PATTERN_CHARS_MAX} (PRIVACY_PATTERN_CHARS_MAX)`;
  try {
    new RegExp(source, ignoreCase ? 'giu' : 'gu');
  } catch (e) {
    return `not a valid regular expression: ${(e as Error).message}`;
  }
  if (/\\[1-9]|\\k</.test(source)) return 'backreferences are not allowed (they can take exponential time)';
  if (/\(\?<?[=!]/.test(source)) return 'lookarounds are not allowed';
  if (hasNestedQuantifier(source)) return 'a quantified group contains a quantifier (like (a+)+), which can take exponential time; rewrite it without nesting';
  if (new RegExp(source, 'u').test('')) return 'matches the empty string';
  return undefined;
}

const QUANTIFIER = /^(?:[*+?]|\{\d+(?:,\d*)?\})/;

/** True when a group that holds a quantifier or an alternation is itself repeated. */
function hasNestedQuantifier(source: string): boolean {
  // For each open group: whether it contains a quantifier or `|`.
  const stack: boolean[] = [];
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '(') stack.push(false);
    else if (c === ')') {
      const risky = stack.pop() ?? false;
      const rest = source.slice(i + 1);
      const repeated = QUANTIFIER.exec(rest);
      if (risky && repeated && repeated[0] !== '?') return true;
      if ((risky || repeated) && stack.length > 0) stack[stack.length - 1] = true;
    } else if ((c === '*' || c === '+' || c === '{' || c === '|') && stack.length > 0) stack[stack.length - 1] = true;
  }
  return false;
}
