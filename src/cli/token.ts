// `otlp2delta token create|list|revoke`: the warehouse's access tokens. The
// secret is printed once, by create, and is kept nowhere but in its hash.
import { readLastUsed, readTokens, tokensPath, type TokenRecord } from '../access/token-file.ts';
import { createToken, revokeToken } from '../access/token-store.ts';
import { auditFromCommandLine, cliEvent } from '../access/offline-audit.ts';
import { numberOption, tableLines, warehouseFromArgs } from './table-arg.ts';
import { parseCommandArgs, UsageError } from './usage.ts';

export const TOKEN_HELP = `usage: otlp2delta token create --principal NAME [--group G]... [--expires-days N] [--comment T] [--warehouse DIR]
       otlp2delta token list [--json] [--warehouse DIR]
       otlp2delta token revoke ID [--warehouse DIR]

Access tokens of the warehouse, stored hashed (SHA-256) in
<warehouse>/.otlp2delta/control/tokens.json (owner-only). Once the warehouse has a
token, a server checks tokens on every export, statement and /metrics scrape; a
running server sees new and revoked tokens within seconds.

commands:
  create   make a token for NAME and print its secret once, on stdout
  list     show id, principal, groups, created, expires, last used and status
  revoke   refuse the token with id ID from now on (it stays listed)

options:
  --principal NAME   who the token is for (a user name, an email, a service name)
  --group G          a group the principal belongs to (repeat for more)
  --expires-days N   the token stops working N days from now (default: never)
  --comment T        a note kept with the token (what it is for, where it is used)
  --warehouse DIR    folder holding the tables (env OTLP2DELTA_WAREHOUSE, default ./warehouse)
  --json             list: one JSON object per token
  -h, --help         show this help`;

const status = (t: TokenRecord, now: number): string =>
  t.revoked !== null ? 'revoked' : t.expires !== null && Date.parse(t.expires) <= now ? 'expired' : 'active';

export async function runToken(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    {
      principal: { type: 'string' },
      group: { type: 'string', multiple: true },
      'expires-days': { type: 'string' },
      comment: { type: 'string' },
      warehouse: { type: 'string' },
      json: { type: 'boolean' },
    },
    TOKEN_HELP,
  );
  if (values.help) {
    process.stdout.write(`${TOKEN_HELP}\n`);
    return 0;
  }
  const [sub, ...rest] = positionals;
  const warehouse = warehouseFromArgs(values.warehouse);
  const only = (allowed: string[]) => {
    for (const k of ['principal', 'group', 'expires-days', 'comment', 'json'] as const) {
      if (values[k] !== undefined && !allowed.includes(k)) throw new UsageError(`--${k} does not apply to token ${sub}`, TOKEN_HELP);
    }
  };
  switch (sub) {
    case 'create': {
      only(['principal', 'group', 'expires-days', 'comment']);
      if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0]}'`, TOKEN_HELP);
      if (values.principal === undefined) throw new UsageError('token create needs --principal NAME', TOKEN_HELP);
      const expiresDays = numberOption('expires-days', values['expires-days'], TOKEN_HELP, { integer: true });
      let created;
      try {
        created = await createToken(warehouse, {
          principal: values.principal,
          groups: values.group ?? [],
          ...(expiresDays !== undefined ? { expiresDays } : {}),
          ...(values.comment !== undefined ? { comment: values.comment } : {}),
        });
      } catch (e) {
        if (/^--(principal|group|expires-days)/.test((e as Error).message)) throw new UsageError((e as Error).message, TOKEN_HELP);
        throw e;
      }
      const r = created.record;
      process.stdout.write(`${created.secret}\n`);
      await auditFromCommandLine(warehouse, [
        cliEvent({ service: 'tokens', action: 'tokenCreate', params: { tokenId: r.id, principal: r.principal, groups: r.groups.join(','), expires: r.expires ?? 'never' }, status: 200 }),
      ]);
      process.stderr.write(
        `created token ${r.id} for ${r.principal}${r.groups.length ? ` (groups ${r.groups.join(', ')})` : ''}, ` +
          `${r.expires === null ? 'never expires' : `expires ${r.expires}`}. ` +
          'The secret above is shown only this once: store it now (revoke the token and create another if it is lost).\n',
      );
      return 0;
    }
    case 'list': {
      only(['json']);
      if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0]}'`, TOKEN_HELP);
      const tokens = await readTokens(warehouse);
      const lastUsed = await readLastUsed(warehouse);
      const now = Date.now();
      const rows = tokens.map((t) => ({
        id: t.id,
        principal: t.principal,
        groups: t.groups,
        created: t.created,
        expires: t.expires,
        lastUsed: lastUsed[t.id] ?? null,
        revoked: t.revoked,
        status: status(t, now),
        comment: t.comment,
      }));
      if (values.json) {
        for (const r of rows) process.stdout.write(`${JSON.stringify(r)}\n`);
        return 0;
      }
      if (rows.length === 0) {
        process.stdout.write(`no tokens in ${tokensPath(warehouse)}\n`);
        return 0;
      }
      const cells = rows.map((r) => [r.id, r.principal, r.groups.join(',') || '-', r.created, r.expires ?? 'never', r.lastUsed ?? '-', r.status, r.comment]);
      process.stdout.write(`${tableLines(['id', 'principal', 'groups', 'created', 'expires', 'last used', 'status', 'comment'], cells, cells[0]!.map(() => false))}\n`);
      return 0;
    }
    case 'revoke': {
      only([]);
      if (rest.length !== 1) throw new UsageError('token revoke needs exactly one token id (see token list)', TOKEN_HELP);
      const id = rest[0]!;
      const r = await revokeToken(warehouse, id);
      await auditFromCommandLine(warehouse, [
        cliEvent({ service: 'tokens', action: 'tokenRevoke', params: { tokenId: id, ...(r ? { principal: r.principal } : {}) }, status: r ? 200 : 404, error: r ? undefined : 'no such token' }),
      ]);
      if (!r) {
        process.stderr.write(`otlp2delta token: no token has id ${JSON.stringify(id)} (see otlp2delta token list)\n`);
        return 1;
      }
      process.stdout.write(`revoked token ${r.id} of ${r.principal} at ${r.revoked}; running servers refuse it within seconds\n`);
      return 0;
    }
    case undefined:
      throw new UsageError('give a command: create, list or revoke', TOKEN_HELP);
    default:
      throw new UsageError(`unknown token command '${sub}'`, TOKEN_HELP);
  }
}
