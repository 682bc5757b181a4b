/**
 * T-SQL emitter for Azure SQL: a dedicated schema for inline table-valued predicate functions
 * `WITH SCHEMABINDING` that read `CAST(SESSION_CONTEXT(N'key') AS type)`, one `CREATE SECURITY
 * POLICY` with FILTER and BLOCK predicates `WITH (STATE = ON, SCHEMABINDING = ON)`, database users
 * `FROM EXTERNAL PROVIDER`, roles, least-privilege grants and a policy-manager role.
 *
 * Idempotent: IF-guarded CREATE ROLE/USER/SCHEMA, CREATE OR ALTER FUNCTION, and the security policy
 * dropped and created again (its functions are schema-bound to it). Spec values enter the text only
 * through `msIdent` ([…] with ] doubled), `msString` (N'…' with ' doubled) and `msGuid`.
 *
 * A missing key: SESSION_CONTEXT returns NULL, `column = NULL` is not true, OPENJSON(NULL) is empty:
 * no rows, no writes.
 *
 * Comparisons as exact as PostgreSQL's (issue 14):
 * - text is compared under a binary collation, `COLLATE Latin1_General_100_BIN2`, whatever the
 *   database's default (Azure SQL's default, SQL_Latin1_General_CP1_CI_AS, ignores case):
 *   https://learn.microsoft.com/sql/relational-databases/collations/collation-and-unicode-support;
 *   an explicit COLLATE on one side decides the comparison's collation
 *   (https://learn.microsoft.com/sql/t-sql/statements/collation-precedence-transact-sql);
 * - `=` pads the shorter string with spaces in every collation ('abc' = 'abc ' is true:
 *   https://learn.microsoft.com/sql/t-sql/language-elements/string-comparison-assignment), so the
 *   lengths are compared too (`DATALENGTH`), and a caller's role that ends with a space matches
 *   nothing (the spec refuses such role values);
 * - OPENJSON's `value` column takes the collation of its input
 *   (https://learn.microsoft.com/sql/t-sql/functions/openjson-transact-sql), hence COLLATE there too;
 * - `uuid` keys and columns are `uniqueidentifier` on both sides (compared as GUIDs, not text).
 * Predicate parameters are declared with the COLUMN's type (spec `tables[].tenant.type`), never
 * the key's: a parameter narrower than its column would cut the value on the way in.
 */
import type { AccessRule, BlockOperation, ColumnRef, Operation, ProtectedTable, RlsSpec, SessionKey } from '../spec/schema.js';
import { privileges } from '../spec/schema.js';
import { mssqlAuditFunctionBatch, mssqlAuditFunctionName, mssqlAuditGrants, mssqlAuditPredicate, mssqlAuditRemove, mssqlAuditTableBatches, mssqlAuditTriggerBatch, msAuditTableRef } from './mssql-audit.js';
import { msGuid, msIdent, msString } from './quote.js';

export interface MssqlScript {
  dialect: 'mssql';
  /** the batches, in order, to run inside one transaction (CREATE FUNCTION must start a batch) */
  batches: string[];
  /** the printable sqlcmd script: the batches separated by GO, inside one transaction */
  script: string;
}

/** What a predicate function checks. */
export type PredicateKind = 'read' | 'insert' | 'update' | 'delete';

const blockKind: Record<BlockOperation, PredicateKind> = {
  afterInsert: 'insert',
  afterUpdate: 'update',
  beforeUpdate: 'update',
  beforeDelete: 'delete',
};
const blockSql: Record<BlockOperation, string> = {
  afterInsert: 'AFTER INSERT',
  afterUpdate: 'AFTER UPDATE',
  beforeUpdate: 'BEFORE UPDATE',
  beforeDelete: 'BEFORE DELETE',
};
const kindOp: Record<PredicateKind, Operation> = { read: 'select', insert: 'insert', update: 'update', delete: 'delete' };

