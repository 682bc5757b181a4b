/**
 * Azure SQL audit trail (docs/audit.md): an audit table in its own schema (owned by dbo, like the
 * audited tables), and on each audited table one `AFTER INSERT, UPDATE, DELETE` trigger that reads
 * the `inserted`/`deleted` tables and the session keys (`CAST(SESSION_CONTEXT(N'key') AS type)`)
 * and writes one audit row per changed row, inside the writing statement's transaction:
 *   https://learn.microsoft.com/sql/t-sql/statements/create-trigger-transact-sql
 *   https://learn.microsoft.com/sql/relational-databases/triggers/use-the-inserted-and-deleted-tables
 *   https://learn.microsoft.com/sql/t-sql/functions/session-context-transact-sql
 * The trigger and the audit table have the same owner (dbo), so the trigger's INSERT is not
 * checked against the caller's permissions (an unbroken ownership chain:
 * https://learn.microsoft.com/sql/relational-databases/security/ownership-chains), which lets the
 * application role be DENIED every write on the audit table. Disabling or dropping a DML trigger
 * needs ALTER on its table (https://learn.microsoft.com/sql/relational-databases/triggers/delete-or-disable-dml-triggers),
 * which is DENIED too. `SET NOCOUNT ON` keeps the trigger's insert out of the statement's row count.
 * Tenants read their own audit rows through a FILTER predicate in the spec's security policy; the
 * auditor and the policy manager read all.
 */
import { createHash } from 'node:crypto';
import { auditSources, auditTriggerName } from '../audit/names.js';
import type { AuditedTable, AuditSpec, RlsSpec, SessionKey } from '../spec/schema.js';
import { msBinaryCollation, msEquals, msKeyType, msSessionRead } from './mssql.js';
import { msIdent, msString } from './quote.js';

export function msAuditTableRef(a: AuditSpec): string {
  return `${msIdent(a.schema)}.${msIdent(a.table)}`;
}

/** A trigger is a schema-scoped object: one name per audited table, `apim_rls_audit_<table>` (hashed when over 128 characters). */
export function mssqlAuditTriggerName(t: Pick<AuditedTable, 'schema' | 'name'>): string {
  const plain = `${auditTriggerName}_${t.name}`;
  if (plain.length <= 128) return plain;
  return `${auditTriggerName}_${createHash('sha256').update(`${t.schema}\u0000${t.name}`).digest('hex').slice(0, 16)}`;
}

/** The predicate function that filters the audit table. */
export function mssqlAuditFunctionName(a: AuditSpec): string {
  return `${a.schema}_${a.table}_read`;
}

/** The binary collation (mssql.ts's; read inside functions: mssql.ts and this module import each other). */
const collate = (): string => ` COLLATE ${msBinaryCollation}`;

/** An audit column holding a session key: the key's own SQL type, text in the binary collation. */
function columnType(k: SessionKey): string {
  return k.type === 'text' ? `${msKeyType(k)}${collate()}` : msKeyType(k);
}

const read = (spec: RlsSpec, k: SessionKey): string => msSessionRead(spec, k.name);

