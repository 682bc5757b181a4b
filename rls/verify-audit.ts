/**
 * The audit trail's rows of the `rls verify` truth table (PostgreSQL; docs/audit.md):
 * - each write probe on an audited table: exactly one audit row per changed row, none for a
 *   refused write, none left after the write is rolled back (counted as the application role,
 *   through the audit table's row security, by the case's request id);
 * - tenant isolation: after writes of several tenants in one (rolled-back) transaction, each
 *   tenant reads its own audit rows only; the auditor and the policy manager read all of them;
 * - hardening: the application role can neither write, change, delete nor truncate audit rows,
 *   nor disable, drop or replace an audit trigger, nor skip triggers (`session_replication_role`).
 */
import { auditFunctionName, auditTriggerName } from './audit/names.js';
import type { VerifyCases, WriteProbe } from './cases.js';
import type { Executor } from './db/types.js';
import { pgAuditTableRef } from './emit/postgres-audit.js';
import { pgIdent } from './emit/quote.js';
import type { AuditSpec, RlsSpec } from './spec/schema.js';

/** A verify row as verify.ts defines it (kept structural to avoid an import cycle). */
export interface AuditVerifyRow {
  case: string;
  kind: 'audit';
  subject: string;
  expected: string;
  actual: string;
  ok: boolean;
  detail?: string;
}

/** The request id and W3C trace id verify sets for case `index` (0-based); the trace id is 32 hex digits, never all zero. */
export function verifyIds(index: number): { requestId: string; traceId: string } {
  return { requestId: `verify-${index + 1}`, traceId: (index + 1).toString(16).padStart(32, '0') };
}

/** The operations audited on `schema.table`, or undefined when the table is not audited. */
export function auditedOperations(spec: RlsSpec, table: string): ReadonlySet<string> | undefined {
  const t = spec.audit?.tables.find((x) => `${x.schema}.${x.name}` === table);
  return t ? new Set(t.operations) : undefined;
}

function splitTable(table: string): [string, string] {
  const dot = table.indexOf('.');
  return [table.slice(0, dot), table.slice(dot + 1)];
}

/** How a dialect counts audit rows and sets and rolls back a savepoint. */
export interface AuditProbeDialect {
  save: string;
  rollback: string;
  /** counts the audit rows of one request, table and operation visible to the current role/user */
  count(a: AuditSpec, requestId: string, schema: string, table: string, op: string): { sql: string; params: unknown[] };
}

export const pgAuditProbe: AuditProbeDialect = {
  save: 'SAVEPOINT apim_rls_probe',
  rollback: 'ROLLBACK TO SAVEPOINT apim_rls_probe',
  count: (a, requestId, schema, table, op) => ({
    sql: `select count(*)::int as n from ${pgAuditTableRef(a)} where "request_id" = $1 and "table_schema" = $2 and "table_name" = $3 and "operation" = $4`,
    params: [requestId, schema, table, op],
  }),
};

async function countAudit(tx: Executor, d: AuditProbeDialect, a: AuditSpec, requestId: string, table: string, op: string): Promise<number> {
  const [schema, name] = splitTable(table);
  const { sql, params } = d.count(a, requestId, schema, name, op);
  const r = await tx.query<{ n: number }>(sql, params);
  return Number(r.rows[0]?.n ?? -1);
}

export interface AuditedProbeResult {
  result: { rowCount: number } | { error: unknown };
  rows: AuditVerifyRow[];
}

/** Runs one write probe in a savepoint (always rolled back) and proves its audit rows. */
export async function auditedProbe(
  tx: Executor,
  d: AuditProbeDialect,
  a: AuditSpec,
  at: { caseName: string; subject: string; requestId: string },
  probe: WriteProbe,
  sql: string,
  params: readonly unknown[],
): Promise<AuditedProbeResult> {
  const before = await countAudit(tx, d, a, at.requestId, probe.table, probe.op);
  await tx.query(d.save);
  let result: AuditedProbeResult['result'];
  let written = 0;
  try {
    const r = await tx.query(sql, params);
    written = (await countAudit(tx, d, a, at.requestId, probe.table, probe.op)) - before;
    result = { rowCount: r.rowCount };
  } catch (error) {
    result = { error };
  } finally {
    await tx.query(d.rollback);
  }
  const changed = 'error' in result ? 0 : result.rowCount;
  const rows: AuditVerifyRow[] = [
    { case: at.caseName, kind: 'audit', subject: `${at.subject}: audit rows`, expected: String(changed), actual: String(written), ok: written === changed },
  ];
  if (changed > 0) {
    const left = (await countAudit(tx, d, a, at.requestId, probe.table, probe.op)) - before;
    rows.push({ case: at.caseName, kind: 'audit', subject: `${at.subject}: audit rows after rollback`, expected: '0', actual: String(left), ok: left === 0 });
  }
  return { result, rows };
}

export type SetSession = (tx: Executor, role: string, index: number) => Promise<void>;