/** The T-SQL type of a spec type (text and json are nvarchar, 4000 unless a length is given). */
function msType(type: SessionKey['type'], maxLength: number | undefined): string {
  switch (type) {
    case 'text':
    case 'json':
      return `nvarchar(${maxLength ?? 4000})`;
    case 'uuid':
      return 'uniqueidentifier';
    case 'int':
      return 'int';
    case 'bigint':
      return 'bigint';
  }
}

/** The SQL type a session key is CAST to. */
export function msKeyType(k: SessionKey): string {
  return msType(k.type, k.maxLength);
}

/** The binary collation every text comparison uses. */
export const msBinaryCollation = 'Latin1_General_100_BIN2';

/** The SQL type of a protected column: as the spec states it, else the key's. */
export function msColumnType(spec: RlsSpec, ref: ColumnRef): string {
  return ref.type === undefined ? msKeyType(keyOf(spec, ref.key)) : msType(ref.type, ref.maxLength);
}

/** `param` equals the session key, exactly: binary collation and equal length for text. */
export function msEquals(spec: RlsSpec, param: string, keyName: string): string {
  const read = msSessionRead(spec, keyName);
  if (keyOf(spec, keyName).type !== 'text') return `${param} = ${read}`;
  return `(${param} = ${read} COLLATE ${msBinaryCollation} AND DATALENGTH(${param}) = DATALENGTH(${read}))`;
}

function keyOf(spec: RlsSpec, name: string): SessionKey {
  const k = spec.sessionKeys.find((x) => x.name === name);
  if (!k) throw new TypeError(`unknown session key ${name}`);
  return k;
}

/** `CAST(SESSION_CONTEXT(N'key') AS type)` — SESSION_CONTEXT returns sql_variant: always cast. */
export function msSessionRead(spec: RlsSpec, keyName: string): string {
  const k = keyOf(spec, keyName);
  return `CAST(SESSION_CONTEXT(${msString(k.name)}) AS ${msKeyType(k)})`;
}

/** The predicate functions one table needs, and the security policy lines that use them. */
export interface TablePredicates {
  table: ProtectedTable;
  functions: { kind: PredicateKind; name: string }[];
  /** FILTER plus one BLOCK per declared operation */
  predicates: { type: 'FILTER' | 'BLOCK'; operation?: BlockOperation; kind: PredicateKind }[];
}

export function functionName(t: ProtectedTable, kind: PredicateKind): string {
  return `${t.schema}_${t.name}_${kind}`;
}

export function tablePredicates(t: ProtectedTable): TablePredicates {
  const kinds = new Set<PredicateKind>(['read', ...t.block.map((b) => blockKind[b])]);
  const order: PredicateKind[] = ['read', 'insert', 'update', 'delete'];
  return {
    table: t,
    functions: order.filter((k) => kinds.has(k)).map((kind) => ({ kind, name: functionName(t, kind) })),
    predicates: [
      { type: 'FILTER', kind: 'read' },
      ...[...t.block]
        .sort((a, b) => Object.keys(blockSql).indexOf(a) - Object.keys(blockSql).indexOf(b))
        .map((operation) => ({ type: 'BLOCK' as const, operation, kind: blockKind[operation] })),
    ],
  };
}

function qualified(schema: string, name: string): string {
  return `${msIdent(schema)}.${msIdent(name)}`;
}

function ruleCondition(spec: RlsSpec, t: ProtectedTable, rule: AccessRule): string {
  // rolesKey is present whenever a rule exists, and owner rules need the owner column (the spec schema checks both)
  const rolesJson = msSessionRead(spec, spec.rolesKey ?? '');
  const roles =
    `EXISTS (SELECT 1 FROM OPENJSON(${rolesJson}) AS [r] WHERE [r].[value] COLLATE ${msBinaryCollation} IN (${rule.roles.map(msString).join(', ')})` +
    ' AND DATALENGTH([r].[value]) = DATALENGTH(RTRIM([r].[value])))';
  return rule.scope === 'tenant' ? `(${roles})` : `(${roles} AND ${msEquals(spec, '@owner', t.owner?.key ?? '')})`;
}

