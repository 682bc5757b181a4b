/**
 * `driftSpec`: what differs between the database catalog and the spec.
 * PostgreSQL: the spec is applied inside a transaction that is always rolled back, and the catalog
 * (pg_policies, row-security flags, roles, memberships, grants) is compared before and after — so the
 * comparison is the server's own rendering of both, and nothing is left behind (it takes the same
 * locks as apply for that moment). Azure SQL: sys.security_policies + sys.security_predicates are
 * compared with the predicates the spec declares, and sys.triggers with the audit triggers.
 */
import { diffSnapshots, snapshotPostgres, type CatalogChange, type CatalogSnapshot } from './catalog/postgres.js';
import type { Database, Executor } from './db/types.js';
import { functionName, securityPolicyName, tablePredicates } from './emit/mssql.js';
import { mssqlAuditFunctionName, mssqlAuditTriggerName } from './emit/mssql-audit.js';
import { emitPostgres } from './emit/postgres.js';
import type { RlsSpec } from './spec/schema.js';

export type { CatalogChange } from './catalog/postgres.js';

export async function driftSpec(db: Database, spec: RlsSpec): Promise<CatalogChange[]> {
  if (db.dialect === 'mssql') return driftMssql(db, spec);
  const { statements } = emitPostgres(spec);
  return db.transaction(
    async (tx) => {
      const actual = await snapshotPostgres(tx, spec);
      await tx.exec(statements.join('\n'));
      const expected = await snapshotPostgres(tx, spec);
      return diffSnapshots(actual, expected);
    },
    { rollback: true },
  );
}

/** One row of the Azure SQL catalog query. */
export interface MssqlPredicateRow {
  policy_schema: string;
  policy_name: string;
  is_enabled: boolean;
  is_schema_bound: boolean;
  predicate_type_desc: string | null;
  operation_desc: string | null;
  target_schema: string | null;
  target_name: string | null;
  predicate_definition: string | null;
}

export const mssqlCatalogQuery = `SELECT SCHEMA_NAME(p.schema_id) AS policy_schema, p.name AS policy_name, p.is_enabled, p.is_schema_bound,
       pr.predicate_type_desc, pr.operation_desc,
       OBJECT_SCHEMA_NAME(pr.target_object_id) AS target_schema, OBJECT_NAME(pr.target_object_id) AS target_name,
       pr.predicate_definition
  FROM sys.security_policies AS p
  LEFT JOIN sys.security_predicates AS pr ON pr.object_id = p.object_id`;

const q = (s: string) => JSON.stringify(s);
const operationDesc = { afterInsert: 'AFTER_INSERT', afterUpdate: 'AFTER_UPDATE', beforeUpdate: 'BEFORE_UPDATE', beforeDelete: 'BEFORE_DELETE' } as const;

/** Normalises a predicate definition to the called function: `[rls].[f]([a],[b])` → `rls.f(a,b)`. */
function normaliseDefinition(def: string): string {
  let s = def.replace(/\s+/g, '');
  while (s.startsWith('(') && s.endsWith(')')) s = s.slice(1, -1);
  return s.replace(/\[((?:[^\]]|\]\])*)\]/g, (_m, inner: string) => inner.replace(/\]\]/g, ']')).toLowerCase();
}

/** The snapshot the spec expects (Azure SQL). */
export function expectedMssqlSnapshot(spec: RlsSpec): CatalogSnapshot {
  const out: CatalogSnapshot = new Map();
  const policy = `security policy ${q(spec.helperSchema)}.${q(securityPolicyName(spec))}`;
  out.set(policy, 'enabled, schema bound');
  for (const t of spec.tables) {
    const args = [t.tenant.column, ...(t.owner ? [t.owner.column] : [])].join(',');
    for (const p of tablePredicates(t).predicates) {
      const key = `${policy}: ${p.type} ${p.operation ? `${operationDesc[p.operation]} ` : ''}on ${q(t.schema)}.${q(t.name)}`;
      out.set(key, normaliseDefinition(`${spec.helperSchema}.${functionName(t, p.kind)}(${args})`));
    }
  }
  const a = spec.audit;
  if (a) {
    out.set(`${policy}: FILTER on ${q(a.schema)}.${q(a.table)}`, normaliseDefinition(`${spec.helperSchema}.${mssqlAuditFunctionName(a)}(tenant_id)`));
    for (const t of a.tables) {
      out.set(auditTriggerKey(t.schema, t.name, mssqlAuditTriggerName(t)), `enabled, AFTER ${t.operations.map((o) => o.toUpperCase()).sort().join(',')}`);
    }
  }
  return out;
}

