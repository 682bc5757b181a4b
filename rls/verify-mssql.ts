/**
 * `rls verify` on Azure SQL, through `mssql`: the same truth table as on PostgreSQL. Each case runs
 * in its own transaction, always rolled back:
 *   EXECUTE AS USER = <a database user in the application role>  (RLS applies to it as to the app)
 *   EXEC sp_set_session_context @key, @value, @read_only = 0      (EVERY key, NULL when absent —
 *                                                                  exactly as the backend's prelude)
 *   SELECT COUNT(*) per table; each write in SAVE TRANSACTION … ROLLBACK TRANSACTION;
 *   REVERT
 * A write refused by a BLOCK predicate fails with error 33504 (blocked); one that touches no visible
 * row affects 0 rows (blocked). A user, not a role, can be impersonated
 * (https://learn.microsoft.com/sql/t-sql/statements/execute-as-transact-sql): verify acts as the
 * first spec principal that is a member of the role, so it needs IMPERSONATE on it — the Entra
 * admin connection `rls apply` needs has it. Only runs in Azure; the batches are tested on a fake.
 */
import type { VerifyCase, VerifyCases, WriteProbe } from './cases.js';
import type { Database, Executor } from './db/types.js';
import { functionName, securityPolicyName } from './emit/mssql.js';
import { msIdent, msString } from './emit/quote.js';
import { RlsError } from './errors.js';
import type { RlsSpec } from './spec/schema.js';
import { msAuditTableRef, mssqlAuditTriggerName } from './emit/mssql-audit.js';
import { resolveTable, sessionValuesFromClaims, verifyIds, type VerifyOptions, type VerifyReport, type VerifyRow } from './verify.js';
import { auditedOperations, auditedProbe, type AuditProbeDialect } from './verify-audit.js';

/** Audit rows counted as the impersonated app user, through the audit table's FILTER predicate. */
const mssqlAuditProbe: AuditProbeDialect = {
  save: 'SAVE TRANSACTION apim_rls_probe;',
  rollback: 'ROLLBACK TRANSACTION apim_rls_probe;',
  count: (a, requestId, schema, table, op) => ({
    sql: `SELECT COUNT(*) AS [n] FROM ${msAuditTableRef(a)} WHERE [request_id] = @p1 AND [table_schema] = @p2 AND [table_name] = @p3 AND [operation] = @p4;`,
    params: [requestId, schema, table, op],
  }),
};

/** SQL Server's error number for a write refused by a BLOCK predicate. */
export const mssqlBlockPredicateError = 33504;

const ref = (t: { schema: string; name: string }) => `${msIdent(t.schema)}.${msIdent(t.name)}`;

/** The prelude the backend sends (functions/session/mssql.ts `buildMssqlPrelude`), with the executor's `@pN` names. */
export function mssqlSessionBatch(spec: RlsSpec, values: ReadonlyMap<string, string>): { sql: string; params: (string | null)[] } {
  const params: (string | null)[] = [];
  let sql = '';
  for (const k of spec.sessionKeys) {
    params.push(k.name, values.get(k.name) ?? null);
    sql += `EXEC sp_set_session_context @key = @p${params.length - 1}, @value = @p${params.length}, @read_only = 0;\n`;
  }
  return { sql, params };
}

/** A write probe in T-SQL: identifiers quoted, every value a bound `@pN`. */
export function mssqlProbeStatement(spec: RlsSpec, probe: WriteProbe): { sql: string; params: unknown[] } {
  const t = ref(resolveTable(spec, probe.table));
  const params: unknown[] = [];
  const bindValue = (v: unknown) => {
    params.push(v);
    return `@p${params.length}`;
  };
  const where = (w: Record<string, unknown>) => Object.entries(w).map(([c, v]) => (v === null ? `${msIdent(c)} IS NULL` : `${msIdent(c)} = ${bindValue(v)}`)).join(' AND ');
  switch (probe.op) {
    case 'insert': {
      const cols = Object.keys(probe.values);
      const vals = cols.map((c) => bindValue(probe.values[c]));
      return { sql: `INSERT INTO ${t} (${cols.map(msIdent).join(', ')}) VALUES (${vals.join(', ')});`, params };
    }
    case 'update': {
      const set = Object.entries(probe.set).map(([c, v]) => `${msIdent(c)} = ${bindValue(v)}`).join(', ');
      return { sql: `UPDATE ${t} SET ${set} WHERE ${where(probe.where)};`, params };
    }
    case 'delete':
      return { sql: `DELETE FROM ${t} WHERE ${where(probe.where)};`, params };
  }
}