function functionBatch(spec: RlsSpec, t: ProtectedTable, kind: PredicateKind): string {
  const params = [`@tenant ${msColumnType(spec, t.tenant)}`];
  if (t.owner) params.push(`@owner ${msColumnType(spec, t.owner)}`);
  const rules = t.access[kindOp[kind]];
  const access = rules ? rules.map((r) => ruleCondition(spec, t, r)).join('\n        OR ') : '1 = 1';
  const bypass = msBypassClause(spec);
  return [
    `CREATE OR ALTER FUNCTION ${qualified(spec.helperSchema, functionName(t, kind))}(${params.join(', ')})`,
    'RETURNS TABLE',
    'WITH SCHEMABINDING',
    'AS',
    'RETURN',
    '  SELECT 1 AS [allowed]',
    `  WHERE (${msEquals(spec, '@tenant', t.tenant.key)}`,
    `    AND (${access}))${bypass};`,
  ].join('\n');
}

/** Named bypass principals only: users and managed identities by user name, groups by membership ('' when none). */
export function msBypassClause(spec: RlsSpec): string {
  const bypassing = spec.principals.filter((p) => spec.bypass.includes(p.name));
  const byName = bypassing.filter((p) => p.kind !== 'group').map((p) => msString(p.name));
  const byGroup = bypassing.filter((p) => p.kind === 'group').map((p) => `\n     OR IS_MEMBER(${msString(p.name)}) = 1`);
  return `${byName.length > 0 ? `\n     OR USER_NAME() IN (${byName.join(', ')})` : ''}${byGroup.join('')}`;
}

export function securityPolicyName(spec: RlsSpec): string {
  return `${spec.name}_policy`;
}

function policyBatch(spec: RlsSpec): string {
  const lines: string[] = [];
  for (const t of spec.tables) {
    const args = [msIdent(t.tenant.column), ...(t.owner ? [msIdent(t.owner.column)] : [])].join(', ');
    for (const p of tablePredicates(t).predicates) {
      const fn = `${qualified(spec.helperSchema, functionName(t, p.kind))}(${args})`;
      lines.push(
        p.type === 'FILTER'
          ? `  ADD FILTER PREDICATE ${fn} ON ${qualified(t.schema, t.name)}`
          : `  ADD BLOCK PREDICATE ${fn} ON ${qualified(t.schema, t.name)} ${blockSql[p.operation ?? 'afterInsert']}`,
      );
    }
  }
  if (spec.audit) lines.push(mssqlAuditPredicate(spec.audit, spec.helperSchema));
  return `CREATE SECURITY POLICY ${qualified(spec.helperSchema, securityPolicyName(spec))}\n${lines.join(',\n')}\nWITH (STATE = ON, SCHEMABINDING = ON);`;
}

/**
 * What the policy manager needs to manage the policy, per the row-level security documentation
 * (https://learn.microsoft.com/sql/relational-databases/security/row-level-security#permissions):
 * ALTER ANY SECURITY POLICY (granted in the setup batch), and for each predicate SELECT and
 * REFERENCES on its function, REFERENCES on the target table and on every column passed to it.
 * After the functions exist, hence its own batch after the policy.
 */
function policyManagerBatch(spec: RlsSpec): string {
  const pm = msIdent(spec.policyManager.name);
  const out = ['-- the policy manager may add, alter and drop the predicates (the permissions the RLS documentation lists)'];
  for (const t of spec.tables) {
    for (const f of tablePredicates(t).functions) out.push(`GRANT SELECT, REFERENCES ON OBJECT::${qualified(spec.helperSchema, f.name)} TO ${pm};`);
    out.push(`GRANT REFERENCES ON OBJECT::${qualified(t.schema, t.name)} TO ${pm};`);
    const cols = [t.tenant.column, ...(t.owner ? [t.owner.column] : [])].map(msIdent).join(', ');
    out.push(`GRANT REFERENCES (${cols}) ON OBJECT::${qualified(t.schema, t.name)} TO ${pm};`);
  }
  if (spec.audit) {
    out.push(`GRANT SELECT, REFERENCES ON OBJECT::${qualified(spec.helperSchema, mssqlAuditFunctionName(spec.audit))} TO ${pm};`);
    out.push(`GRANT REFERENCES ON OBJECT::${msAuditTableRef(spec.audit)} TO ${pm};`);
    out.push(`GRANT REFERENCES ([tenant_id]) ON OBJECT::${msAuditTableRef(spec.audit)} TO ${pm};`);
  }
  return out.join('\n');
}

