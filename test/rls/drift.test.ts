import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diffSnapshots } from '../../rls/catalog/postgres.js';
import { actualMssqlSnapshot, driftMssql, expectedMssqlSnapshot, type MssqlPredicateRow } from '../../rls/drift.js';
import type { Executor } from '../../rls/db/types.js';
import { ordersSpec } from '../../rls/sample/index.js';

/** The rows sys.security_policies + sys.security_predicates hold after the orders spec was applied. */
function appliedRows(): MssqlPredicateRow[] {
  const row = (type: string, op: string | null, table: string, def: string): MssqlPredicateRow => ({
    policy_schema: 'rls', policy_name: 'orders_policy', is_enabled: true, is_schema_bound: true,
    predicate_type_desc: type, operation_desc: op, target_schema: 'app', target_name: table, predicate_definition: def,
  });
  const rows: MssqlPredicateRow[] = [];
  for (const [table, args] of [['tenants', '[id]'], ['orders', '[tenant_id],[owner_oid]']] as const) {
    rows.push(row('FILTER', null, table, `([rls].[app_${table}_read](${args}))`));
    rows.push(row('BLOCK', 'AFTER_INSERT', table, `([rls].[app_${table}_insert](${args}))`));
    rows.push(row('BLOCK', 'AFTER_UPDATE', table, `([rls].[app_${table}_update](${args}))`));
    rows.push(row('BLOCK', 'BEFORE_UPDATE', table, `([rls].[app_${table}_update](${args}))`));
    rows.push(row('BLOCK', 'BEFORE_DELETE', table, `([rls].[app_${table}_delete](${args}))`));
  }
  return rows;
}

describe('Azure SQL drift (sys.security_policies + sys.security_predicates)', () => {
  it('no drift when the catalog holds every predicate of the spec', () => {
    assert.deepEqual(diffSnapshots(actualMssqlSnapshot(ordersSpec, appliedRows()), expectedMssqlSnapshot(ordersSpec)), []);
  });

  it('reports a dropped block predicate, a disabled policy, a swapped function and a foreign policy', () => {
    const rows = appliedRows()
      .filter((r) => !(r.target_name === 'orders' && r.operation_desc === 'BEFORE_DELETE'))
      .map((r) => ({ ...r, is_enabled: false }));
    const filter = rows.find((r) => r.target_name === 'orders' && r.predicate_type_desc === 'FILTER');
    assert.ok(filter);
    filter.predicate_definition = '([rls].[allow_all]([tenant_id],[owner_oid]))';
    rows.push({ ...filter, policy_name: 'sneaky', is_enabled: true, predicate_definition: '([dbo].[always]())' });
    const drift = diffSnapshots(actualMssqlSnapshot(ordersSpec, rows), expectedMssqlSnapshot(ordersSpec));
    const kinds = drift.map((d) => `${d.kind} ${d.object}`);
    assert.ok(kinds.includes('missing security policy "rls"."orders_policy": BLOCK BEFORE_DELETE on "app"."orders"'), kinds.join('\n'));
    assert.ok(kinds.includes('changed security policy "rls"."orders_policy"'));
    assert.ok(kinds.includes('changed security policy "rls"."orders_policy": FILTER on "app"."orders"'));
    assert.ok(kinds.includes('unexpected security policy "rls"."sneaky"'));
    assert.ok(kinds.includes('unexpected security policy "rls"."sneaky": FILTER on "app"."orders"'));
  });

  it('an empty catalog (policy dropped by hand) is all missing; driftMssql runs the catalog query', async () => {
    let seen = '';
    const db: Executor = {
      dialect: 'mssql',
      async query<R>(sql: string) {
        seen = sql;
        return { rows: [] as R[], rowCount: 0 };
      },
      async exec() {},
    };
    const drift = await driftMssql(db, ordersSpec);
    assert.match(seen, /FROM sys\.security_policies AS p\s+LEFT JOIN sys\.security_predicates/);
    assert.equal(drift.length, 11);
    assert.ok(drift.every((d) => d.kind === 'missing'));
  });
});
