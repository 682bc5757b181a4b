import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCases } from '../../rls/cases.js';
import type { Database, Executor } from '../../rls/db/types.js';
import { formatTruthTable, probeStatement, sessionValuesFromClaims, verifySpec } from '../../rls/verify.js';
import { ordersSpec, sampleCases, sampleUsers, setupSampleDatabase } from '../../rls/sample/index.js';
import { backendsReusingPglite } from './support/backends.js';

const { alice, bob, carol } = sampleUsers;

/** Runs `fn` as the application role with the given session keys, in a transaction that is rolled back. */
async function asApp<T>(db: Database, keys: Record<string, string>, fn: (tx: Executor) => Promise<T>): Promise<T> {
  return db.transaction(
    async (tx) => {
      await tx.query("select set_config('role', 'apim_rls_app', true)");
      for (const [k, v] of Object.entries(keys)) await tx.query('select set_config($1, $2, true)', [`app.${k}`, v]);
      return fn(tx);
    },
    { rollback: true },
  );
}

const count = async (tx: Executor, sql: string, params: unknown[] = []) => (await tx.query<{ n: number }>(sql, params)).rows[0]?.n;

async function rejects42501(p: Promise<unknown>) {
  await assert.rejects(p, (err: { code?: string }) => err.code === '42501');
}

/** Runs a statement in a savepoint and reports the SQLSTATE, so one failure does not abort the transaction. */
async function attempt(tx: Executor, sql: string, params: unknown[] = []): Promise<{ rowCount: number } | { code: string }> {
  await tx.query('savepoint t');
  try {
    const r = await tx.query(sql, params);
    return { rowCount: r.rowCount };
  } catch (err) {
    return { code: String((err as { code?: string }).code) };
  } finally {
    await tx.query('rollback to savepoint t');
  }
}

describe('sessionValuesFromClaims', () => {
  it('maps claims to keys, roles as a JSON array, request id from the request', () => {
    const v = sessionValuesFromClaims(ordersSpec, { tid: 'contoso', oid: 'x', roles: ['A', 'B'], other: 'ignored' }, 'req-1');
    assert.deepEqual(Object.fromEntries(v), { tenant_id: 'contoso', user_oid: 'x', roles: '["A","B"]', request_id: 'req-1' });
  });
  it('a single-string multi-valued claim becomes a one-element array; a missing claim sets nothing', () => {
    const v = sessionValuesFromClaims(ordersSpec, { roles: 'Orders.Read' });
    assert.deepEqual(Object.fromEntries(v), { roles: '["Orders.Read"]' });
  });
});

describe('probeStatement', () => {
  it('quotes identifiers and binds every value', () => {
    const s = probeStatement(ordersSpec, { op: 'update', table: 'app.orders', set: { 'qu"antity': "1'; drop table x--" }, where: { item: 'a' }, expect: 'blocked' });
    assert.equal(s.sql, 'UPDATE "app"."orders" SET "qu""antity" = $1 WHERE "item" IS NOT DISTINCT FROM $2');
    assert.deepEqual(s.params, ["1'; drop table x--", 'a']);
  });
  it('refuses a table the spec neither protects nor grants', () => {
    assert.throws(() => probeStatement(ordersSpec, { op: 'delete', table: 'pg_catalog.pg_authid', where: { a: 1 }, expect: 'blocked' }), { code: 'RLS_SPEC_INVALID' });
  });
});