function memberCheck(role: string, member: string): string {
  return (
    'EXISTS (SELECT 1 FROM sys.database_role_members AS [rm]' +
    ' JOIN sys.database_principals AS [r] ON [r].[principal_id] = [rm].[role_principal_id]' +
    ' JOIN sys.database_principals AS [m] ON [m].[principal_id] = [rm].[member_principal_id]' +
    ` WHERE [r].[name] = ${msString(role)} AND [m].[name] = ${msString(member)})`
  );
}

function setupBatch(spec: RlsSpec): string {
  const out: string[] = [];
  const hs = spec.helperSchema;
  out.push('-- schema for predicate functions and the security policy');
  out.push(`IF SCHEMA_ID(${msString(hs)}) IS NULL EXEC(${msString(`CREATE SCHEMA ${msIdent(hs)} AUTHORIZATION [dbo]`)});`);
  out.push('-- roles (NOLOGIN by nature in SQL: database roles cannot sign in)');
  for (const r of [...spec.applicationRoles.map((x) => x.name), spec.policyManager.name, ...(spec.audit ? [spec.audit.auditor] : [])]) {
    out.push(`IF DATABASE_PRINCIPAL_ID(${msString(r)}) IS NULL CREATE ROLE ${msIdent(r)} AUTHORIZATION [dbo];`);
  }
  out.push('-- principals from Microsoft Entra ID');
  for (const p of spec.principals) {
    const withOid = p.objectId !== undefined ? ` WITH OBJECT_ID = ${msGuid(p.objectId)}` : '';
    out.push(`IF DATABASE_PRINCIPAL_ID(${msString(p.name)}) IS NULL CREATE USER ${msIdent(p.name)} FROM EXTERNAL PROVIDER${withOid};`);
    for (const r of p.roles) out.push(`IF NOT ${memberCheck(r, p.name)} ALTER ROLE ${msIdent(r)} ADD MEMBER ${msIdent(p.name)};`);
  }
  out.push('-- least-privilege grants: exactly the listed table privileges');
  for (const role of spec.applicationRoles) {
    for (const g of role.grants) {
      const obj = `OBJECT::${qualified(g.schema, g.table)}`;
      const revoke = privileges.filter((p) => !g.privileges.includes(p));
      if (revoke.length > 0) out.push(`REVOKE ${revoke.join(', ')} ON ${obj} FROM ${msIdent(role.name)};`);
      out.push(`GRANT ${g.privileges.join(', ')} ON ${obj} TO ${msIdent(role.name)};`);
    }
    out.push(`DENY ALTER, CONTROL, SELECT, EXECUTE, REFERENCES ON SCHEMA::${msIdent(hs)} TO ${msIdent(role.name)};`);
  }
  out.push('-- only the policy manager may change the security policy');
  const pm = msIdent(spec.policyManager.name);
  out.push(`GRANT ALTER ANY SECURITY POLICY TO ${pm};`);
  out.push(`GRANT ALTER, REFERENCES ON SCHEMA::${msIdent(hs)} TO ${pm};`);
  out.push('-- the security policy is recreated below (its predicate functions are schema-bound to it)');
  out.push(`DROP SECURITY POLICY IF EXISTS ${qualified(hs, securityPolicyName(spec))};`);
  return out.join('\n');
}

