/**
 * `findAuditRows`: the audit rows of one request (or trace, caller, time window), read as the
 * auditor — the DBA's view of "what did this API call change". Every filter value is bound;
 * the number of rows is bounded (`limit`, one more is read to tell that more exist).
 *
 * PostgreSQL: inside a read-only transaction that is rolled back, `set_config('role', auditor,
 * true)`: the connecting login must be a member of the auditor role (GRANT apim_rls_auditor TO
 * <login>), and the audit table's row security lets that role read every row. Azure SQL: the
 * connecting user must be a member of the auditor role (a principal of the spec with it in
 * `roles`); the audit table's FILTER predicate lets IS_MEMBER(auditor) read every row.
 */
import type { Database, Executor } from '../db/types.js';
import { msIdent, pgIdent } from '../emit/quote.js';
import { RlsError } from '../errors.js';
import { auditColumns } from './names.js';

export interface AuditQuery {
  requestId?: string;
  traceId?: string;
  oid?: string;
  /** rows at or after this time */
  since?: Date;
  /** at most this many rows (1..10000) */
  limit: number;
  /** where the audit table is and who reads it (from the spec, or the defaults) */
  schema: string;
  table: string;
  auditor: string;
}

export interface AuditRow {
  auditId: string;
  occurredAt: string;
  tenantId: string | null;
  userOid: string | null;
  roles: unknown;
  requestId: string | null;
  traceId: string | null;
  table: string;
  operation: string;
  rowKey: unknown;
}

export interface AuditResult {
  rows: AuditRow[];
  /** more rows matched than `limit` */
  truncated: boolean;
}

export const auditLimitMax = 10_000;

/** Refuses a query without a filter or with a bad value (caller mistakes: RLS_SPEC_INVALID with the option named). */
export function checkAuditQuery(q: AuditQuery): void {
  const bad = (path: string, reason: string) => new RlsError('RLS_SPEC_INVALID', `--${path} ${reason}`, [{ path, reason }]);
  if (q.requestId === undefined && q.traceId === undefined && q.oid === undefined && q.since === undefined) {
    throw new RlsError('RLS_SPEC_INVALID', 'name what to find: --request-id, --trace-id, --oid or --since (they combine)', [{ path: 'filter', reason: 'missing' }]);
  }
  if (q.requestId !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(q.requestId)) throw bad('request-id', 'must be 1-128 letters, digits, . _ : - (the format the backend accepts)');
  // W3C trace context: 32 lower-case hex digits, not all zero (https://www.w3.org/TR/trace-context/#trace-id)
  if (q.traceId !== undefined && (!/^[0-9a-f]{32}$/.test(q.traceId) || /^0+$/.test(q.traceId))) throw bad('trace-id', 'must be 32 lower-case hex digits, not all zero (a W3C trace id)');
  if (q.oid !== undefined && (q.oid.length === 0 || q.oid.length > 256)) throw bad('oid', 'must be 1-256 characters');
  if (q.since !== undefined && Number.isNaN(q.since.getTime())) throw bad('since', 'must be a date and time (ISO 8601, e.g. 2026-01-31T12:00:00Z)');
  if (!Number.isInteger(q.limit) || q.limit < 1 || q.limit > auditLimitMax) throw bad('limit', `must be an integer in 1..${auditLimitMax}`);
}

function filters(q: AuditQuery, param: (v: unknown) => string, col: (c: string) => string): string[] {
  const out: string[] = [];
  if (q.requestId !== undefined) out.push(`${col('request_id')} = ${param(q.requestId)}`);
  if (q.traceId !== undefined) out.push(`${col('trace_id')} = ${param(q.traceId)}`);
  if (q.oid !== undefined) out.push(`${col('user_oid')} = ${param(q.oid)}`);
  if (q.since !== undefined) out.push(`${col('occurred_at')} >= ${param(q.since)}`);
  return out;
}

const json = (v: unknown): unknown => {
  if (typeof v !== 'string') return v ?? null;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return v;
  }
};
const text = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const iso = (v: unknown): string => (v instanceof Date ? v.toISOString() : String(v));

function toRow(r: Record<string, unknown>): AuditRow {
  return {
    auditId: String(r['audit_id']),
    occurredAt: iso(r['occurred_at']),
    tenantId: text(r['tenant_id']),
    userOid: text(r['user_oid']),
    roles: json(r['roles']),
    requestId: text(r['request_id']),
    traceId: text(r['trace_id']),
    table: `${String(r['table_schema'])}.${String(r['table_name'])}`,
    operation: String(r['operation']),
    rowKey: json(r['row_key']),
  };
}


async function findPostgres(db: Database, q: AuditQuery): Promise<Record<string, unknown>[]> {
  const params: unknown[] = [];
  const param = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const where = filters(q, param, pgIdent).join(' AND ');
  const sql = `SELECT ${auditColumns.map(pgIdent).join(', ')} FROM ${pgIdent(q.schema)}.${pgIdent(q.table)} WHERE ${where} ORDER BY "occurred_at", "audit_id" LIMIT ${param(q.limit + 1)}`;
  return db.transaction(
    async (tx: Executor) => {
      await tx.query('SET TRANSACTION READ ONLY');
      await tx.query("select set_config('role', $1, true)", [q.auditor]);
      return (await tx.query(sql, params)).rows;
    },
    { rollback: true },
  );
}

async function findMssql(db: Database, q: AuditQuery): Promise<Record<string, unknown>[]> {
  const params: unknown[] = [q.limit + 1];
  const param = (v: unknown) => {
    params.push(v);
    return `@p${params.length}`;
  };
  const where = filters(q, param, msIdent).join(' AND ');
  const cols = auditColumns.map((c) => (c === 'occurred_at' ? "CONVERT(nvarchar(33), [occurred_at], 127) + N'Z' AS [occurred_at]" : msIdent(c)));
  const sql = `SELECT TOP (@p1) ${cols.join(', ')} FROM ${msIdent(q.schema)}.${msIdent(q.table)} WHERE ${where} ORDER BY [occurred_at], [audit_id];`;
  return (await db.query(sql, params)).rows;
}

export async function findAuditRows(db: Database, q: AuditQuery): Promise<AuditResult> {
  checkAuditQuery(q);
  const raw = db.dialect === 'mssql' ? await findMssql(db, q) : await findPostgres(db, q);
  return { rows: raw.slice(0, q.limit).map(toRow), truncated: raw.length > q.limit };
}

/** The rows as a text table (one line per row; row keys and roles as compact JSON). */
export function formatAuditTable(result: AuditResult): string {
  if (result.rows.length === 0) return 'no audit rows match\n';
  const head = ['occurred_at', 'operation', 'table', 'row_key', 'tenant_id', 'user_oid', 'roles', 'request_id', 'trace_id'];
  const body = result.rows.map((r) => [r.occurredAt, r.operation, r.table, JSON.stringify(r.rowKey), r.tenantId ?? '', r.userOid ?? '', r.roles === null ? '' : JSON.stringify(r.roles), r.requestId ?? '', r.traceId ?? '']);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  const lines = [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)];
  lines.push('', `${result.rows.length} row(s)${result.truncated ? ' shown; more match: narrow the filter or raise --limit' : ''}`);
  return `${lines.join('\n')}\n`;
}