/**
 * Tenant isolation of the audit rows, in one transaction the caller rolls back: every allowed
 * write of every case on an audited table is made (and kept for the moment), then each writing
 * tenant counts what it sees, and the auditor and the policy manager count everything. Tenants
 * whose writes all failed are left out (their write rows already report the mismatch).
 */
export async function auditTrailChecks(tx: Executor, spec: RlsSpec, a: AuditSpec, cases: VerifyCases, role: string, setSession: SetSession, statement: (w: WriteProbe) => { sql: string; params: unknown[] }): Promise<AuditVerifyRow[]> {
  const tenantKey = spec.sessionKeys.find((k) => k.name === a.tenantKey);
  const byTenant = new Map<string, { index: number; written: number }>();
  const ids: string[] = [];
  let total = 0;
  for (const [i, c] of cases.cases.entries()) {
    const writes = c.writes.filter((w) => w.expect === 'allowed' && auditedOperations(spec, w.table)?.has(w.op));
    const claim = tenantKey?.claim === undefined ? undefined : c.claims[tenantKey.claim];
    if (writes.length === 0 || typeof claim !== 'string') continue;
    await setSession(tx, role, i);
    ids.push(verifyIds(i).requestId);
    let written = 0;
    for (const w of writes) {
      const { sql, params } = statement(w);
      await tx.query('SAVEPOINT apim_rls_trail');
      try {
        written += (await tx.query(sql, params)).rowCount;
        await tx.query('RELEASE SAVEPOINT apim_rls_trail');
      } catch {
        await tx.query('ROLLBACK TO SAVEPOINT apim_rls_trail');
      }
    }
    if (written === 0) continue;
    total += written;
    const seen = byTenant.get(claim);
    byTenant.set(claim, { index: seen?.index ?? i, written: (seen?.written ?? 0) + written });
  }
  const rows: AuditVerifyRow[] = [];
  if (byTenant.size === 0) return rows;
  const table = pgAuditTableRef(a);
  for (const [tenant, { index, written }] of byTenant) {
    await setSession(tx, role, index);
    const r = await tx.query<{ own: number; foreign: number }>(
      `select count(*) filter (where "request_id" = any($1::text[]))::int as own, count(*) filter (where "tenant_id"::text is distinct from $2)::int as foreign from ${table}`,
      [ids, tenant],
    );
    const own = Number(r.rows[0]?.own ?? -1);
    const foreign = Number(r.rows[0]?.foreign ?? -1);
    rows.push({
      case: 'audit trail',
      kind: 'audit',
      subject: `tenant ${tenant} reads its own audit rows only`,
      expected: `${written} own, 0 other`,
      actual: `${own} own, ${foreign} other`,
      ok: own === written && foreign === 0,
    });
  }
  for (const reader of [a.auditor, spec.policyManager.name]) {
    await tx.query("select set_config('role', $1, true)", [reader]);
    const r = await tx.query<{ n: number }>(`select count(*)::int as n from ${table} where "request_id" = any($1::text[])`, [ids]);
    const n = Number(r.rows[0]?.n ?? -1);
    rows.push({ case: 'audit trail', kind: 'audit', subject: `${reader} reads every tenant's audit rows`, expected: String(total), actual: String(n), ok: n === total });
  }
  return rows;
}

/** The statements the application role must not be able to run against the audit trail. */
export function auditHardeningChecks(a: AuditSpec): { subject: string; sql: string | string[] }[] {
  const table = pgAuditTableRef(a);
  const name = `${a.schema}.${a.table}`;
  const out: { subject: string; sql: string | string[] }[] = [
    { subject: `${name}: insert an audit row directly`, sql: `INSERT INTO ${table} ("occurred_at", "table_schema", "table_name", "operation", "row_key") VALUES (now(), 'x', 'x', 'insert', '{}')` },
    { subject: `${name}: update audit rows`, sql: `UPDATE ${table} SET "operation" = "operation"` },
    { subject: `${name}: delete audit rows`, sql: `DELETE FROM ${table}` },
    { subject: `${name}: truncate the audit table`, sql: `TRUNCATE ${table}` },
    { subject: `${name}: disable its row level security`, sql: `ALTER TABLE ${table} DISABLE ROW LEVEL SECURITY` },
    { subject: 'skip triggers (session_replication_role = replica)', sql: 'SET LOCAL session_replication_role = replica' },
  ];
  for (const t of a.tables) {
    const target = `${pgIdent(t.schema)}.${pgIdent(t.name)}`;
    const fn = `${pgIdent(a.schema)}.${pgIdent(auditFunctionName(t))}`;
    out.push(
      { subject: `${t.schema}.${t.name}: disable its audit trigger`, sql: `ALTER TABLE ${target} DISABLE TRIGGER ${pgIdent(auditTriggerName)}` },
      { subject: `${t.schema}.${t.name}: drop its audit trigger`, sql: `DROP TRIGGER ${pgIdent(auditTriggerName)} ON ${target}` },
      { subject: `${t.schema}.${t.name}: make its audit function run as the caller`, sql: `ALTER FUNCTION ${fn}() SECURITY INVOKER` },
    );
  }
  return out;
}
