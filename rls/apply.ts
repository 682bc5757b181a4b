/**
 * `applySpec`: runs the emitted script in one transaction. PostgreSQL: the catalog is snapshotted
 * before and after inside that transaction; when nothing changed the transaction is rolled back, so a
 * second apply changes nothing and reports no changes. Azure SQL: every batch in one transaction.
 */
import { checkMssqlColumnTypes } from './catalog/mssql-columns.js';
import { diffSnapshots, snapshotPostgres, type CatalogChange } from './catalog/postgres.js';
import type { Database } from './db/types.js';
import { emitMssql, emitMssqlRemove } from './emit/mssql.js';
import { emitPostgres, emitPostgresRemove } from './emit/postgres.js';
import { driftMssql } from './drift.js';
import type { RlsSpec } from './spec/schema.js';

export interface ApplyOptions {
  /** run the remove script instead */
  remove?: boolean;
}

export interface ApplyResult {
  dialect: 'postgres' | 'mssql';
  /** what changed in the catalog (PostgreSQL: measured; Azure SQL: the drift found before applying) */
  changes: CatalogChange[];
  /** false when nothing had to change (the transaction was rolled back) */
  committed: boolean;
}

class NothingChanged extends Error {}

export async function applySpec(db: Database, spec: RlsSpec, options: ApplyOptions = {}): Promise<ApplyResult> {
  if (db.dialect === 'mssql') {
    // the predicate parameters are typed as the columns: refuse before changing anything if the catalog disagrees
    if (!options.remove) await checkMssqlColumnTypes(db, spec);
    const before = options.remove ? [] : await driftMssql(db, spec);
    const { batches } = options.remove ? emitMssqlRemove(spec) : emitMssql(spec);
    await db.transaction(async (tx) => {
      await tx.exec('SET XACT_ABORT ON;');
      for (const b of batches) await tx.exec(b);
    });
    return { dialect: 'mssql', changes: before, committed: true };
  }
  const { statements } = options.remove ? emitPostgresRemove(spec) : emitPostgres(spec);
  let changes: CatalogChange[] = [];
  try {
    await db.transaction(async (tx) => {
      const before = await snapshotPostgres(tx, spec);
      await tx.exec(statements.join('\n'));
      const after = await snapshotPostgres(tx, spec);
      changes = diffSnapshots(before, after);
      if (changes.length === 0) throw new NothingChanged();
    });
  } catch (err) {
    if (err instanceof NothingChanged) return { dialect: 'postgres', changes: [], committed: false };
    throw err;
  }
  return { dialect: 'postgres', changes, committed: true };
}