function script(spec: RlsSpec, what: 'apply' | 'remove', batches: string[]): string {
  return [
    `-- apim-rls: ${what} row-level security for spec "${spec.name}" (Azure SQL). Generated; do not edit.`,
    '-- Run with sqlcmd (stops at the first error) or `apim-rls rls apply`, which runs every batch in one transaction.',
    ':on error exit',
    'SET XACT_ABORT ON;',
    'BEGIN TRANSACTION;',
    'GO',
    batches.join('\nGO\n'),
    'GO',
    'COMMIT TRANSACTION;',
    'GO',
    '',
  ].join('\n');
}

/** Emits the idempotent T-SQL for a spec. */
export function emitMssql(spec: RlsSpec): MssqlScript {
  const batches = [setupBatch(spec)];
  if (spec.audit) batches.push(...mssqlAuditTableBatches(spec, spec.audit), mssqlAuditGrants(spec, spec.audit).join('\n'));
  for (const t of spec.tables) for (const f of tablePredicates(t).functions) batches.push(functionBatch(spec, t, f.kind));
  if (spec.audit) {
    batches.push(mssqlAuditFunctionBatch(spec, spec.audit, spec.helperSchema, msBypassClause(spec)));
    for (const t of spec.audit.tables) batches.push(mssqlAuditTriggerBatch(spec, spec.audit, t));
  }
  batches.push(policyBatch(spec));
  batches.push(policyManagerBatch(spec));
  return { dialect: 'mssql', batches, script: script(spec, 'apply', batches) };
}

/** Emits the matching remove script. Database users are left in place (they may own other objects). */
export function emitMssqlRemove(spec: RlsSpec): MssqlScript {
  const hs = spec.helperSchema;
  const out: string[] = [`DROP SECURITY POLICY IF EXISTS ${qualified(hs, securityPolicyName(spec))};`];
  for (const t of spec.tables) for (const f of tablePredicates(t).functions) out.push(`DROP FUNCTION IF EXISTS ${qualified(hs, f.name)};`);
  if (spec.audit) out.push(...mssqlAuditRemove(spec, spec.audit, hs));
  out.push(
    `IF SCHEMA_ID(${msString(hs)}) IS NOT NULL AND NOT EXISTS (SELECT 1 FROM sys.objects WHERE [schema_id] = SCHEMA_ID(${msString(hs)})) EXEC(${msString(`DROP SCHEMA ${msIdent(hs)}`)});`,
  );
  for (const p of spec.principals) {
    for (const r of p.roles) out.push(`IF ${memberCheck(r, p.name)} ALTER ROLE ${msIdent(r)} DROP MEMBER ${msIdent(p.name)};`);
  }
  for (const role of spec.applicationRoles) {
    out.push(`IF DATABASE_PRINCIPAL_ID(${msString(role.name)}) IS NOT NULL`);
    out.push('BEGIN');
    for (const g of role.grants) out.push(`  REVOKE ${g.privileges.join(', ')} ON OBJECT::${qualified(g.schema, g.table)} FROM ${msIdent(role.name)};`);
    out.push(`  DROP ROLE ${msIdent(role.name)};`);
    out.push('END;');
  }
  if (spec.audit) out.push(`IF DATABASE_PRINCIPAL_ID(${msString(spec.audit.auditor)}) IS NOT NULL DROP ROLE ${msIdent(spec.audit.auditor)};`);
  out.push(`IF DATABASE_PRINCIPAL_ID(${msString(spec.policyManager.name)}) IS NOT NULL`);
  out.push('BEGIN');
  out.push(`  REVOKE ALTER ANY SECURITY POLICY FROM ${msIdent(spec.policyManager.name)};`);
  for (const t of spec.tables) out.push(`  REVOKE REFERENCES ON OBJECT::${qualified(t.schema, t.name)} FROM ${msIdent(spec.policyManager.name)};`);
  out.push(`  DROP ROLE ${msIdent(spec.policyManager.name)};`);
  out.push('END;');
  out.push('-- database users created FROM EXTERNAL PROVIDER are left in place; drop them by hand if no longer needed');
  const batches = [out.join('\n')];
  return { dialect: 'mssql', batches, script: script(spec, 'remove', batches) };
}
