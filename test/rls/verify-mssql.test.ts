/** Issue 14 item 6: `rls verify` on Azure SQL through mssql, on a fake database (the exact batches). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Database, Executor, QueryResult } from '../../rls/db/types.js';
import { ordersSpec, sampleUsers } from '../../rls/sample/index.js';
import { parseCases } from '../../rls/cases.js';
import { verifySpec } from '../../rls/verify.js';
import { buildMssqlPrelude } from '../../functions/session/mssql.js';

interface Call {
  tx: number;
  sql: string;
  params: readonly unknown[];
}

/** A fake Azure SQL Database: records every batch per transaction; answers counts and writes from a script. */
function fakeMssql(answer: (sql: string, params: readonly unknown[]) => QueryResult<Record<string, unknown>> | Error) {
  const calls: Call[] = [];
  const txs: { rollback: boolean | undefined }[] = [];
  const exec = (tx: number): Executor => ({
    dialect: 'mssql',
    async query<R>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<R>> {
      calls.push({ tx, sql, params });
      const a = answer(sql, params);
      if (a instanceof Error) throw a;
      return a as QueryResult<R>;
    },
    async exec(sql: string) {
      calls.push({ tx, sql, params: [] });
    },
  });
  const db: Database = {
    ...exec(-1),
    kind: 'mssql',
    async transaction<T>(fn: (tx: Executor) => Promise<T>, options?: { rollback?: boolean }) {
      txs.push({ rollback: options?.rollback });
      return fn(exec(txs.length - 1));
    },
    async close() {},
  };
  return { db, calls, txs };
}

const ok = (rowCount = 0, rows: Record<string, unknown>[] = []) => ({ rowCount, rows });
const blocked = () => Object.assign(new Error('The attempted operation failed because the target object has a block predicate'), { number: 33504 });
const { alice } = sampleUsers;

