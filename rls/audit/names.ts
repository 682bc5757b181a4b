/**
 * The audit trail's fixed names and where each audit column's value comes from. Both emitters,
 * verify, drift and `apim-rls audit` read them from here.
 */
import { createHash } from 'node:crypto';
import type { AuditedTable, AuditSpec, RlsSpec, SessionKey } from '../spec/schema.js';

/** The trigger this tool owns on every audited table (both dialects). */
export const auditTriggerName = 'apim_rls_audit';

/** The policy names this tool owns on the audit table (PostgreSQL). */
export const auditPolicyNames = {
  /** the writer inserts (through the trigger functions only) */
  write: 'apim_rls_audit_write',
  /** a tenant reads its own audit rows */
  tenant: 'apim_rls_audit_tenant',
  /** the auditor and the policy manager read every audit row */
  all: 'apim_rls_audit_all',
} as const;

/** The audit table's columns, in order. */
export const auditColumns = [
  'audit_id',
  'occurred_at',
  'tenant_id',
  'user_oid',
  'roles',
  'request_id',
  'trace_id',
  'table_schema',
  'table_name',
  'operation',
  'row_key',
] as const;
export type AuditColumn = (typeof auditColumns)[number];

/** The session keys the identity columns are read from (absent: the column stays NULL). */
export interface AuditSources {
  tenant: SessionKey;
  user: SessionKey;
  roles?: SessionKey;
  requestId?: SessionKey;
  traceId?: SessionKey;
}

export function auditSources(spec: RlsSpec, audit: AuditSpec): AuditSources {
  const key = (name: string | undefined) => spec.sessionKeys.find((k) => k.name === name);
  const tenant = key(audit.tenantKey);
  const user = key(audit.userKey);
  // the spec schema checks both
  if (!tenant || !user) throw new TypeError('audit keys not in the spec');
  const out: AuditSources = { tenant, user };
  const roles = key(spec.rolesKey);
  const requestId = spec.sessionKeys.find((k) => k.source === 'request-id');
  const traceId = spec.sessionKeys.find((k) => k.source === 'trace-id');
  if (roles) out.roles = roles;
  if (requestId) out.requestId = requestId;
  if (traceId) out.traceId = traceId;
  return out;
}

/**
 * The PostgreSQL trigger function of one audited table: `apim_rls_audit_<schema>_<table>`, or a
 * hash of the table's name when that exceeds PostgreSQL's 63-byte identifier limit (it would be
 * cut, and two tables could share one name).
 */
export function auditFunctionName(t: Pick<AuditedTable, 'schema' | 'name'>): string {
  const plain = `${auditTriggerName}_${t.schema}_${t.name}`;
  if (Buffer.byteLength(plain) <= 63 && /^[a-z_][a-z0-9_]*$/.test(plain)) return plain;
  return `${auditTriggerName}_${createHash('sha256').update(`${t.schema}\u0000${t.name}`).digest('hex').slice(0, 16)}`;
}