function detail(err: unknown): string {
  const e = err as { number?: unknown; message?: unknown };
  return `${typeof e.number === 'number' ? e.number : '?'} ${typeof e.message === 'string' ? e.message : String(err)}`;
}

async function probe(tx: Executor, sql: string, params: readonly unknown[] = []): Promise<{ rowCount: number; rows: Record<string, unknown>[] } | { error: unknown }> {
  await tx.query('SAVE TRANSACTION apim_rls_probe;');
  try {
    return await tx.query(sql, params);
  } catch (error) {
    return { error };
  } finally {
    await tx.query('ROLLBACK TRANSACTION apim_rls_probe;');
  }
}

/** The statements the application role must not be able to run on Azure SQL (each expected to fail). */
export function mssqlHardeningChecks(spec: RlsSpec): { subject: string; sql: string }[] {
  const policy = `${msIdent(spec.helperSchema)}.${msIdent(securityPolicyName(spec))}`;
  const out = [
    { subject: 'switch the security policy off', sql: `ALTER SECURITY POLICY ${policy} WITH (STATE = OFF);` },
    { subject: 'drop the security policy', sql: `DROP SECURITY POLICY ${policy};` },
  ];
  for (const t of spec.tables) {
    out.push({ subject: `${t.schema}.${t.name}: drop its filter predicate`, sql: `ALTER SECURITY POLICY ${policy} DROP FILTER PREDICATE ON ${ref(t)};` });
    const fn = `${msIdent(spec.helperSchema)}.${msIdent(functionName(t, 'read'))}`;
    out.push({ subject: `${t.schema}.${t.name}: alter its read predicate function`, sql: `EXEC(${msString(`ALTER FUNCTION ${fn}() RETURNS TABLE AS RETURN SELECT 1 AS [allowed]`)});` });
  }
  const a = spec.audit;
  if (a) {
    const table = msAuditTableRef(a);
    const name = `${a.schema}.${a.table}`;
    out.push(
      { subject: `${name}: insert an audit row directly`, sql: `INSERT INTO ${table} ([occurred_at], [table_schema], [table_name], [operation], [row_key]) VALUES (SYSUTCDATETIME(), N'x', N'x', N'insert', N'{}');` },
      { subject: `${name}: update audit rows`, sql: `UPDATE ${table} SET [operation] = [operation];` },
      { subject: `${name}: delete audit rows`, sql: `DELETE FROM ${table};` },
      { subject: `${name}: truncate the audit table`, sql: `TRUNCATE TABLE ${table};` },
      { subject: `${name}: drop its filter predicate`, sql: `ALTER SECURITY POLICY ${policy} DROP FILTER PREDICATE ON ${table};` },
    );
    for (const t of a.tables) {
      const trigger = `${msIdent(t.schema)}.${msIdent(mssqlAuditTriggerName(t))}`;
      out.push(
        { subject: `${t.schema}.${t.name}: disable its audit trigger`, sql: `DISABLE TRIGGER ${trigger} ON ${ref(t)};` },
        { subject: `${t.schema}.${t.name}: drop its audit trigger`, sql: `DROP TRIGGER ${trigger};` },
        { subject: `${t.schema}.${t.name}: switch every trigger off`, sql: `ALTER TABLE ${ref(t)} DISABLE TRIGGER ALL;` },
      );
    }
  }
  return out;
}

async function asUser<T>(tx: Executor, user: string, fn: () => Promise<T>): Promise<T> {
  await tx.query('EXECUTE AS USER = @p1;', [user]);
  try {
    return await fn();
  } finally {
    await tx.query('REVERT;');
  }
}

