/**
 * The database audit trail (issue 16 item 1) on PGlite and the PostgreSQL server: one audit row
 * per changed row with the session's identity, in the writing transaction; nothing the
 * application role can change, delete or switch off; tenants read their own audit rows only;
 * verify proves it and fails when the trigger is switched off; drift sees a dropped or disabled
 * trigger; the remove script keeps the audit rows.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applySpec } from '../../rls/apply.js';
import { parseCases } from '../../rls/cases.js';
import type { Database, Executor } from '../../rls/db/types.js';
import { driftSpec } from '../../rls/drift.js';
import { ordersSpec, sampleCases, sampleUsers, setupSampleDatabase } from '../../rls/sample/index.js';
import { formatTruthTable, verifySpec } from '../../rls/verify.js';
import { backendsReusingPglite } from './support/backends.js';

const { alice, bob, carol } = sampleUsers;
const traceA = '4bf92f3577b34da6a3ce929d0e0e4736';

interface Session {
  tenant_id?: string;
  user_oid?: string;
  roles?: string;
  request_id?: string;
  trace_id?: string;
}

/** Sets the role and the session keys in the current transaction, all bound, as the backend does. */
async function as(tx: Executor, role: string, keys: Session): Promise<void> {
  await tx.query("select set_config('role', $1, true)", [role]);
  for (const [k, v] of Object.entries(keys)) await tx.query('select set_config($1, $2, true)', [`app.${k}`, v]);
}

const aliceKeys = (requestId: string): Session => ({ tenant_id: alice.tid, user_oid: alice.oid, roles: '["Orders.Read","Orders.Write"]', request_id: requestId, trace_id: traceA });

/** The audit rows as the table's owner side sees them (the test connection is a superuser: row security does not apply to it). */
async function auditRows(db: Executor, requestId: string): Promise<Record<string, unknown>[]> {
  return (await db.query('select tenant_id, user_oid, roles, request_id, trace_id, table_schema, table_name, operation, row_key from audit.row_changes where request_id = $1 order by audit_id', [requestId])).rows;
}

async function code(tx: Executor, sql: string, params: unknown[] = []): Promise<string> {
  await tx.query('savepoint t');
  try {
    await tx.query(sql, params);
    return 'ok';
  } catch (err) {
    return String((err as { code?: string }).code);
  } finally {
    await tx.query('rollback to savepoint t');
  }
}

