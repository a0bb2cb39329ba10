// The access model's shared vocabulary: who a request comes from, what it may
// do, and what is written to the audit table. Authentication (tokens),
// authorization (grants) and the audit log each implement one interface here,
// and the HTTP edge, the SQL engine and the CLI code against these only.
import type { TableName } from '../tables/names.ts';

/** Where the warehouse keeps tokens and grants, relative to the warehouse root (owner-only). */
export const CONTROL_DIR = ['.otlp2delta', 'control'] as const;

/** The group whose members may run GRANT, REVOKE and token administration over the statements endpoint. */
export const ADMINS_GROUP = 'admins';

/** A caller that presented a valid token. */
export type Principal = {
  /** The token's public id (safe to log and audit); never the secret. */
  tokenId: string;
  /** The principal the token was created for (a user name, an email, a service name). */
  name: string;
  groups: readonly string[];
};

/** The warehouse's owner at the command line (`otlp2delta sql`): every privilege. */
export const OWNER: unique symbol = Symbol('warehouse owner');
export type Caller = Principal | typeof OWNER;

/** Why a credential was refused; also the `reason` label of the refusal metric. */
export type CredentialProblem = 'missing' | 'invalid' | 'expired' | 'revoked';

/** A refused token that was found (expired, revoked) names its principal, for the operator's log only. */
export type Authentication = { ok: true; principal: Principal } | { ok: false; problem: CredentialProblem; principal?: string };

export interface Authenticator {
  /** Checks the Authorization header's bearer token (constant-time comparison of hashes). */
  authenticate(authorizationHeader: string | undefined): Authentication;
  /** Whether the warehouse has any token at all (auth turns on with the first one). */
  hasTokens(): boolean;
}

export type Privilege = 'USE CATALOG' | 'USE SCHEMA' | 'MODIFY' | 'SELECT' | 'ALL PRIVILEGES';

/**
 * `allowed`; `hidden`: the caller may not even see the table (answer as if it did not
 * exist); `denied`: it may see it (it holds some privilege on it) but lacks this one.
 */
export type Decision = 'allowed' | 'hidden' | 'denied';

export interface Authorizer {
  /** What `caller` may do with `table`: MODIFY for an export (with USE CATALOG and USE SCHEMA), SELECT for a read. */
  decide(caller: Caller, privilege: 'MODIFY' | 'SELECT', table: TableName): Decision;
}

/** One row of system.access.audit, in Databricks' column names (see docs). */
export type AuditEvent = {
  time: Date;
  /** The principal's name, or undefined for an anonymous caller. */
  principal?: string | undefined;
  tokenId?: string | undefined;
  /** `otlp` (exports), `sql` (statements), `accessControl` (grants), `tokens` (token admin). */
  service: 'otlp' | 'sql' | 'accessControl' | 'tokens';
  /** e.g. `export`, `exportsPerMinute`, `executeStatement`, `grant`, `revoke`, `tokenCreate`, `tokenRevoke`, `refused`. */
  action: string;
  requestId: string;
  /** Request parameters as strings (table, signal, statement text, privileges, ...); never a secret. */
  params: Record<string, string>;
  status: number;
  error?: string | undefined;
  sourceIp?: string | undefined;
  userAgent?: string | undefined;
};

export interface AuditSink {
  record(event: AuditEvent): void;
}
