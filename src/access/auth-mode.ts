// Whether a server checks tokens, decided at start from --auth, the address it
// binds and the warehouse's tokens, and the phrase the start line gives it.
import { isLoopbackHost, type AuthMode } from '../http/auth.ts';
import type { Authenticator } from './types.ts';

export type ResolvedAuth = { enforced: () => boolean; note: string };

export class AuthStartRefusal extends Error {}

export function resolveAuth(mode: AuthMode, host: string, tokens: Authenticator): ResolvedAuth {
  const loopback = isLoopbackHost(host);
  if (mode === 'off') {
    const note = loopback ? 'off (--auth off)' : `off (--auth off) WARNING: anyone who reaches ${host} can write and read every table`;
    return { enforced: () => false, note };
  }
  if (mode === 'required') return { enforced: () => true, note: 'on (--auth required)' };
  if (tokens.hasTokens()) {
    // Off loopback, auth stays on even if the token file is later emptied or removed.
    return { enforced: loopback ? () => tokens.hasTokens() : () => true, note: 'on (the warehouse has tokens)' };
  }
  if (!loopback) {
    throw new AuthStartRefusal(
      `refusing to listen on ${host} without authentication: anyone who reaches it could write and read every table. ` +
        'Create a token first (otlp2delta token create --principal <name>), or give --auth off to serve it open anyway',
    );
  }
  // On loopback the first token created turns auth on, within seconds, without a restart.
  return { enforced: () => tokens.hasTokens(), note: 'off (no tokens; loopback only)' };
}
