/**
 * `verifySpec`: runs every case as the application role with the case's claims set as session keys,
 * counts the visible rows of each table, tries each write (in a savepoint, rolled back), and on
 * PostgreSQL also proves the application role cannot switch row security off or touch a policy.
 * Each case runs in its own transaction, which is rolled back: verify changes no data.
 */
import type { VerifyCase, VerifyCases, WriteProbe } from './cases.js';
import type { Database, Executor } from './db/types.js';
import { pgPolicyNames } from './emit/postgres.js';
import { pgIdent } from './emit/quote.js';
import { RlsError } from './errors.js';
import type { RlsSpec } from './spec/schema.js';
import { auditedOperations, auditedProbe, auditHardeningChecks, auditTrailChecks, pgAuditProbe, verifyIds } from './verify-audit.js';

export { verifyIds } from './verify-audit.js';

export interface VerifyOptions {
  /** the application role to act as (default: the spec's first application role) */
  role?: string;
  /** also run the hardening checks (default true) */
  hardening?: boolean;
  /** also prove the audit trail's tenant isolation (default true when the spec declares one) */
  audit?: boolean;
}

export interface VerifyRow {
  case: string;
  kind: 'rows' | 'write' | 'hardening' | 'audit';
  /** `app.orders`, a write probe's name, or a hardening check */
  subject: string;
  expected: string;
  actual: string;
  ok: boolean;
  /** the database's message when a statement failed (SQLSTATE first) */
  detail?: string;
}

export interface VerifyReport {
  rows: VerifyRow[];
  mismatches: number;
}

/**
 * Maps a token's claims to session key values as the backend does: claim keys by their `claim`,
 * multi-valued keys as a JSON array text; `request-id` keys get `requestId`, `trace-id` keys `traceId`.
 */
export function sessionValuesFromClaims(spec: RlsSpec, claims: Record<string, string | readonly string[]>, requestId?: string, traceId?: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const k of spec.sessionKeys) {
    if (k.source === 'request-id' || k.source === 'trace-id') {
      const v = k.source === 'request-id' ? requestId : traceId;
      if (v !== undefined) out.set(k.name, v);
      continue;
    }
    const v = claims[k.claim ?? ''];
    if (v === undefined) continue;
    if (k.multiValued) out.set(k.name, JSON.stringify(typeof v === 'string' ? [v] : [...v]));
    else if (typeof v === 'string') out.set(k.name, v);
  }
  return out;
}

interface TableRef {
  schema: string;
  name: string;
}

export function resolveTable(spec: RlsSpec, name: string): TableRef {
  const candidates: TableRef[] = [
    ...spec.tables.map((t) => ({ schema: t.schema, name: t.name })),
    ...spec.applicationRoles.flatMap((r) => r.grants.map((g) => ({ schema: g.schema, name: g.table }))),
  ];
  const found = candidates.find((t) => `${t.schema}.${t.name}` === name);
  if (!found) throw new RlsError('RLS_SPEC_INVALID', `verify cases name table "${name}", which the spec neither protects nor grants`, [{ path: 'cases', reason: `unknown table ${name}` }]);
  return found;
}

const ref = (t: TableRef) => `${pgIdent(t.schema)}.${pgIdent(t.name)}`;

/** Builds a write probe's statement: identifiers quoted, every value a bound parameter. */
export function probeStatement(spec: RlsSpec, probe: WriteProbe): { sql: string; params: unknown[] } {
  const t = ref(resolveTable(spec, probe.table));
  const params: unknown[] = [];
  const bindValue = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const where = (w: Record<string, unknown>) => Object.entries(w).map(([c, v]) => `${pgIdent(c)} IS NOT DISTINCT FROM ${bindValue(v)}`).join(' AND ');
  switch (probe.op) {
    case 'insert': {
      const cols = Object.keys(probe.values);
      const vals = cols.map((c) => bindValue(probe.values[c]));
      return { sql: `INSERT INTO ${t} (${cols.map(pgIdent).join(', ')}) VALUES (${vals.join(', ')})`, params };
    }
    case 'update': {
      const set = Object.entries(probe.set).map(([c, v]) => `${pgIdent(c)} = ${bindValue(v)}`).join(', ');
      return { sql: `UPDATE ${t} SET ${set} WHERE ${where(probe.where)}`, params };
    }
    case 'delete':
      return { sql: `DELETE FROM ${t} WHERE ${where(probe.where)}`, params };
  }
}

