/**
 * The test helpers that replace an initdb per file (docs/testing.md): a database per test on the
 * run's PostgreSQL server, and in-memory PGlite loaded from one dump. Each must be as fresh and
 * as separate as what it replaces.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { freshPglite } from './pglite.js';
import { adminQuery, createTestDatabase, postgresUnavailableReason } from './postgres-server.js';

describe('createTestDatabase', () => {
  it('gives each caller its own empty database; drop() removes it, ending a session still on it', async (t) => {
    const a = await createTestDatabase();
    if (!a) return t.skip(postgresUnavailableReason);
    const b = (await createTestDatabase())!;
    try {
      assert.notEqual(a.name, b.name);
      await adminQuery(a.url, 'create table only_in_a (x int)');
      assert.deepEqual(await adminQuery(b.url, "select 1 from pg_class where relname = 'only_in_a'"), []);
      assert.deepEqual(await adminQuery(a.url, 'select current_database() as db'), [{ db: a.name }]);
      const held = new pg.Client({ connectionString: a.url });
      held.on('error', () => undefined);
      await held.connect();
      await a.drop();
      assert.deepEqual(await adminQuery(b.url, `select 1 from pg_database where datname = '${a.name}'`), []);
      await held.end().catch(() => undefined);
      await a.drop(); // idempotent
    } finally {
      await a.drop();
      await b.drop();
    }
  });
});

describe('freshPglite', () => {
  it('each instance is a fresh cluster of its own, whether made by initdb or loaded from the dump', async () => {
    const first = await freshPglite();
    const second = await freshPglite();
    try {
      await first.exec('create table only_in_first (x int); insert into only_in_first values (1)');
      assert.deepEqual((await second.query("select 1 from pg_class where relname = 'only_in_first'")).rows, []);
      const third = await freshPglite();
      try {
        // the dump was taken before anything was written: later writes never reach new instances
        assert.deepEqual((await third.query("select count(*)::int as n from pg_class where relname = 'only_in_first'")).rows, [{ n: 0 }]);
        assert.deepEqual((await third.query('select current_user as u')).rows, [{ u: 'postgres' }]);
      } finally {
        await third.close();
      }
    } finally {
      await first.close();
      await second.close();
    }
  });
});
