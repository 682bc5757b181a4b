import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applySpec } from '../../rls/apply.js';
import { snapshotPostgres } from '../../rls/catalog/postgres.js';
import type { Database } from '../../rls/db/types.js';
import { driftSpec } from '../../rls/drift.js';
import { parseSpec } from '../../rls/spec/load.js';
import { ordersSpec, ordersSpecInput, sampleSchemaSql, seedSample, setupSampleDatabase } from '../../rls/sample/index.js';
import { freshBackends } from './support/backends.js';

const policyOids = async (db: Database) =>
  (await db.query<{ oid: number; polname: string }>("select oid::int, polname from pg_policy where polrelid in ('app.orders'::regclass, 'app.tenants'::regclass) order by polname")).rows;

for (const backend of freshBackends()) {
  describe(`apply and drift on ${backend.name}`, () => {
    async function fresh(t: { skip: (r: string) => void }): Promise<Database | null> {
      const r = await backend.open();
      if ('skip' in r) {
        t.skip(r.skip);
        return null;
      }
      return r.db;
    }

    it('apply twice: the second run changes nothing (same catalog, same policy objects)', async (t) => {
      const db = await fresh(t);
      if (!db) return;
      try {
        await db.exec(sampleSchemaSql);
        await seedSample(db);
        const first = await applySpec(db, ordersSpec);
        assert.equal(first.committed, true);
        assert.ok(first.changes.some((c) => c.object === 'policy "apim_rls_tenant_isolation" on "app"."orders"' && c.kind === 'missing'));
        assert.ok(first.changes.some((c) => c.object === 'table "app"."orders"' && c.kind === 'changed' && c.expected === 'row security enabled, forced'));
        const catalog = await snapshotPostgres(db, ordersSpec);
        const oids = await policyOids(db);
        const second = await applySpec(db, ordersSpec);
        assert.deepEqual(second, { dialect: 'postgres', changes: [], committed: false });
        assert.deepEqual(await snapshotPostgres(db, ordersSpec), catalog);
        assert.deepEqual(await policyOids(db), oids);
        assert.deepEqual(await driftSpec(db, ordersSpec), []);
      } finally {
        await db.close();
      }
    });

    it('drift reports a policy dropped by hand, an altered one, a stray permissive one, an extra grant and NO FORCE; apply repairs them', async (t) => {
      const db = await fresh(t);
      if (!db) return;
      try {
        await setupSampleDatabase(db);
        await db.exec(`drop policy apim_rls_select on app.orders;
          alter policy apim_rls_tenant_isolation on app.tenants using (true);
          create policy open_door on app.orders for select using (true);
          grant truncate on app.orders to apim_rls_app;
          alter table app.tenants no force row level security;`);
        const drift = await driftSpec(db, ordersSpec);
        const byObject = new Map(drift.map((d) => [d.object, d.kind]));
        assert.equal(byObject.get('policy "apim_rls_select" on "app"."orders"'), 'missing');
        assert.equal(byObject.get('policy "apim_rls_tenant_isolation" on "app"."tenants"'), 'changed');
        assert.equal(byObject.get('policy "open_door" on "app"."orders"'), 'unexpected');
        assert.equal(byObject.get('grant on "app"."orders" to "apim_rls_app"'), 'changed');
        assert.equal(byObject.get('table "app"."tenants"'), 'changed');
        assert.equal(drift.length, 5, JSON.stringify(drift, null, 1));
        // drift itself changed nothing
        assert.equal((await driftSpec(db, ordersSpec)).length, 5);
        const repaired = await applySpec(db, ordersSpec);
        assert.equal(repaired.changes.length, 5);
        assert.deepEqual(await driftSpec(db, ordersSpec), []);
      } finally {
        await db.close();
      }
    });

    it('a failing apply leaves nothing behind (one transaction)', async (t) => {
      const db = await fresh(t);
      if (!db) return;
      try {
        await db.exec(sampleSchemaSql);
        const broken = parseSpec({
          ...structuredClone(ordersSpecInput),
          tables: [...structuredClone(ordersSpecInput.tables), { schema: 'app', name: 'missing_table', tenant: { column: 'tenant_id', key: 'tenant_id' } }],
          applicationRoles: [{ name: 'apim_rls_app_broken', grants: [{ schema: 'app', table: 'orders', privileges: ['SELECT'] }] }],
          principals: [],
          policyManager: { name: 'apim_rls_pm_broken' },
        });
        await assert.rejects(applySpec(db, broken), /missing_table/);
        const roles = await db.query("select 1 from pg_roles where rolname in ('apim_rls_app_broken', 'apim_rls_pm_broken')");
        assert.equal(roles.rows.length, 0);
        const rls = await db.query<{ relrowsecurity: boolean }>("select relrowsecurity from pg_class where oid = 'app.orders'::regclass");
        assert.deepEqual(rls.rows, [{ relrowsecurity: false }]);
        assert.equal((await db.query("select 1 from pg_policies where schemaname = 'app'")).rows.length, 0);
      } finally {
        await db.close();
      }
    });

    it('the remove script undoes apply, and apply restores it', async (t) => {
      const db = await fresh(t);
      if (!db) return;
      try {
        await setupSampleDatabase(db);
        const removed = await applySpec(db, ordersSpec, { remove: true });
        assert.equal(removed.committed, true);
        assert.equal((await db.query("select 1 from pg_policies where schemaname = 'app'")).rows.length, 0);
        const flags = await db.query<{ r: boolean; f: boolean }>("select bool_or(relrowsecurity) as r, bool_or(relforcerowsecurity) as f from pg_class where oid in ('app.orders'::regclass, 'app.tenants'::regclass)");
        assert.deepEqual(flags.rows, [{ r: false, f: false }]);
        const grants = await db.query(
          "select 1 from pg_class c cross join lateral aclexplode(c.relacl) a join pg_roles r on r.oid = a.grantee where r.rolname = 'apim_rls_app'",
        );
        assert.equal(grants.rows.length, 0);
        // on the shared server the role (cluster-wide) is kept while other databases still grant to it
        if (backend.name === 'pglite') assert.equal((await db.query("select 1 from pg_roles where rolname = 'apim_rls_app'")).rows.length, 0);
        assert.ok((await driftSpec(db, ordersSpec)).length > 0);
        await applySpec(db, ordersSpec);
        assert.deepEqual(await driftSpec(db, ordersSpec), []);
      } finally {
        await db.close();
      }
    });
  });
}
