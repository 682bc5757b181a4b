/**
 * reusedPglite: one cluster handed to many tests must look new to each (test/support/pglite-reuse.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reusedPglite } from './pglite-reuse.js';

describe('reusedPglite', () => {
  it('wipe() drops the schemas, roles, grants and session settings a borrower made; close() of a lent cluster is a no-op', async () => {
    const cluster = await reusedPglite();
    try {
      const pg = cluster.lend();
      await pg.exec(`create schema app; create table app.t (id int); create role app_user nologin;
        grant usage on schema app to app_user; grant select on app.t to app_user; alter table app.t enable row level security;
        create policy p on app.t using (true); grant create on schema public to app_user; set statement_timeout = 1234;`);
      await pg.close();
      await cluster.wipe();
      const left = await cluster.lend().query<{ n: number }>(
        "select (select count(*) from pg_namespace where nspname = 'app') + (select count(*) from pg_roles where rolname = 'app_user') + (select count(*) from pg_settings where name = 'statement_timeout' and source = 'session') as n",
      );
      assert.equal(Number(left.rows[0]?.n), 0);
    } finally {
      await cluster.close();
    }
  });

  it('wipe() fails when a borrower left what it does not remove (an object in public, a changed ACL)', async () => {
    const cluster = await reusedPglite();
    try {
      await cluster.lend().exec('create table public.left_behind (x int)');
      await assert.rejects(cluster.wipe(), /not as new after a test/);
      await cluster.lend().exec('drop table public.left_behind');
      await cluster.wipe();
      await cluster.lend().exec('revoke usage on schema public from public');
      await assert.rejects(cluster.wipe(), /not as new after a test/);
    } finally {
      await cluster.close();
    }
  });
});
