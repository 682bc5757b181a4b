import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diffSnapshots } from '../../rls/catalog/postgres.js';
import { actualMssqlSnapshot, actualMssqlTriggers, driftMssql, expectedMssqlSnapshot, type MssqlPredicateRow, type MssqlTriggerRow } from '../../rls/drift.js';
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
  rows.push({ ...row('FILTER', null, 'row_changes', '([rls].[audit_row_changes_read]([tenant_id]))'), target_schema: 'audit' });
  return rows;
}

/** The audit trigger sys.triggers + sys.trigger_events hold after the orders spec was applied. */
const appliedTrigger: MssqlTriggerRow = { table_schema: 'app', table_name: 'orders', trigger_name: 'apim_rls_audit_orders', is_disabled: false, events: 'DELETE,INSERT,UPDATE' };

function mssqlActual(rows: MssqlPredicateRow[], triggers: MssqlTriggerRow[]) {
  const out = actualMssqlSnapshot(ordersSpec, rows);
  for (const [k, v] of actualMssqlTriggers(ordersSpec, triggers)) out.set(k, v);
  return out;
}

describe('Azure SQL drift (sys.security_policies + sys.security_predicates)', () => {
  it('no drift when the catalog holds every predicate of the spec', () => {
    assert.deepEqual(diffSnapshots(mssqlActual(appliedRows(), [appliedTrigger]), expectedMssqlSnapshot(ordersSpec)), []);
  });

  it('reports an audit trigger disabled by hand (sys.triggers.is_disabled), dropped, or narrowed to fewer events', () => {
    const object = 'audit trigger "apim_rls_audit_orders" on "app"."orders"';
    const disabled = diffSnapshots(mssqlActual(appliedRows(), [{ ...appliedTrigger, is_disabled: true }]), expectedMssqlSnapshot(ordersSpec));
    assert.deepEqual(disabled, [{ kind: 'changed', object, expected: 'enabled, AFTER DELETE,INSERT,UPDATE', actual: 'DISABLED, AFTER DELETE,INSERT,UPDATE' }]);
    const dropped = diffSnapshots(mssqlActual(appliedRows(), []), expectedMssqlSnapshot(ordersSpec));
    assert.deepEqual(dropped, [{ kind: 'missing', object, expected: 'enabled, AFTER DELETE,INSERT,UPDATE' }]);
    const narrowed = diffSnapshots(mssqlActual(appliedRows(), [{ ...appliedTrigger, events: 'INSERT' }]), expectedMssqlSnapshot(ordersSpec));
    assert.deepEqual(narrowed.map((d) => `${d.kind} ${d.object}`), [`changed ${object}`]);
    // a trigger of another name, or on a table that is not audited, is none of the audit trail's business
    assert.deepEqual(diffSnapshots(mssqlActual(appliedRows(), [appliedTrigger, { ...appliedTrigger, trigger_name: 'their_trigger' }, { ...appliedTrigger, table_name: 'tenants' }]), expectedMssqlSnapshot(ordersSpec)), []);
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
    const seen: string[] = [];
    const db: Executor = {
      dialect: 'mssql',
      async query<R>(sql: string) {
        seen.push(sql);
        return { rows: [] as R[], rowCount: 0 };
      },
      async exec() {},
    };
    const drift = await driftMssql(db, ordersSpec);
    assert.match(seen[0] ?? '', /FROM sys\.security_policies AS p\s+LEFT JOIN sys\.security_predicates/);
    assert.match(seen[1] ?? '', /FROM sys\.triggers AS t/);
    // 11 predicates of the two tables, the audit table's filter, the audit trigger
    assert.equal(drift.length, 13);
    assert.ok(drift.every((d) => d.kind === 'missing'));
  });
});
