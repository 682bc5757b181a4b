import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TokenCredential } from '@azure/identity';
import { mssqlConfig, parseMssqlUrl } from '../../../rls/db/mssql.js';
import { openDatabase, parseDatabaseUrl, redactUrl } from '../../../rls/db/open.js';

describe('database URLs', () => {
  it('classifies postgres, pglite and mssql URLs', () => {
    assert.deepEqual(parseDatabaseUrl('postgres://u@h:5432/d'), { kind: 'pg', url: 'postgres://u@h:5432/d' });
    assert.deepEqual(parseDatabaseUrl('postgresql://h/d'), { kind: 'pg', url: 'postgresql://h/d' });
    assert.deepEqual(parseDatabaseUrl('pglite:memory'), { kind: 'pglite', dir: undefined });
    assert.deepEqual(parseDatabaseUrl('pglite:/var/db'), { kind: 'pglite', dir: '/var/db' });
    assert.deepEqual(parseDatabaseUrl('pglite:./db'), { kind: 'pglite', dir: './db' });
    assert.deepEqual(parseDatabaseUrl('/tmp/x'), { kind: 'pglite', dir: '/tmp/x' });
    assert.deepEqual(parseDatabaseUrl('mssql://s.database.windows.net/orders'), { kind: 'mssql', url: 'mssql://s.database.windows.net/orders' });
    assert.throws(() => parseDatabaseUrl('mysql://x/y'), { code: 'RLS_DB_URL_INVALID' });
    assert.throws(() => parseDatabaseUrl('orders'), { code: 'RLS_DB_URL_INVALID' });
    // regression: an empty pglite: was a silent in-memory database
    assert.throws(() => parseDatabaseUrl('pglite:'), { code: 'RLS_DB_URL_INVALID', message: /pglite: needs a folder/ });
  });

  it('redacts passwords', () => {
    assert.equal(redactUrl('postgres://u:s3cret@h/d'), 'postgres://u:***@h/d');
    assert.doesNotMatch(redactUrl('postgres://u:s3cret@h/d'), /s3cret/);
  });

  it('redacts a password in the query string and in a URL that does not parse (regression: printed as given)', () => {
    assert.equal(redactUrl('postgres://h/d?user=u&password=s3cret&sslmode=require'), 'postgres://h/d?user=u&password=***&sslmode=require');
    assert.doesNotMatch(redactUrl('postgres://h/d?sslpassword=s3cret'), /s3cret/);
    assert.equal(redactUrl('postgres://u:pa#s3cret@127.0.0.1:1/d'), 'postgres://***@127.0.0.1:1/d');
    assert.equal(redactUrl('postgres://u:pa/s3cret@h/d'), 'postgres://***@h/d');
  });

  it('an unparsable URL with a password: the error carries no password', async () => {
    await assert.rejects(openDatabase('postgres://u:pa#s3cret@127.0.0.1:1/d'), (err: Error & { code?: string }) => {
      assert.doesNotMatch(err.message, /s3cret/);
      return true;
    });
  });

  it('an unreachable server is RLS_DB_UNREACHABLE and the message carries no password', async () => {
    await assert.rejects(openDatabase('postgres://u:s3cret@127.0.0.1:1/d'), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'RLS_DB_UNREACHABLE');
      assert.doesNotMatch(err.message, /s3cret/);
      return true;
    });
  });

  it('a plain file as a PGlite folder is refused as a bad URL, naming it (regression: [object Object])', async () => {
    const file = fileURLToPath(import.meta.url);
    await assert.rejects(openDatabase(file), { code: 'RLS_DB_URL_INVALID', message: `${file} is a file: a PGlite database is a folder (pglite:DIR, created when missing)` });
    await assert.rejects(openDatabase(`pglite:${file}`), { code: 'RLS_DB_URL_INVALID' });
  });

  it('pglite:DIR whose parent folder is missing is created, parents too (regression: ENOENT for pglite:.dev/sample-db in a fresh clone)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'apim-rls-open-'));
    try {
      const db = await openDatabase(`pglite:${join(root, 'missing', 'db')}`);
      try {
        assert.equal((await db.query<{ one: number }>('select 1 as one')).rows[0]?.one, 1);
      } finally {
        await db.close();
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('mssql needs a credential', async () => {
    await assert.rejects(openDatabase('mssql://s.database.windows.net/orders'), { code: 'RLS_DB_URL_INVALID' });
  });
});

describe('mssql config (managed identity)', () => {
  const credential: TokenCredential = { getToken: async () => null };

  it('parses server, port and database, and refuses credentials in the URL', () => {
    assert.deepEqual(parseMssqlUrl('mssql://srv.database.windows.net/orders'), { server: 'srv.database.windows.net', database: 'orders', port: 1433 });
    assert.deepEqual(parseMssqlUrl('mssql://srv:14330/my%20db'), { server: 'srv', database: 'my db', port: 14330 });
    assert.throws(() => parseMssqlUrl('mssql://sa:pw@srv/orders'), /must not carry a user or password/);
    assert.throws(() => parseMssqlUrl('mssql://srv/'), { code: 'RLS_DB_URL_INVALID' });
    assert.throws(() => parseMssqlUrl('mssql://srv/a/b'), { code: 'RLS_DB_URL_INVALID' });
  });

  it('authenticates with the given token credential, encrypted, certificate checked', () => {
    const c = mssqlConfig({ server: 'srv.database.windows.net', database: 'orders', port: 1433 }, credential);
    assert.deepEqual(c.authentication, { type: 'token-credential', options: { credential } });
    assert.equal(c.authentication?.options.credential, credential, 'the shared credential itself, not a copy');
    assert.equal(c.options?.encrypt, true);
    assert.equal(c.options?.trustServerCertificate, false);
    assert.equal(c.server, 'srv.database.windows.net');
    assert.equal(c.database, 'orders');
    assert.equal(c.user, undefined);
    assert.equal(c.password, undefined);
  });
});