// one PGlite cluster for the file, as new for each test (test/support/pglite-reuse.ts)
for (const backend of backendsReusingPglite()) {
  describe(`orders sample on ${backend.name}`, () => {
    async function sample(t: { skip: (r: string) => void }): Promise<Database | null> {
      const r = await backend.open();
      if ('skip' in r) {
        t.skip(r.skip);
        return null;
      }
      await setupSampleDatabase(r.db);
      return r.db;
    }

    it('rls verify passes every sample case and every hardening check', async (t) => {
      const db = await sample(t);
      if (!db) return;
      try {
        const report = await verifySpec(db, ordersSpec, parseCases({ cases: sampleCases }));
        assert.equal(report.mismatches, 0, formatTruthTable(report));
        assert.ok(report.rows.some((r) => r.kind === 'hardening' && r.subject.includes('disable row level security') && r.actual === 'blocked'));
        // verify rolled everything back: the seed is intact
        assert.equal(await count(db, 'select count(*)::int as n from app.orders'), 11);
      } finally {
        await db.close();
      }
    });

    it('a deliberately wrong case is reported as a mismatch', async (t) => {
      const db = await sample(t);
      if (!db) return;
      try {
        const wrong = parseCases({
          cases: [
            { name: 'wrong: carol sees contoso', claims: { tid: carol.tid, oid: carol.oid, roles: ['Orders.Read'] }, rows: { 'app.orders': 5 } },
            {
              name: 'wrong: cross-tenant insert allowed',
              claims: { tid: carol.tid, oid: carol.oid, roles: ['Orders.Write'] },
              writes: [{ op: 'insert', table: 'app.orders', values: { tenant_id: 'contoso', owner_oid: carol.oid, item: 'x', quantity: 1 }, expect: 'allowed' }],
            },
          ],
        });
        const report = await verifySpec(db, ordersSpec, wrong, { hardening: false });
        assert.equal(report.mismatches, 2);
        assert.deepEqual(report.rows.filter((r) => r.kind !== 'audit').map((r) => [r.expected, r.actual]), [['5', '2'], ['allowed', 'blocked']]);
        // the refused insert left no audit row
        assert.deepEqual(report.rows.filter((r) => r.kind === 'audit').map((r) => [r.subject, r.expected, r.actual]), [['insert app.orders #1: audit rows', '0', '0']]);
        assert.match(formatTruthTable(report), /MISMATCH/);
      } finally {
        await db.close();
      }
    });

    it('cross-tenant reads return zero rows', async (t) => {
      const db = await sample(t);
      if (!db) return;
      try {
        await asApp(db, { tenant_id: carol.tid, user_oid: carol.oid, roles: '["Orders.Admin"]' }, async (tx) => {
          assert.equal(await count(tx, "select count(*)::int as n from app.orders where tenant_id = 'contoso'"), 0);
          assert.equal(await count(tx, "select count(*)::int as n from app.tenants where id = 'contoso'"), 0);
          assert.equal(await count(tx, 'select count(*)::int as n from app.orders'), 2);
        });
      } finally {
        await db.close();
      }
    });

    it('cross-tenant insert and update are blocked', async (t) => {
      const db = await sample(t);
      if (!db) return;
      try {
        await asApp(db, { tenant_id: carol.tid, user_oid: carol.oid, roles: '["Orders.Write","Orders.Admin"]' }, async (tx) => {
          const ins = await attempt(tx, "insert into app.orders (tenant_id, owner_oid, item, quantity) values ('contoso', $1, 'x', 1)", [carol.oid]);
          assert.deepEqual(ins, { code: '42501' });
          const upd = await attempt(tx, "update app.orders set quantity = 99 where item = 'alice-1'");
          assert.deepEqual(upd, { rowCount: 0 });
          const move = await attempt(tx, "update app.orders set tenant_id = 'contoso' where item = 'carol-1'");
          assert.deepEqual(move, { code: '42501' });
          const del = await attempt(tx, "delete from app.orders where item = 'alice-1'");
          assert.deepEqual(del, { rowCount: 0 });
        });
        assert.equal(await count(db, "select quantity as n from app.orders where item = 'alice-1'"), 1);
      } finally {
        await db.close();
      }
    });

    it('a session with no keys sees nothing and writes nothing; empty strings count as no key', async (t) => {
      const db = await sample(t);
      if (!db) return;
      try {
        const sessions: Record<string, string>[] = [{}, { tenant_id: '', user_oid: '', roles: '' }];
        for (const keys of sessions) {
          await asApp(db, keys, async (tx) => {
            assert.equal(await count(tx, 'select count(*)::int as n from app.orders'), 0);
            assert.equal(await count(tx, 'select count(*)::int as n from app.tenants'), 0);
            assert.deepEqual(await attempt(tx, "insert into app.orders (tenant_id, owner_oid, item, quantity) values ('contoso', $1, 'x', 1)", [alice.oid]), { code: '42501' });
          });
        }
      } finally {
        await db.close();
      }
    });

    it('Orders.Admin sees its whole tenant, Orders.Read only its own orders', async (t) => {
      const db = await sample(t);
      if (!db) return;
      try {
        const items = async (keys: Record<string, string>) =>
          asApp(db, keys, async (tx) => (await tx.query<{ item: string }>('select item from app.orders order by item')).rows.map((r) => r.item));
        assert.deepEqual(await items({ tenant_id: bob.tid, user_oid: bob.oid, roles: '["Orders.Admin"]' }), ['alice-1', 'alice-2', 'alice-3', 'bob-1', 'bob-2']);
        assert.deepEqual(await items({ tenant_id: alice.tid, user_oid: alice.oid, roles: '["Orders.Read"]' }), ['alice-1', 'alice-2', 'alice-3']);
        // a role claim that is not an array of the expected roles grants nothing
        assert.deepEqual(await items({ tenant_id: alice.tid, user_oid: alice.oid, roles: '["orders.admin"]' }), []);
      } finally {
        await db.close();
      }
    });

    it('the application role cannot disable RLS, alter or drop a policy, or turn row_security off', async (t) => {
      const db = await sample(t);
      if (!db) return;
      try {
        await asApp(db, {}, async (tx) => {
          for (const sql of [
            'alter table app.orders disable row level security',
            'alter table app.orders no force row level security',
            'alter policy apim_rls_tenant_isolation on app.orders using (true)',
            'drop policy apim_rls_select on app.orders',
            'create policy open on app.orders using (true)',
          ]) {
            const r = await attempt(tx, sql);
            assert.ok('code' in r, `${sql} must fail`);
          }
          await tx.query('savepoint s');
          await tx.query('set local row_security = off');
          await rejects42501(tx.query('select count(*) from app.orders'));
          await tx.query('rollback to savepoint s');
        });
        // SET ROLE is checked against the session user, not the current role: switching back is the
        // connecting login's privilege (see docs/rls.md), so it is not a property of the app role.
        // and the role has no superuser, login or bypass attributes
        const role = await db.query<{ rolsuper: boolean; rolcanlogin: boolean; rolbypassrls: boolean }>(
          "select rolsuper, rolcanlogin, rolbypassrls from pg_roles where rolname = 'apim_rls_app'",
        );
        assert.deepEqual(role.rows, [{ rolsuper: false, rolcanlogin: false, rolbypassrls: false }]);
      } finally {
        await db.close();
      }
    });
  });
}