async function runCase(tx: Executor, spec: RlsSpec, user: string, c: VerifyCase, index: number): Promise<VerifyRow[]> {
  const out: VerifyRow[] = [];
  return asUser(tx, user, async () => {
    const { requestId, traceId } = verifyIds(index);
    const session = mssqlSessionBatch(spec, sessionValuesFromClaims(spec, c.claims, requestId, traceId));
    await tx.query(session.sql, session.params);
    for (const [table, expected] of Object.entries(c.rows)) {
      const r = await probe(tx, `SELECT COUNT(*) AS [n] FROM ${ref(resolveTable(spec, table))};`);
      if ('error' in r) out.push({ case: c.name, kind: 'rows', subject: table, expected: String(expected), actual: 'error', ok: false, detail: detail(r.error) });
      else {
        const n = Number(r.rows[0]?.['n'] ?? -1);
        out.push({ case: c.name, kind: 'rows', subject: table, expected: String(expected), actual: String(n), ok: n === expected });
      }
    }
    for (const [i, w] of c.writes.entries()) {
      const { sql, params } = mssqlProbeStatement(spec, w);
      const subject = w.name ?? `${w.op} ${w.table} #${i + 1}`;
      let r: { rowCount: number } | { error: unknown };
      let auditRows: VerifyRow[] = [];
      if (spec.audit && auditedOperations(spec, w.table)?.has(w.op)) {
        const audited = await auditedProbe(tx, mssqlAuditProbe, spec.audit, { caseName: c.name, subject, requestId }, w, sql, params);
        r = audited.result;
        auditRows = audited.rows;
      } else {
        r = await probe(tx, sql, params);
      }
      if ('error' in r) {
        const n = (r.error as { number?: unknown }).number;
        // 33504: a BLOCK predicate; 229/230: permission denied (not granted)
        const actual = n === mssqlBlockPredicateError || n === 229 || n === 230 ? 'blocked' : 'error';
        out.push({ case: c.name, kind: 'write', subject, expected: w.expect, actual, ok: actual === w.expect, detail: detail(r.error) });
      } else {
        const actual = r.rowCount > 0 ? 'allowed' : 'blocked';
        out.push({ case: c.name, kind: 'write', subject, expected: w.expect, actual, ok: actual === w.expect, ...(r.rowCount === 0 ? { detail: '0 rows affected' } : {}) });
      }
      out.push(...auditRows);
    }
    return out;
  });
}

/** Runs the cases (and hardening checks) on Azure SQL and returns the truth table. */
export async function verifyMssql(db: Database, spec: RlsSpec, cases: VerifyCases, options: VerifyOptions = {}): Promise<VerifyReport> {
  const role = options.role ?? spec.applicationRoles[0]?.name;
  if (role === undefined) throw new RlsError('RLS_SPEC_INVALID', 'the spec has no application role');
  const user = spec.principals.find((p) => p.kind !== 'group' && p.roles.includes(role))?.name;
  if (user === undefined) {
    throw new RlsError('RLS_SPEC_INVALID', `rls verify on Azure SQL acts as a database user of role "${role}" (EXECUTE AS USER): the spec names no user or managed identity in it`);
  }
  const rows: VerifyRow[] = [];
  for (const [i, c] of cases.cases.entries()) {
    rows.push(...(await db.transaction((tx) => runCase(tx, spec, user, c, i), { rollback: true })));
  }
  if (options.hardening ?? true) {
    const checks = await db.transaction(
      (tx) =>
        asUser(tx, user, async () => {
          const out: VerifyRow[] = [];
          for (const h of mssqlHardeningChecks(spec)) {
            const r = await probe(tx, h.sql);
            const actual = 'error' in r ? 'blocked' : 'allowed';
            out.push({ case: `application role ${role} (as ${user})`, kind: 'hardening', subject: h.subject, expected: 'blocked', actual, ok: actual === 'blocked', ...('error' in r ? { detail: detail(r.error) } : {}) });
          }
          return out;
        }),
      { rollback: true },
    );
    rows.push(...checks);
  }
  return { rows, mismatches: rows.filter((r) => !r.ok).length };
}
