// The grant statements' parser: each form, backquoted names, and errors that
// say what was expected and where.
import { describe, expect, it } from 'vitest';
import { GrantSyntaxError, isGrantStatement, parseGrantStatement } from '../../src/access/grant-sql.ts';

const err = (sql: string): string => {
  try {
    parseGrantStatement(sql);
  } catch (e) {
    expect(e).toBeInstanceOf(GrantSyntaxError);
    return (e as Error).message;
  }
  throw new Error(`parsed: ${sql}`);
};

describe('statement forms', () => {
  it('parses GRANT with a privilege list, any case, onto a backquoted email', () => {
    expect(parseGrantStatement('grant Use Catalog, SELECT ,modify ON catalog Main TO `alice@example.com`;')).toEqual({
      kind: 'GRANT',
      privileges: ['USE CATALOG', 'SELECT', 'MODIFY'],
      on: { type: 'CATALOG', parts: ['main'] },
      principal: 'alice@example.com',
    });
  });

  it('parses REVOKE ... FROM on a schema and a table, names partly backquoted', () => {
    expect(parseGrantStatement('REVOKE USE SCHEMA ON SCHEMA main.`agent_telemetry` FROM team_a')).toEqual({
      kind: 'REVOKE',
      privileges: ['USE SCHEMA'],
      on: { type: 'SCHEMA', parts: ['main', 'agent_telemetry'] },
      principal: 'team_a',
    });
    expect(parseGrantStatement('REVOKE ALL PRIVILEGES ON TABLE `main`.s.T1 FROM `first.last@example.com`')).toMatchObject({
      privileges: ['ALL PRIVILEGES'],
      on: { type: 'TABLE', parts: ['main', 's', 't1'] },
      principal: 'first.last@example.com',
    });
  });

  it('parses SHOW GRANTS with and without a principal, and SHOW GRANT', () => {
    expect(parseGrantStatement('SHOW GRANTS ON TABLE main.s.t')).toEqual({ kind: 'SHOW GRANTS', on: { type: 'TABLE', parts: ['main', 's', 't'] } });
    expect(parseGrantStatement('show grant `svc.ingest` on schema main.s')).toEqual({
      kind: 'SHOW GRANTS',
      principal: 'svc.ingest',
      on: { type: 'SCHEMA', parts: ['main', 's'] },
    });
    expect(parseGrantStatement('SHOW GRANTS analysts ON CATALOG main')).toMatchObject({ principal: 'analysts' });
  });

  it('keeps a doubled backquote inside a backquoted name as one', () => {
    expect(parseGrantStatement('GRANT SELECT ON CATALOG c TO `odd``name`')).toMatchObject({ principal: 'odd`name' });
  });

  it('tells grant statements from everything else', () => {
    for (const s of ['GRANT SELECT ON CATALOG c TO x', '  revoke MODIFY on table a.b.c from y', 'SHOW GRANTS ON CATALOG c', 'show grant on catalog c']) {
      expect(isGrantStatement(s), s).toBe(true);
    }
    for (const s of ['SHOW TABLES', 'SELECT 1', 'grants', '/* x */ GRANT SELECT ON CATALOG c TO x', 'DROP TABLE t']) {
      expect(isGrantStatement(s), s).toBe(false);
    }
  });
});

describe('errors', () => {
  it('needs backquotes around a principal with @ or .', () => {
    expect(err('GRANT SELECT ON CATALOG c TO alice@example.com')).toMatch(/unexpected "@" at character 35.*backquotes.*`alice@example\.com`/);
    expect(err('GRANT SELECT ON CATALOG c TO first.last')).toMatch(/holds a '\.', so it must be backquoted/);
  });

  it('names the unsupported privilege and lists the supported ones', () => {
    expect(err('GRANT CREATE TABLE ON SCHEMA c.s TO x')).toBe(
      'unsupported privilege "CREATE" at character 7; the privileges are USE CATALOG, USE SCHEMA, MODIFY, SELECT, ALL PRIVILEGES',
    );
    expect(err('GRANT USE TABLE ON SCHEMA c.s TO x')).toMatch(/^GRANT: expected USE CATALOG or USE SCHEMA, found "TABLE" at character 11$/);
    expect(err('GRANT ALL ON CATALOG c TO x')).toMatch(/expected ALL PRIVILEGES, found "ON"/);
    expect(err('GRANT SELECT, ALL PRIVILEGES ON CATALOG c TO x')).toMatch(/ALL PRIVILEGES stands alone/);
  });

  it('says which keyword was expected where', () => {
    expect(err('GRANT SELECT TO x')).toBe('GRANT: expected ON after the privileges, found "TO" at character 14');
    expect(err('GRANT SELECT ON VIEW c.s.v TO x')).toBe('GRANT: expected CATALOG, SCHEMA or TABLE, found "VIEW" at character 17');
    expect(err('REVOKE SELECT ON CATALOG c TO x')).toBe('REVOKE: expected FROM followed by a principal or group, found "TO" at character 28');
    expect(err('GRANT SELECT ON CATALOG c TO')).toMatch(/expected a principal or group.*found the end of the statement/);
    expect(err('GRANT SELECT ON CATALOG c TO x y')).toBe('GRANT: expected the end of the statement, found "y" at character 32');
    expect(err('SHOW GRANTS x')).toMatch(/^SHOW GRANTS: expected ON followed by CATALOG, SCHEMA or TABLE, found the end/);
  });

  it('wants securables named in full, with valid parts', () => {
    expect(err('GRANT SELECT ON TABLE s.t TO x')).toMatch(/a table is named in full here with 3 parts.*got s\.t/);
    expect(err('GRANT USE SCHEMA ON SCHEMA s TO x')).toMatch(/a schema is named in full here with 2 parts/);
    expect(err('GRANT SELECT ON TABLE c.s.`my table` TO x')).toMatch(/`my table` at character 27 is not a valid name part/);
  });

  it('refuses privileges that do not apply to the object', () => {
    expect(err('GRANT USE CATALOG ON SCHEMA c.s TO x')).toMatch(/USE CATALOG cannot be granted on a SCHEMA/);
    expect(err('GRANT USE SCHEMA ON TABLE c.s.t TO x')).toMatch(/USE SCHEMA cannot be granted on a TABLE; a TABLE takes MODIFY, SELECT, ALL PRIVILEGES/);
  });

  it('reports an unclosed backquote', () => {
    expect(err('GRANT SELECT ON CATALOG c TO `alice')).toBe('the backquoted name opened at character 30 is not closed');
  });
});
