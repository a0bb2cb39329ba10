// The ingest policy's seams: rate limits and privacy rules, both applied in
// the pipeline before anything is staged, so every transport (HTTP, gRPC,
// replay into a warehouse) meets the same policy and nothing a rule refuses
// or removes is ever written to disk. Implementations read the policy file
// currently in force (it is reloaded on change), so these objects live as
// long as the server and their answers follow the file.
import type { Principal } from '../access/types.ts';
import type { Signal } from '../otlp/types.ts';
import type { TableName } from '../tables/names.ts';

/** What a rate limit or privacy rule sees of a request. */
export type PolicySubject = {
  principal: Principal | undefined;
  table: TableName;
  signal: Signal;
};

/** Rate limits. A refusal is an OtlpError of kind `rate_limited` with retryAfterSeconds. */
export interface RateGate {
  /** On arrival, before decoding: one request and its bytes after content decoding. */
  admitRequest(subject: PolicySubject, bytes: number): void;
  /** After rendering, before staging: the records the request would store. */
  admitRecords(subject: PolicySubject, records: number): void;
}

/**
 * The privacy rules that apply to one table, as plain data: it is posted to
 * render workers as it is (structured clone), and applied there or on the
 * event loop by policy/privacy-apply.ts. Which rules of it apply to a resource
 * (per agent) is decided while applying, from the resource's attributes.
 */
export type PrivacyPlan = {
  /** Changes whenever the rules change, so compiled forms can be cached per version. */
  readonly version: string;
  readonly rules: readonly PrivacyRulePlan[];
};

/** A custom or built-in mask: regex source (always applied globally) and its replacement. */
export type MaskPlan = { readonly name: string; readonly source: string; readonly ignoreCase: boolean; readonly replacement: string };

/** What the body of a log record becomes: kept (masks still apply), removed, or an empty string. */
export type BodyAction = 'keep' | 'drop' | 'blank';

/** One rule, with its preset merged in; key lists may hold `*` wildcards. */
export type PrivacyRulePlan = {
  /** `privacy.rules[N]` plus the rule's name, for `policy check`. */
  readonly label: string;
  /** Globs on the resource's service.name; undefined: every resource. */
  readonly agents: readonly string[] | undefined;
  readonly drop: readonly string[];
  readonly pseudonymize: readonly string[];
  readonly mask: readonly MaskPlan[];
  /** Allow-list mode: only these keys (and the few the usage views need) are kept. */
  readonly allow: readonly string[] | undefined;
  readonly body: BodyAction;
  /**
   * The HMAC key as hex, when the rule pseudonymizes. It travels to render
   * workers inside the plan; the plan is never logged or printed.
   */
  readonly pseudonymKeyHex: string | undefined;
};

export interface PrivacyRules {
  /** The plan for a request's table, or undefined when no rule applies to it. */
  planFor(subject: PolicySubject): PrivacyPlan | undefined;
}

export type IngestPolicy = {
  rates?: RateGate | undefined;
  privacy?: PrivacyRules | undefined;
};