function sqlState(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  return `${typeof e.code === 'string' ? e.code : '?'} ${typeof e.message === 'string' ? e.message : String(err)}`;
}

/** Runs `sql` in a savepoint that is always rolled back; returns the affected row count or the error. */
async function probe(tx: Executor, sql: string | readonly string[], params: readonly unknown[] = []): Promise<{ rowCount: number; rows: Record<string, unknown>[] } | { error: unknown }> {
  await tx.query('SAVEPOINT apim_rls_probe');
  try {
    const statements = typeof sql === 'string' ? [sql] : sql;
    let last = { rowCount: 0, rows: [] as Record<string, unknown>[] };
    for (const s of statements) last = await tx.query(s, params);
    return last;
  } catch (error) {
    return { error };
  } finally {
    await tx.query('ROLLBACK TO SAVEPOINT apim_rls_probe');
  }
}

/** `select set_config('role', $1, true), set_config($2, $3, true), …` — one statement, every name and value bound. */
async function setSession(tx: Executor, spec: RlsSpec, role: string, values: Map<string, string>): Promise<void> {
  const params: string[] = [role];
  const calls = ["set_config('role', $1, true)"];
  for (const [k, v] of values) {
    params.push(`${spec.settingPrefix}.${k}`, v);
    calls.push(`set_config($${params.length - 1}, $${params.length}, true)`);
  }
  await tx.query(`select ${calls.join(', ')}`, params);
}

async function setCaseSession(tx: Executor, spec: RlsSpec, role: string, c: VerifyCase, index: number): Promise<void> {
  const { requestId, traceId } = verifyIds(index);
  await setSession(tx, spec, role, sessionValuesFromClaims(spec, c.claims, requestId, traceId));
}

async function runCase(tx: Executor, spec: RlsSpec, role: string, c: VerifyCase, index: number): Promise<VerifyRow[]> {
  const out: VerifyRow[] = [];
  await setCaseSession(tx, spec, role, c, index);
  for (const [table, expected] of Object.entries(c.rows)) {
    const t = ref(resolveTable(spec, table));
    const r = await probe(tx, `select count(*)::int as n from ${t}`);
    if ('error' in r) {
      out.push({ case: c.name, kind: 'rows', subject: table, expected: String(expected), actual: 'error', ok: false, detail: sqlState(r.error) });
    } else {
      const n = Number(r.rows[0]?.n ?? -1);
      out.push({ case: c.name, kind: 'rows', subject: table, expected: String(expected), actual: String(n), ok: n === expected });
    }
  }
  for (const [i, w] of c.writes.entries()) {
    const { sql, params } = probeStatement(spec, w);
    const subject = w.name ?? `${w.op} ${w.table} #${i + 1}`;
    let r: { rowCount: number } | { error: unknown };
    let auditRows: VerifyRow[] = [];
    if (spec.audit && auditedOperations(spec, w.table)?.has(w.op)) {
      const audited = await auditedProbe(tx, pgAuditProbe, spec.audit, { caseName: c.name, subject, requestId: verifyIds(index).requestId }, w, sql, params);
      r = audited.result;
      auditRows = audited.rows;
    } else {
      r = await probe(tx, sql, params);
    }
    if ('error' in r) {
      const isDenied = (r.error as { code?: unknown }).code === '42501';
      const actual = isDenied ? 'blocked' : 'error';
      out.push({ case: c.name, kind: 'write', subject, expected: w.expect, actual, ok: actual === w.expect, detail: sqlState(r.error) });
    } else {
      const actual = r.rowCount > 0 ? 'allowed' : 'blocked';
      out.push({ case: c.name, kind: 'write', subject, expected: w.expect, actual, ok: actual === w.expect, ...(r.rowCount === 0 ? { detail: '0 rows affected' } : {}) });
    }
    // the write's row first, then its audit rows
    out.push(...auditRows);
  }
  return out;
}