/** The audit schema and table (one batch), then their indexes (the next: they refer to a table the first may have just created). */
export function mssqlAuditTableBatches(spec: RlsSpec, a: AuditSpec): string[] {
  const src = auditSources(spec, a);
  const table = msAuditTableRef(a);
  const idText = (k: SessionKey | undefined) => `nvarchar(${k?.maxLength ?? 128})${collate()}`;
  const create = [
    '-- audit trail: the audit table (rows are kept when the spec is removed: they are evidence)',
    `IF SCHEMA_ID(${msString(a.schema)}) IS NULL EXEC(${msString(`CREATE SCHEMA ${msIdent(a.schema)} AUTHORIZATION [dbo]`)});`,
    `IF OBJECT_ID(${msString(`${msIdent(a.schema)}.${msIdent(a.table)}`)}, N'U') IS NULL`,
    `CREATE TABLE ${table} (`,
    '  [audit_id]     bigint IDENTITY(1,1) NOT NULL PRIMARY KEY,',
    '  [occurred_at]  datetime2(7) NOT NULL,',
    `  [tenant_id]    ${columnType(src.tenant)} NULL,`,
    `  [user_oid]     ${columnType(src.user)} NULL,`,
    `  [roles]        nvarchar(${src.roles?.maxLength ?? 4000}) NULL,`,
    `  [request_id]   ${idText(src.requestId)} NULL,`,
    `  [trace_id]     ${idText(src.traceId)} NULL,`,
    '  [table_schema] sysname NOT NULL,',
    '  [table_name]   sysname NOT NULL,',
    "  [operation]    nvarchar(6) NOT NULL CHECK ([operation] IN (N'insert', N'update', N'delete')),",
    '  [row_key]      nvarchar(4000) NOT NULL',
    ');',
  ].join('\n');
  const objectId = `OBJECT_ID(${msString(`${msIdent(a.schema)}.${msIdent(a.table)}`)})`;
  const index = (name: string, cols: string) =>
    `IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE [name] = ${msString(name)} AND [object_id] = ${objectId})\n  CREATE INDEX ${msIdent(name)} ON ${table} (${cols});`;
  const indexes = [
    index(`${a.table}_request_id_idx`, '[request_id]'),
    index(`${a.table}_trace_id_idx`, '[trace_id]'),
    index(`${a.table}_tenant_time_idx`, '[tenant_id], [occurred_at]'),
  ].join('\n');
  return [create, indexes];
}

/** Grants and denials on the audit table: the application roles read (filtered), write nothing, alter nothing. */
export function mssqlAuditGrants(spec: RlsSpec, a: AuditSpec): string[] {
  const table = `OBJECT::${msAuditTableRef(a)}`;
  const out = ['-- audit trail: the application reads its tenant\'s audit rows and can neither write, change nor switch them off'];
  for (const r of spec.applicationRoles) {
    const role = msIdent(r.name);
    out.push(`GRANT SELECT ON ${table} TO ${role};`);
    // never DENY CONTROL here: CONTROL implies SELECT (and DML on the audited table), and a DENY on
    // an implying permission denies what it implies (https://learn.microsoft.com/sql/relational-databases/security/permissions-hierarchy-database-engine)
    out.push(`DENY INSERT, UPDATE, DELETE, ALTER, REFERENCES, TAKE OWNERSHIP ON ${table} TO ${role};`);
    out.push(`DENY ALTER ON SCHEMA::${msIdent(a.schema)} TO ${role};`);
    for (const t of a.tables) out.push(`DENY ALTER, TAKE OWNERSHIP ON OBJECT::${msIdent(t.schema)}.${msIdent(t.name)} TO ${role};`);
  }
  out.push(`GRANT SELECT ON ${table} TO ${msIdent(a.auditor)}, ${msIdent(spec.policyManager.name)};`);
  return out;
}

/**
 * The audit table's FILTER predicate function: the caller's tenant, or a member of the auditor or
 * policy manager role, or a named bypass principal (`bypass`: the same clause as every predicate).
 */
export function mssqlAuditFunctionBatch(spec: RlsSpec, a: AuditSpec, helperSchema: string, bypass: string): string {
  const src = auditSources(spec, a);
  const equals = msEquals(spec, '@tenant', src.tenant.name);
  return [
    `CREATE OR ALTER FUNCTION ${msIdent(helperSchema)}.${msIdent(mssqlAuditFunctionName(a))}(@tenant ${msKeyType(src.tenant)})`,
    'RETURNS TABLE',
    'WITH SCHEMABINDING',
    'AS',
    'RETURN',
    '  SELECT 1 AS [allowed]',
    `  WHERE ${equals}`,
    `     OR IS_MEMBER(${msString(a.auditor)}) = 1`,
    `     OR IS_MEMBER(${msString(spec.policyManager.name)}) = 1${bypass};`,
  ].join('\n');
}

/** The security policy line that filters the audit table. */
export function mssqlAuditPredicate(a: AuditSpec, helperSchema: string): string {
  return `  ADD FILTER PREDICATE ${msIdent(helperSchema)}.${msIdent(mssqlAuditFunctionName(a))}([tenant_id]) ON ${msAuditTableRef(a)}`;
}

