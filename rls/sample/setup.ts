import { applySpec } from '../apply.js';
import type { Database } from '../db/types.js';
import { sampleSchemaSql, seedSample } from './schema.js';
import { ordersSpec } from './spec.js';

/**
 * Creates the sample schema, seeds it (before RLS, since FORCE applies to the table owner) and
 * applies the orders spec. Idempotent. Runs as a role that may create roles and tables (PGlite's
 * default user, the test server's superuser). PostgreSQL dialect only.
 */
export async function setupSampleDatabase(db: Database): Promise<void> {
  if (db.dialect !== 'postgres') throw new TypeError('setupSampleDatabase supports PostgreSQL (PGlite or a server)');
  await db.exec(sampleSchemaSql);
  await db.transaction(async (tx) => seedSample(tx));
  await applySpec(db, ordersSpec);
}