/** One row of the Azure SQL trigger query. */
export interface MssqlTriggerRow {
  table_schema: string;
  table_name: string;
  trigger_name: string;
  is_disabled: boolean;
  /** the trigger's events, comma-separated and sorted (sys.trigger_events.type_desc) */
  events: string | null;
}

/**
 * The audit triggers in the catalog: sys.triggers (`is_disabled`) and sys.trigger_events
 * (https://learn.microsoft.com/sql/relational-databases/system-catalog-views/sys-triggers-transact-sql).
 */
export const mssqlTriggerQuery = `SELECT OBJECT_SCHEMA_NAME(t.parent_id) AS table_schema, OBJECT_NAME(t.parent_id) AS table_name, t.name AS trigger_name, t.is_disabled,
       (SELECT STRING_AGG(e.type_desc, ',') WITHIN GROUP (ORDER BY e.type_desc) FROM sys.trigger_events AS e WHERE e.object_id = t.object_id) AS events
  FROM sys.triggers AS t
 WHERE t.parent_class = 1`;

function auditTriggerKey(schema: string, table: string, trigger: string): string {
  return `audit trigger ${q(trigger)} on ${q(schema)}.${q(table)}`;
}

/** The audit triggers the catalog holds on the audited tables (Azure SQL). */
export function actualMssqlTriggers(spec: RlsSpec, rows: readonly MssqlTriggerRow[]): CatalogSnapshot {
  const out: CatalogSnapshot = new Map();
  const a = spec.audit;
  if (!a) return out;
  for (const r of rows) {
    const t = a.tables.find((x) => x.schema === r.table_schema && x.name === r.table_name);
    if (!t || r.trigger_name !== mssqlAuditTriggerName(t)) continue;
    out.set(auditTriggerKey(r.table_schema, r.table_name, r.trigger_name), `${r.is_disabled ? 'DISABLED' : 'enabled'}, AFTER ${r.events ?? ''}`);
  }
  return out;
}

/** The snapshot the catalog holds (Azure SQL), for the spec's policy and any other policy on its tables. */
export function actualMssqlSnapshot(spec: RlsSpec, rows: readonly MssqlPredicateRow[]): CatalogSnapshot {
  const out: CatalogSnapshot = new Map();
  const protectedTables = new Set(spec.tables.map((t) => `${t.schema}.${t.name}`));
  for (const r of rows) {
    const ours = r.policy_schema === spec.helperSchema && r.policy_name === securityPolicyName(spec);
    const onOurTable = r.target_schema !== null && r.target_name !== null && protectedTables.has(`${r.target_schema}.${r.target_name}`);
    if (!ours && !onOurTable) continue;
    const policy = `security policy ${q(r.policy_schema)}.${q(r.policy_name)}`;
    out.set(policy, `${r.is_enabled ? 'enabled' : 'disabled'}, ${r.is_schema_bound ? 'schema bound' : 'not schema bound'}`);
    if (r.predicate_type_desc === null || r.target_schema === null || r.target_name === null) continue;
    const op = r.operation_desc ? `${r.operation_desc} ` : '';
    out.set(`${policy}: ${r.predicate_type_desc} ${op}on ${q(r.target_schema)}.${q(r.target_name)}`, normaliseDefinition(r.predicate_definition ?? ''));
  }
  return out;
}

export async function driftMssql(db: Executor, spec: RlsSpec): Promise<CatalogChange[]> {
  const { rows } = await db.query<MssqlPredicateRow>(mssqlCatalogQuery);
  const actual = actualMssqlSnapshot(spec, rows);
  if (spec.audit) {
    const triggers = await db.query<MssqlTriggerRow>(mssqlTriggerQuery);
    for (const [k, v] of actualMssqlTriggers(spec, triggers.rows)) actual.set(k, v);
  }
  return diffSnapshots(actual, expectedMssqlSnapshot(spec));
}