/** The statements the application role must not be able to run (each expected to fail). */
export function hardeningChecks(spec: RlsSpec): { subject: string; sql: string | string[] }[] {
  const out: { subject: string; sql: string | string[] }[] = [];
  for (const t of spec.tables) {
    const r = ref(t);
    const name = `${t.schema}.${t.name}`;
    out.push(
      { subject: `${name}: disable row level security`, sql: `ALTER TABLE ${r} DISABLE ROW LEVEL SECURITY` },
      { subject: `${name}: no force row level security`, sql: `ALTER TABLE ${r} NO FORCE ROW LEVEL SECURITY` },
      { subject: `${name}: drop tenant policy`, sql: `DROP POLICY ${pgIdent(pgPolicyNames.tenant)} ON ${r}` },
      { subject: `${name}: alter select policy`, sql: `ALTER POLICY ${pgIdent(pgPolicyNames.select)} ON ${r} USING (true)` },
      { subject: `${name}: add a permissive policy`, sql: `CREATE POLICY apim_rls_probe ON ${r} USING (true)` },
      { subject: `${name}: read with row_security off`, sql: ['SET LOCAL row_security = off', `SELECT count(*) FROM ${r}`] },
    );
  }
  if (spec.audit) out.push(...auditHardeningChecks(spec.audit));
  return out;
}

/** Runs the cases (and hardening checks) and returns the truth table. PostgreSQL dialect. */
export async function verifySpec(db: Database, spec: RlsSpec, cases: VerifyCases, options: VerifyOptions = {}): Promise<VerifyReport> {
  for (const c of cases.cases) {
    for (const t of Object.keys(c.rows)) resolveTable(spec, t);
    for (const w of c.writes) resolveTable(spec, w.table);
  }
  if (db.dialect === 'mssql') {
    const { verifyMssql } = await import('./verify-mssql.js');
    return verifyMssql(db, spec, cases, options);
  }
  const role = options.role ?? spec.applicationRoles[0]?.name;
  if (role === undefined) throw new RlsError('RLS_SPEC_INVALID', 'the spec has no application role');
  for (const c of cases.cases) {
    for (const t of Object.keys(c.rows)) resolveTable(spec, t);
    for (const w of c.writes) resolveTable(spec, w.table);
  }
  const rows: VerifyRow[] = [];
  for (const [i, c] of cases.cases.entries()) {
    rows.push(...(await db.transaction((tx) => runCase(tx, spec, role, c, i), { rollback: true })));
  }
  const audit = spec.audit;
  if (audit && (options.audit ?? true)) {
    const set = (tx: Executor, r: string, i: number) => {
      const c = cases.cases[i];
      return c ? setCaseSession(tx, spec, r, c, i) : Promise.resolve();
    };
    rows.push(...(await db.transaction((tx) => auditTrailChecks(tx, spec, audit, cases, role, set, (w) => probeStatement(spec, w)), { rollback: true })));
  }
  if (options.hardening ?? true) {
    const checks = await db.transaction(
      async (tx) => {
        await setSession(tx, spec, role, new Map());
        const out: VerifyRow[] = [];
        for (const h of hardeningChecks(spec)) {
          const r = await probe(tx, h.sql);
          const actual = 'error' in r ? 'blocked' : 'allowed';
          out.push({ case: `application role ${role}`, kind: 'hardening', subject: h.subject, expected: 'blocked', actual, ok: actual === 'blocked', ...('error' in r ? { detail: sqlState(r.error) } : {}) });
        }
        return out;
      },
      { rollback: true },
    );
    rows.push(...checks);
  }
  return { rows, mismatches: rows.filter((r) => !r.ok).length };
}

/** The truth table as text: case × subject → expected / actual, mismatches marked. */
export function formatTruthTable(report: VerifyReport): string {
  const head = ['case', 'check', 'expected', 'actual', ''];
  const body = report.rows.map((r) => [r.case, `${r.kind === 'rows' ? 'rows ' : r.kind === 'write' ? 'write ' : r.kind === 'audit' ? 'audit ' : ''}${r.subject}`, r.expected, r.actual, r.ok ? 'ok' : 'MISMATCH']);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  const lines = [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)];
  lines.push('', report.mismatches === 0 ? `${report.rows.length} checks, all as expected` : `${report.mismatches} of ${report.rows.length} checks did not match`);
  return `${lines.join('\n')}\n`;
}
