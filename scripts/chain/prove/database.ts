/**
 * The proof's database: a fresh in-memory PGlite with the tables and seed rows, then the spec
 * applied (`rls apply`). The API's writes commit, unlike `rls verify`'s probes (rolled back), so
 * the seed rows are put back before every case and every write. Setup and reset run as PGlite's
 * superuser (row security does not apply to it).
 */
import type { Database, Executor } from '../../../rls/db/types.js';
import { pgIdent } from '../../../rls/emit/quote.js';
import { sampleSchemaSql, seedSample } from '../../../rls/sample/schema.js';

export interface ProveDatabase {
  /** creates the tables and seeds them (before the spec is applied) */
  setup(db: Database): Promise<void>;
  /** puts the seeded rows back (between write probes) */
  reset(db: Database): Promise<void>;
  /**
   * Runs after `rls verify` made the truth table and before the first API call: a database that
   * changes between the two (a test seeds a changed predicate here) is caught at the database layer.
   */
  afterTruthTable?(db: Database): Promise<void>;
}

/** The orders sample's tables and seed (rls/sample). */
export const sampleProveDatabase: ProveDatabase = {
  async setup(db) {
    await db.exec(sampleSchemaSql);
    await db.transaction((tx) => seedSample(tx));
  },
  async reset(db) {
    await db.transaction(async (tx) => {
      // the API never writes tenants; orders get the seed back with the same ids
      await tx.exec('truncate app.orders restart identity');
      await seedSample(tx);
    });
  },
};

/** The ids of the rows of `schema.table` that `where` picks (identifiers quoted, values bound). */
export async function idsWhere(db: Executor, table: string, where: Record<string, unknown>): Promise<string[]> {
  const [schema, name] = table.split('.') as [string, string];
  const params: unknown[] = [];
  const cond = Object.entries(where).map(([c, v]) => {
    params.push(v);
    return `${pgIdent(c)} IS NOT DISTINCT FROM $${params.length}`;
  });
  const r = await db.query<{ id: string }>(`select id::text as id from ${pgIdent(schema)}.${pgIdent(name)} where ${cond.join(' and ') || 'true'} order by id`, params);
  return r.rows.map((row) => row.id);
}

/** The identity the audit trail recorded for one request's writes to `schema.table` (rls/emit/postgres-audit.ts). */
export async function auditedIdentity(db: Executor, auditTable: { schema: string; table: string }, table: string, requestId: string): Promise<{ tenant: string | null; user: string | null; operation: string }[]> {
  const [schema, name] = table.split('.') as [string, string];
  const r = await db.query<{ tenant: string | null; user: string | null; operation: string }>(
    `select tenant_id::text as tenant, user_oid::text as user, operation from ${pgIdent(auditTable.schema)}.${pgIdent(auditTable.table)} where request_id = $1 and table_schema = $2 and table_name = $3 order by audit_id`,
    [requestId, schema, name],
  );
  return r.rows;
}
