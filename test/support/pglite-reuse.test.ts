/**
 * reusedPglite: one cluster handed to many tests must look new to each (test/support/pglite-reuse.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pgliteLender, reusedPglite } from './pglite-reuse.js';

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

  it('pgliteLender: the one cluster, wiped, once returned; while a borrower holds it, a new cluster of its own', async () => {
    const lender = pgliteLender();
    try {
      const a = await lender.take();
      await a.exec('create schema held');
      const b = await lender.take();
      // b is another cluster: it does not see a's schema, and a's is not wiped under it
      assert.equal((await b.query("select 1 from pg_namespace where nspname = 'held'")).rows.length, 0);
      await b.exec('create schema other');
      assert.equal((await a.query("select 1 from pg_namespace where nspname in ('held', 'other')")).rows.length, 1);
      await b.close();
      await a.close();
      const c = await lender.take();
      assert.equal((await c.query("select 1 from pg_namespace where nspname in ('held', 'other')")).rows.length, 0);
      // c is a's cluster (returned, then wiped): a query through a still reaches it
      await c.exec('create schema again');
      assert.equal((await a.query("select 1 from pg_namespace where nspname = 'again'")).rows.length, 1);
      await c.close();
      // a borrower that leaves what wipe() cannot remove: the next take fails, the one after gets a new cluster
      const dirty = await lender.take();
      await dirty.exec('create table public.left_behind (x int)');
      await dirty.close();
      await assert.rejects(lender.take(), /not as new after a test/);
      const next = await lender.take();
      assert.equal((await next.query("select 1 from pg_class where relname = 'left_behind'")).rows.length, 0);
      await next.close();
    } finally {
      await lender.close();
    }
  });
});
