/** A PostgreSQL server over TCP (node-postgres pool) behind the Database interface. */
import pg from 'pg';
import type { Database, Executor, QueryResult, TransactionOptions } from './types.js';

export interface PgOptions {
  /** pool size (default 4) */
  max?: number;
}

function executor(client: { query: pg.Pool['query'] }): Executor {
  return {
    dialect: 'postgres',
    async query<R>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<R>> {
      const r = await client.query(sql, [...params]);
      return { rows: r.rows as R[], rowCount: r.rowCount ?? r.rows.length };
    },
    async exec(sql: string): Promise<void> {
      await client.query(sql);
    },
  };
}

/** Opens a pool for `postgres://` / `postgresql://` URLs and checks it can connect. */
export async function openPg(url: string, options: PgOptions = {}): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 4 });
  pool.on('error', () => {
    // an idle client died; the pool replaces it on the next checkout
  });
  try {
    await pool.query('select 1');
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
  return {
    ...executor(pool),
    kind: 'pg',
    async transaction<T>(fn: (tx: Executor) => Promise<T>, txOptions: TransactionOptions = {}): Promise<T> {
      const client = await pool.connect();
      let broken = false;
      try {
        await client.query('BEGIN');
        const value = await fn(executor(client));
        await client.query(txOptions.rollback ? 'ROLLBACK' : 'COMMIT');
        return value;
      } catch (err) {
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true;
        }
        throw err;
      } finally {
        client.release(broken);
      }
    },
    async close() {
      await pool.end();
    },
  };
}