describe('rls verify on Azure SQL (fake mssql database)', () => {
  it('each case: one rolled-back transaction, EXECUTE AS the app user, every session key set as the backend sets it, counts, writes in a savepoint, REVERT', async () => {
    const cases = parseCases({
      cases: [
        {
          name: 'alice',
          claims: { tid: alice.tid, oid: alice.oid, roles: ['Orders.Read', 'Orders.Write'] },
          rows: { 'app.orders': 3 },
          writes: [
            { name: 'insert as bob', op: 'insert', table: 'app.orders', values: { tenant_id: 'contoso', owner_oid: 'bob', item: 'x', quantity: 1 }, expect: 'blocked' },
            { name: 'update own', op: 'update', table: 'app.orders', set: { quantity: 9 }, where: { item: 'alice-1' }, expect: 'allowed' },
          ],
        },
      ],
    });
    // the audit trigger, simulated: an update that changes a row adds an audit row until its savepoint is rolled back
    let pendingAudit = 0;
    const { db, calls, txs } = fakeMssql((sql) => {
      if (sql.startsWith('SELECT COUNT(*) AS [n] FROM [audit]')) return ok(1, [{ n: 5 + pendingAudit }]);
      if (sql.startsWith('SELECT COUNT(*)')) return ok(1, [{ n: 3 }]);
      if (sql.startsWith('INSERT')) return blocked();
      if (sql.startsWith('UPDATE')) {
        pendingAudit = 1;
        return ok(1);
      }
      if (sql.startsWith('ROLLBACK TRANSACTION')) pendingAudit = 0;
      return ok();
    });
    const report = await verifySpec(db, ordersSpec, cases, { hardening: false });
    assert.equal(report.mismatches, 0, JSON.stringify(report.rows));
    assert.deepEqual(txs, [{ rollback: true }]);
    const auditCount = 'SELECT COUNT(*) AS [n] FROM [audit].[row_changes] WHERE [request_id] = @p1 AND [table_schema] = @p2 AND [table_name] = @p3 AND [operation] = @p4;';
    const prelude = [
      "EXEC sp_set_session_context @key = @p1, @value = @p2, @read_only = 0;",
      "EXEC sp_set_session_context @key = @p3, @value = @p4, @read_only = 0;",
      "EXEC sp_set_session_context @key = @p5, @value = @p6, @read_only = 0;",
      "EXEC sp_set_session_context @key = @p7, @value = @p8, @read_only = 0;",
      "EXEC sp_set_session_context @key = @p9, @value = @p10, @read_only = 0;",
      '',
    ].join('\n');
    // the same statement the backend sends, only with the executor's parameter names
    assert.equal(prelude.replace(/@p(\d+)/g, (_m, n: string) => (Number(n) % 2 === 1 ? `@k${(Number(n) - 1) / 2}` : `@v${Number(n) / 2 - 1}`)), buildMssqlPrelude(5));
    assert.deepEqual(
      calls.map((c) => [c.sql, c.params]),
      [
        ['EXECUTE AS USER = @p1;', ['func-apim-rls-orders']],
        [prelude, ['tenant_id', 'contoso', 'user_oid', alice.oid, 'roles', '["Orders.Read","Orders.Write"]', 'request_id', 'verify-1', 'trace_id', '00000000000000000000000000000001']],
        ['SAVE TRANSACTION apim_rls_probe;', []],
        ['SELECT COUNT(*) AS [n] FROM [app].[orders];', []],
        ['ROLLBACK TRANSACTION apim_rls_probe;', []],
        // a write on an audited table: audit rows of this request counted before, after (in the savepoint) and after the rollback
        [auditCount, ['verify-1', 'app', 'orders', 'insert']],
        ['SAVE TRANSACTION apim_rls_probe;', []],
        ['INSERT INTO [app].[orders] ([tenant_id], [owner_oid], [item], [quantity]) VALUES (@p1, @p2, @p3, @p4);', ['contoso', 'bob', 'x', 1]],
        ['ROLLBACK TRANSACTION apim_rls_probe;', []],
        [auditCount, ['verify-1', 'app', 'orders', 'update']],
        ['SAVE TRANSACTION apim_rls_probe;', []],
        ['UPDATE [app].[orders] SET [quantity] = @p1 WHERE [item] = @p2;', [9, 'alice-1']],
        [auditCount, ['verify-1', 'app', 'orders', 'update']],
        ['ROLLBACK TRANSACTION apim_rls_probe;', []],
        [auditCount, ['verify-1', 'app', 'orders', 'update']],
        ['REVERT;', []],
      ],
    );
    assert.deepEqual(report.rows.map((r) => [r.subject, r.expected, r.actual]), [
      ['app.orders', '3', '3'],
      ['insert as bob', 'blocked', 'blocked'],
      ['insert as bob: audit rows', '0', '0'],
      ['update own', 'allowed', 'allowed'],
      ['update own: audit rows', '1', '1'],
      ['update own: audit rows after rollback', '0', '0'],
    ]);
  });

  it('an absent claim is set to NULL (no key survives from an earlier case); a mismatch is reported, not thrown', async () => {
    const cases = parseCases({ cases: [{ name: 'nobody', claims: {}, rows: { 'app.orders': 0 } }] });
    const { db, calls } = fakeMssql((sql) => (sql.startsWith('SELECT COUNT(*)') ? ok(1, [{ n: 2 }]) : ok()));
    const report = await verifySpec(db, ordersSpec, cases, { hardening: false });
    assert.deepEqual(calls[1]?.params, ['tenant_id', null, 'user_oid', null, 'roles', null, 'request_id', 'verify-1', 'trace_id', '00000000000000000000000000000001']);
    assert.equal(report.mismatches, 1);
    assert.deepEqual(report.rows[0], { case: 'nobody', kind: 'rows', subject: 'app.orders', expected: '0', actual: '2', ok: false });
  });

  it('an update that leaves no audit row (the trigger switched off) is a mismatch', async () => {
    const cases = parseCases({
      cases: [{ name: 'alice', claims: { tid: alice.tid, oid: alice.oid, roles: ['Orders.Write'] }, writes: [{ name: 'update own', op: 'update', table: 'app.orders', set: { quantity: 9 }, where: { item: 'alice-1' }, expect: 'allowed' }] }],
    });
    const { db } = fakeMssql((sql) => (sql.startsWith('SELECT COUNT(*)') ? ok(1, [{ n: 0 }]) : sql.startsWith('UPDATE') ? ok(1) : ok()));
    const report = await verifySpec(db, ordersSpec, cases, { hardening: false });
    assert.equal(report.mismatches, 1);
    assert.deepEqual(report.rows.filter((r) => !r.ok).map((r) => [r.kind, r.subject, r.expected, r.actual]), [['audit', 'update own: audit rows', '1', '0']]);
  });

  it('hardening: the app user cannot switch off, drop or alter the policy; one that succeeds is a mismatch', async () => {
    const cases = parseCases({ cases: [{ name: 'n', claims: {}, rows: {} }] });
    const denied = () => Object.assign(new Error('Cannot find the object, because it does not exist or you do not have permission.'), { number: 15151 });
    const { db, calls } = fakeMssql((sql) => (sql.startsWith('DROP SECURITY POLICY') ? ok() : /^(ALTER|EXEC\(|INSERT INTO \[audit\]|UPDATE \[audit\]|DELETE FROM \[audit\]|TRUNCATE|DISABLE TRIGGER|DROP TRIGGER)/.test(sql) ? denied() : ok()));
    const report = await verifySpec(db, ordersSpec, cases);
    const hardening = report.rows.filter((r) => r.kind === 'hardening');
    assert.ok(hardening.length >= 4);
    assert.deepEqual(hardening.filter((r) => !r.ok).map((r) => r.subject), ['drop the security policy']);
    // the audit trail: no direct write, change or delete of audit rows, no trigger switched off or dropped
    for (const sql of [
      "INSERT INTO [audit].[row_changes] ([occurred_at], [table_schema], [table_name], [operation], [row_key]) VALUES (SYSUTCDATETIME(), N'x', N'x', N'insert', N'{}');",
      'UPDATE [audit].[row_changes] SET [operation] = [operation];',
      'DELETE FROM [audit].[row_changes];',
      'DISABLE TRIGGER [app].[apim_rls_audit_orders] ON [app].[orders];',
      'DROP TRIGGER [app].[apim_rls_audit_orders];',
    ]) {
      assert.ok(calls.some((c) => c.sql === sql), sql);
    }
    assert.ok(hardening.some((r) => r.subject === 'app.orders: disable its audit trigger' && r.ok));
    assert.ok(calls.some((c) => c.sql === 'ALTER SECURITY POLICY [rls].[orders_policy] WITH (STATE = OFF);'));
  });
});