function rowKey(t: AuditedTable, alias: string): string {
  const cols = t.key.map((c) => `[${alias}].${msIdent(c)} AS ${msIdent(c)}`).join(', ');
  return `(SELECT ${cols} FOR JSON PATH, WITHOUT_ARRAY_WRAPPER, INCLUDE_NULL_VALUES)`;
}

/** One trigger per audited table (CREATE TRIGGER must start its batch). */
export function mssqlAuditTriggerBatch(spec: RlsSpec, a: AuditSpec, t: AuditedTable): string {
  const src = auditSources(spec, a);
  const events = t.operations.map((o) => o.toUpperCase()).join(', ');
  const value = (k: SessionKey | undefined) => (k ? read(spec, k) : 'NULL');
  const ops = new Set(t.operations);
  const sources = [
    ...(ops.has('insert') || ops.has('update') ? [`    SELECT ${rowKey(t, 'i')} AS [row_key] FROM inserted AS [i] WHERE @op <> N'delete'`] : []),
    ...(ops.has('delete') ? [`    SELECT ${rowKey(t, 'd')} AS [row_key] FROM deleted AS [d] WHERE @op = N'delete'`] : []),
  ];
  return [
    `CREATE OR ALTER TRIGGER ${msIdent(t.schema)}.${msIdent(mssqlAuditTriggerName(t))} ON ${msIdent(t.schema)}.${msIdent(t.name)}`,
    `AFTER ${events}`,
    'AS',
    'BEGIN',
    '  SET NOCOUNT ON;',
    '  -- both tables empty (a write that touched no row): no audit row',
    "  DECLARE @op nvarchar(6) = CASE WHEN EXISTS (SELECT 1 FROM inserted) THEN CASE WHEN EXISTS (SELECT 1 FROM deleted) THEN N'update' ELSE N'insert' END ELSE N'delete' END;",
    `  INSERT INTO ${msAuditTableRef(a)} ([occurred_at], [tenant_id], [user_oid], [roles], [request_id], [trace_id], [table_schema], [table_name], [operation], [row_key])`,
    '  SELECT SYSUTCDATETIME(),',
    `         ${read(spec, src.tenant)},`,
    `         ${read(spec, src.user)},`,
    `         ${value(src.roles)},`,
    `         ${src.requestId ? `CAST(SESSION_CONTEXT(${msString(src.requestId.name)}) AS nvarchar(${src.requestId.maxLength ?? 128}))` : 'NULL'},`,
    `         ${src.traceId ? `CAST(SESSION_CONTEXT(${msString(src.traceId.name)}) AS nvarchar(${src.traceId.maxLength ?? 128}))` : 'NULL'},`,
    `         ${msString(t.schema)}, ${msString(t.name)}, @op, [r].[row_key]`,
    '  FROM (',
    sources.join('\n    UNION ALL\n'),
    '  ) AS [r];',
    'END;',
  ].join('\n');
}

/** Removing the audit trail: triggers and the predicate function go (the policy is dropped first); the audit table and its rows stay. */
export function mssqlAuditRemove(spec: RlsSpec, a: AuditSpec, helperSchema: string): string[] {
  const out: string[] = [];
  for (const t of a.tables) out.push(`DROP TRIGGER IF EXISTS ${msIdent(t.schema)}.${msIdent(mssqlAuditTriggerName(t))};`);
  out.push(`DROP FUNCTION IF EXISTS ${msIdent(helperSchema)}.${msIdent(mssqlAuditFunctionName(a))};`);
  out.push(`IF OBJECT_ID(${msString(`${msIdent(a.schema)}.${msIdent(a.table)}`)}, N'U') IS NOT NULL`);
  out.push('BEGIN');
  for (const r of [...spec.applicationRoles.map((x) => x.name), a.auditor, spec.policyManager.name]) {
    out.push(`  IF DATABASE_PRINCIPAL_ID(${msString(r)}) IS NOT NULL REVOKE SELECT ON OBJECT::${msAuditTableRef(a)} FROM ${msIdent(r)};`);
  }
  out.push('END;');
  out.push(`-- the audit table ${a.schema}.${a.table} and its rows are kept (evidence); drop them by hand`);
  return out;
}