// one PGlite cluster for the file, as new for each test (test/support/pglite-reuse.ts)
for (const backend of backendsReusingPglite()) {
  describe(`audit trail on ${backend.name}`, () => {
    async function sample(t: { skip: (r: string) => void }): Promise<Database | null> {
      const r = await backend.open();
      if ('skip' in r) {
        t.skip(r.skip);
        return null;
      }
      await setupSampleDatabase(r.db);
      return r.db;
    }

    it('each changed row writes exactly one audit row with the session identity, request id and trace id; committed with the write', async (t) => {
      const db = await sample(t);
      if (!db) return;
      try {
        const id = await db.transaction(async (tx) => {
          await as(tx, 'apim_rls_app', aliceKeys('req-insert'));
          const r = await tx.query<{ id: number }>("insert into app.orders (tenant_id, owner_oid, item, quantity) values ($1, $2, 'audited', 1) returning id", [alice.tid, alice.oid]);
          return Number(r.rows[0]?.id);
        });
        assert.deepEqual(await auditRows(db, 'req-insert'), [
          { tenant_id: 'contoso', user_oid: alice.oid, roles: ['Orders.Read', 'Orders.Write'], request_id: 'req-insert', trace_id: traceA, table_schema: 'app', table_name: 'orders', operation: 'insert', row_key: { id } },
        ]);
        // an update of three rows: three audit rows, one per row, each with its key
        await db.transaction(async (tx) => {
          await as(tx, 'apim_rls_app', aliceKeys('req-update'));
          const r = await tx.query("update app.orders set quantity = 2 where item like 'alice-%'");
          assert.equal(r.rowCount, 3);
        });
        const updates = await auditRows(db, 'req-update');
        assert.equal(updates.length, 3);
        assert.ok(updates.every((u) => u['operation'] === 'update' && u['user_oid'] === alice.oid));
        assert.equal(new Set(updates.map((u) => JSON.stringify(u['row_key']))).size, 3);
        // a delete records the deleted row's key; an update that matches nothing records nothing
        await db.transaction(async (tx) => {
          await as(tx, 'apim_rls_app', aliceKeys('req-delete'));
          await tx.query('delete from app.orders where id = $1', [id]);
          assert.equal((await tx.query("update app.orders set quantity = 2 where item = 'no-such-item'")).rowCount, 0);
        });
        assert.deepEqual((await auditRows(db, 'req-delete')).map((r) => [r['operation'], r['row_key']]), [['delete', { id }]]);
      } finally {
        await db.close();
      }
    });

    it('a rolled-back write, a write refused by row security and a failed write leave no audit row', async (t) => {
      const db = await sample(t);
      if (!db) return;
      try {
        await db.transaction(
          async (tx) => {
            await as(tx, 'apim_rls_app', aliceKeys('req-rolled-back'));
            await tx.query("insert into app.orders (tenant_id, owner_oid, item, quantity) values ($1, $2, 'gone', 1)", [alice.tid, alice.oid]);
            // inside the transaction the audit row exists (and the app reads it: its own tenant)...
            assert.equal((await tx.query("select 1 from audit.row_changes where request_id = 'req-rolled-back'")).rowCount, 1);
          },
          { rollback: true },
        );
        // ...after the rollback it is gone with the write
        assert.deepEqual(await auditRows(db, 'req-rolled-back'), []);
        await db.transaction(async (tx) => {
          await as(tx, 'apim_rls_app', { ...aliceKeys('req-refused') });
          assert.equal(await code(tx, "insert into app.orders (tenant_id, owner_oid, item, quantity) values ('fabrikam', $1, 'x', 1)", [alice.oid]), '42501');
          assert.equal(await code(tx, "insert into app.orders (tenant_id, owner_oid, item, quantity) values ($1, $2, 'x', 0)", [alice.tid, alice.oid]), '23514');
          assert.equal((await tx.query("update app.orders set quantity = 9 where item = 'carol-1'")).rowCount, 0);
        });
        assert.deepEqual(await auditRows(db, 'req-refused'), []);
      } finally {
        await db.close();
      }
    });

    it('the app role can neither write, change, delete nor truncate audit rows, nor disable, drop or replace the trigger', async (t) => {
      const db = await sample(t);
      if (!db) return;
      try {
        await db.transaction(async (tx) => {
          await as(tx, 'apim_rls_app', aliceKeys('req-seed'));
          await tx.query("insert into app.orders (tenant_id, owner_oid, item, quantity) values ($1, $2, 'seed', 1)", [alice.tid, alice.oid]);
        });
        await db.transaction(
          async (tx) => {
            await as(tx, 'apim_rls_app', aliceKeys('req-attack'));
            // the app sees its tenant's audit row...
            assert.equal((await tx.query("select 1 from audit.row_changes where request_id = 'req-seed'")).rowCount, 1);
            // ...and can change none of it
            for (const sql of [
              "insert into audit.row_changes (occurred_at, tenant_id, table_schema, table_name, operation, row_key) values (now(), 'contoso', 'app', 'orders', 'insert', '{}')",
              "update audit.row_changes set user_oid = 'someone-else' where request_id = 'req-seed'",
              "delete from audit.row_changes where request_id = 'req-seed'",
              'truncate audit.row_changes',
              'alter table app.orders disable trigger apim_rls_audit',
              'alter table app.orders disable trigger all',
              'drop trigger apim_rls_audit on app.orders',
              'alter function audit.apim_rls_audit_app_orders() security invoker',
              'create or replace function audit.apim_rls_audit_app_orders() returns trigger language plpgsql as $$ begin return null; end $$',
              'set local session_replication_role = replica',
              'alter table audit.row_changes disable row level security',
            ]) {
              assert.equal(await code(tx, sql), '42501', sql);
            }
          },
          { rollback: true },
        );
        assert.equal((await auditRows(db, 'req-seed')).length, 1);
      } finally {
        await db.close();
      }
    });

    it('tenant A cannot read tenant B\'s audit rows; the auditor and the policy manager read all', async (t) => {
      const db = await sample(t);
      if (!db) return;
      try {
        await db.transaction(async (tx) => {
          await as(tx, 'apim_rls_app', aliceKeys('req-contoso'));
          await tx.query("update app.orders set quantity = 3 where item = 'alice-1'");
          await as(tx, 'apim_rls_app', { tenant_id: carol.tid, user_oid: carol.oid, roles: '["Orders.Write"]', request_id: 'req-fabrikam' });
          await tx.query("update app.orders set quantity = 3 where item = 'carol-1'");
        });
        await db.transaction(
          async (tx) => {
            const visible = async () => (await tx.query<{ r: string }>("select request_id as r from audit.row_changes where request_id in ('req-contoso', 'req-fabrikam') order by r")).rows.map((x) => x.r);
            await as(tx, 'apim_rls_app', { tenant_id: carol.tid, user_oid: carol.oid });
            assert.deepEqual(await visible(), ['req-fabrikam']);
            await as(tx, 'apim_rls_app', { tenant_id: bob.tid, user_oid: bob.oid, roles: '["Orders.Admin"]' });
            assert.deepEqual(await visible(), ['req-contoso']);
            await tx.query("select set_config('app.tenant_id', '', true)");
            assert.deepEqual(await visible(), [], 'no tenant: no audit rows');
            await as(tx, 'apim_rls_auditor', {});
            assert.deepEqual(await visible(), ['req-contoso', 'req-fabrikam']);
            await as(tx, 'apim_rls_policy_manager', {});
            assert.deepEqual(await visible(), ['req-contoso', 'req-fabrikam']);
            // the auditor reads; it writes nothing either
            await as(tx, 'apim_rls_auditor', {});
            assert.equal(await code(tx, "delete from audit.row_changes where request_id = 'req-contoso'"), '42501');
          },
          { rollback: true },
        );
      } finally {
        await db.close();
      }
    });

    it('rls verify proves the audit trail, and reports it when the trigger is switched off by hand', async (t) => {
      const db = await sample(t);
      if (!db) return;
      try {
        const cases = parseCases({ cases: sampleCases });
        const good = await verifySpec(db, ordersSpec, cases);
        assert.equal(good.mismatches, 0, formatTruthTable(good));
        const audit = good.rows.filter((r) => r.kind === 'audit');
        assert.ok(audit.some((r) => r.subject === 'insert own: audit rows' && r.actual === '1'));
        assert.ok(audit.some((r) => r.subject === 'insert own: audit rows after rollback' && r.actual === '0'));
        assert.ok(audit.some((r) => r.subject === 'tenant fabrikam reads its own audit rows only' && r.ok));
        assert.ok(good.rows.some((r) => r.kind === 'hardening' && r.subject === 'app.orders: disable its audit trigger' && r.actual === 'blocked'));
        await db.exec('alter table app.orders disable trigger apim_rls_audit');
        const bad = await verifySpec(db, ordersSpec, cases, { hardening: false });
        const missed = bad.rows.filter((r) => !r.ok);
        assert.ok(missed.length > 0);
        assert.ok(missed.every((r) => r.kind === 'audit'), formatTruthTable(bad));
        assert.ok(missed.some((r) => r.subject === 'insert own: audit rows' && r.expected === '1' && r.actual === '0'));
      } finally {
        await db.close();
      }
    });

    it('drift reports an audit trigger disabled or dropped by hand; apply restores it', async (t) => {
      const db = await sample(t);
      if (!db) return;
      try {
        assert.deepEqual(await driftSpec(db, ordersSpec), []);
        const object = 'audit trigger "apim_rls_audit" on "app"."orders"';
        await db.exec('alter table app.orders disable trigger apim_rls_audit');
        const disabled = await driftSpec(db, ordersSpec);
        assert.deepEqual(disabled.map((d) => [d.kind, d.object]), [['changed', object]]);
        assert.match(disabled[0]?.actual ?? '', /^DISABLED: /);
        await db.exec('drop trigger apim_rls_audit on app.orders');
        assert.deepEqual((await driftSpec(db, ordersSpec)).map((d) => [d.kind, d.object]), [['missing', object]]);
        await db.exec('alter function audit.apim_rls_audit_app_orders() security invoker');
        assert.ok((await driftSpec(db, ordersSpec)).some((d) => d.kind === 'changed' && d.object === 'audit function "audit"."apim_rls_audit_app_orders"' && /^security invoker/.test(d.actual ?? '')));
        const repaired = await applySpec(db, ordersSpec);
        assert.ok(repaired.committed);
        assert.deepEqual(await driftSpec(db, ordersSpec), []);
      } finally {
        await db.close();
      }
    });

    it('the remove script drops the triggers and keeps the audit rows (evidence)', async (t) => {
      const db = await sample(t);
      if (!db) return;
      try {
        await db.transaction(async (tx) => {
          await as(tx, 'apim_rls_app', aliceKeys('req-kept'));
          await tx.query("update app.orders set quantity = 4 where item = 'alice-1'");
        });
        await applySpec(db, ordersSpec, { remove: true });
        assert.equal((await db.query("select 1 from pg_catalog.pg_trigger where tgname = 'apim_rls_audit'")).rowCount, 0);
        assert.equal((await auditRows(db, 'req-kept')).length, 1);
        await applySpec(db, ordersSpec);
        assert.deepEqual(await driftSpec(db, ordersSpec), []);
      } finally {
        await db.close();
      }
    });
  });
}
