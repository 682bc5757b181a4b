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

  // (a GRANT after a REVOKE leaves an explicit ACL where the default was NULL: the undo resets it)
  // what a reviewer left behind that wipe() let pass (each failed before DISCARD ALL and the generic
  // fingerprint): every leftover is either cleared by wipe() (`left` then counts none) or makes it
  // throw (`undo` then puts the cluster back, and wipe() passes again); none passes silently.
  const leftovers: { name: string; leave: string; left?: string; undo?: string }[] = [
    { name: 'a prepared statement', leave: 'prepare leak as select 1', left: "select count(*) as n from pg_prepared_statements where name = 'leak'" },
    { name: 'a WITH HOLD cursor', leave: 'begin; declare leakc cursor with hold for select 1; commit;', left: "select count(*) as n from pg_cursors where name = 'leakc'" },
    { name: 'LISTEN', leave: 'listen leakch', left: "select count(*) as n from pg_listening_channels() c where c = 'leakch'" },
    { name: 'a session advisory lock', leave: 'select pg_advisory_lock(42)', left: "select count(*) as n from pg_locks where locktype = 'advisory'" },
    { name: 'a temp table', leave: 'create temp table leak_tmp (x int)', left: "select count(*) as n from pg_class where relname = 'leak_tmp'" },
    { name: 'CREATE DATABASE', leave: 'create database leakdb', undo: 'drop database leakdb' },
    { name: 'CREATE PUBLICATION', leave: 'create publication leakpub', undo: 'drop publication leakpub' },
    { name: 'COMMENT ON SCHEMA public', leave: "comment on schema public is 'leak'", undo: "comment on schema public is 'standard public schema'" },
    { name: 'REVOKE on a built-in function', leave: 'revoke execute on function pg_catalog.now() from public', undo: "update pg_catalog.pg_proc set proacl = null where oid = 'pg_catalog.now()'::regprocedure" },
    { name: 'a row in information_schema.sql_features', leave: "insert into information_schema.sql_features values ('X999', 'leak', '', '', 'NO', null, null)", undo: "delete from information_schema.sql_features where feature_id = 'X999'" },
    { name: 'a changed row in information_schema.sql_features', leave: "update information_schema.sql_features set feature_name = feature_name || ' leak' where feature_id = 'B011'", undo: "update information_schema.sql_features set feature_name = left(feature_name, -5) where feature_id = 'B011'" },
    { name: 'ALTER ROLE postgres CONNECTION LIMIT', leave: 'alter role postgres connection limit 3', undo: 'alter role postgres connection limit -1' },
    { name: 'ALTER ROLE postgres SET', leave: 'alter role postgres set work_mem = 1234', undo: 'alter role postgres reset work_mem' },
    { name: 'a column grant on a catalog', leave: 'grant update (relname) on pg_catalog.pg_class to public', undo: "update pg_catalog.pg_attribute set attacl = null where attrelid = 'pg_catalog.pg_class'::regclass and attname = 'relname'" },
  ];

  it('wipe() clears, or fails on, every leftover of the review (session state, databases, publications, comments, ACLs, catalog rows, role attributes)', async () => {
    const cluster = await reusedPglite();
    try {
      await cluster.wipe();
      // every case is tried, and the ones that pass silently are named together
      const silent: string[] = [];
      for (const c of leftovers) {
        await cluster.lend().exec(c.leave);
        if (c.left) {
          const threw = await cluster.wipe().then(() => false, () => true);
          const n = threw ? 0 : Number((await cluster.lend().query<{ n: number }>(c.left)).rows[0]?.n);
          if (threw) silent.push(`${c.name}: wipe() threw instead of clearing it`);
          else if (n !== 0) silent.push(`${c.name}: still there after wipe()`);
        } else {
          const threw = await cluster.wipe().then(() => false, (err: unknown) => err instanceof Error && /not as new after a test/.test(err.message));
          if (!threw) silent.push(`${c.name}: wipe() passed`);
          await cluster.lend().exec(c.undo ?? '');
        }
        await cluster.wipe().catch((err: unknown) => silent.push(`${c.name}: the cluster is not as new after the undo: ${String(err)}`));
      }
      assert.deepEqual(silent, []);
    } finally {
      await cluster.close();
    }
  });

  it('the message wipe() throws does not carry a role password, only its md5', async () => {
    const cluster = await reusedPglite();
    try {
      await cluster.lend().exec("alter role postgres password 'Sekr1t-pass'");
      const err = await cluster.wipe().then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof Error && /not as new after a test/.test(err.message), 'a new password is a leftover');
      assert.doesNotMatch(err.message, /Sekr1t-pass/);
      assert.doesNotMatch(err.message, /SCRAM-SHA-256\$/);
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
