// The authentication edge: who a request comes from, and the answers given
// when that cannot be established, worded as Databricks words them so its
// clients show the same messages. Some exporters send the space of
// "Bearer <token>" percent-encoded, which is accepted too.
import { isIP } from 'node:net';
import { tokenIdOf, isWellFormedToken } from '../access/token-format.ts';
import type { Authenticator, Authorizer, CredentialProblem, Principal } from '../access/types.ts';

/** The bearer token of an Authorization header, or undefined. */
export function bearerToken(header: string | undefined | null): string | undefined {
  if (!header) return undefined;
  const m = /^\s*bearer(?:\s+|%20)(.+?)\s*$/i.exec(header);
  return m ? m[1] : undefined;
}

export const AUTH_MODES = ['auto', 'required', 'off'] as const;
/** `auto`: on once the warehouse has a token; `required`: always on; `off`: never (warned off loopback). */
export type AuthMode = (typeof AUTH_MODES)[number];

export const NO_CREDENTIAL_MESSAGE = 'Credential was not sent or was of an unsupported type for this API.';
export const INVALID_TOKEN_MESSAGE = 'Invalid access token.';

/** What the HTTP app needs to check callers. */
export type EdgeAuth = {
  authenticator: Authenticator;
  /** Whether credentials are checked for the request being answered (auto mode turns on with the first token). */
  enforced: () => boolean;
};

/** Every authenticated caller may write every table: the stand-in until a grants Authorizer is injected. */
export const ALLOW_ALL: Authorizer = { decide: () => 'allowed' };

export type EdgeOutcome =
  | { ok: true; principal: Principal | undefined }
  | { ok: false; problem: CredentialProblem; status: 401 | 403; message: string; tokenId: string | undefined; principal: string | undefined };

/** Checks the request's credential when auth is enforced; an open server passes everyone as anonymous. */
export function checkCredential(auth: EdgeAuth | undefined, header: string | undefined): EdgeOutcome {
  if (!auth || !auth.enforced()) return { ok: true, principal: undefined };
  const a = auth.authenticator.authenticate(header);
  if (a.ok) return { ok: true, principal: a.principal };
  if (a.problem === 'missing') return { ok: false, problem: 'missing', status: 401, message: NO_CREDENTIAL_MESSAGE, tokenId: undefined, principal: undefined };
  return { ok: false, problem: a.problem, status: 403, message: INVALID_TOKEN_MESSAGE, tokenId: presentedTokenId(header), principal: a.principal };
}

/** The public id of the token in `header`, if it has the token shape: names it in logs without the secret. */
export function presentedTokenId(header: string | undefined): string | undefined {
  const t = bearerToken(header);
  return t !== undefined && isWellFormedToken(t) ? tokenIdOf(t) : undefined;
}

/** The refusal for a privilege the caller lacks on a table it may see. */
export const permissionDenied = (privilege: string, table: string): string => `PERMISSION_DENIED: User does not have ${privilege} on Table '${table}'.`;

/** A literal loopback address or name: binding it keeps the server to this machine. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/** How many token ids the plain-HTTP warning remembers; past it the memory starts over. */
const WARNED_IDS_MAX = 1_000;
/** One warning per token a minute: enough to be seen, too few to flood the log. */
const WARN_EVERY_MS = 60_000;

/**
 * Warns, once a minute per token, when a bearer token arrives over plain HTTP
 * from another machine: anyone on the path could have read it.
 */
export class PlainTokenWarnings {
  private readonly last = new Map<string, number>();
  constructor(
    private readonly log: (line: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  check(header: string | undefined, encrypted: boolean, remote: string | undefined): void {
    if (encrypted || remote === undefined || isLoopbackHost(remote)) return;
    const token = bearerToken(header);
    if (token === undefined) return;
    const id = isWellFormedToken(token) ? tokenIdOf(token) : 'not an otlp2delta token';
    const now = this.now();
    const prev = this.last.get(id);
    if (prev !== undefined && now - prev < WARN_EVERY_MS) return;
    if (this.last.size >= WARNED_IDS_MAX) this.last.clear();
    this.last.set(id, now);
    this.log(`warning: a bearer token (${id}) arrived over plain HTTP from ${remote}; anyone on the network path can read it: serve with TLS`);
  }
}
