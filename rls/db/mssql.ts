/**
 * Azure SQL through `mssql` with a managed identity: `authentication: { type: 'token-credential',
 * options: { credential } }` with one shared TokenCredential, so tokens are cached and refreshed.
 * Only runs in Azure; the config it builds is unit-tested here.
 */
import type { TokenCredential } from '@azure/identity';
import mssql from 'mssql';
import { RlsError } from '../errors.js';
import type { Database, Executor, QueryResult, TransactionOptions } from './types.js';

export interface MssqlTarget {
  server: string;
  database: string;
  port: number;
}

/** Parses `mssql://server.database.windows.net[:port]/database`. Credentials in the URL are refused (no passwords). */
export function parseMssqlUrl(url: string): MssqlTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new RlsError('RLS_DB_URL_INVALID', 'expected mssql://SERVER/DATABASE');
  }
  if (u.protocol !== 'mssql:') throw new RlsError('RLS_DB_URL_INVALID', 'expected mssql://SERVER/DATABASE');
  if (u.username || u.password) {
    throw new RlsError('RLS_DB_URL_INVALID', 'mssql URLs must not carry a user or password: the managed identity signs in');
  }
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (!u.hostname || !database || database.includes('/')) throw new RlsError('RLS_DB_URL_INVALID', 'expected mssql://SERVER/DATABASE');
  return { server: u.hostname, database, port: u.port ? Number(u.port) : 1433 };
}

/** The `mssql` config for a managed identity: encrypted, certificate checked, token from the shared credential. */
export function mssqlConfig(target: MssqlTarget, credential: TokenCredential): mssql.config {
  return {
    server: target.server,
    port: target.port,
    database: target.database,
    options: { encrypt: true, trustServerCertificate: false },
    authentication: { type: 'token-credential', options: { credential } },
    pool: { max: 4, min: 0, idleTimeoutMillis: 30_000 },
    connectionTimeout: 15_000,
    requestTimeout: 30_000,
  };
}

function bind(request: mssql.Request, params: readonly unknown[]): mssql.Request {
  params.forEach((v, i) => request.input(`p${i + 1}`, v));
  return request;
}

function executor(makeRequest: () => mssql.Request): Executor {
  return {
    dialect: 'mssql',
    async query<R>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<R>> {
      const r = await bind(makeRequest(), params).query(sql);
      return { rows: (r.recordset ?? []) as R[], rowCount: r.rowsAffected.reduce((a, b) => a + b, 0) };
    },
    async exec(sql: string): Promise<void> {
      await makeRequest().batch(sql);
    },
  };
}

/** Connects with the given credential (the caller creates and shares it, e.g. DefaultAzureCredential). */
export async function openMssql(url: string, credential: TokenCredential): Promise<Database> {
  const pool = new mssql.ConnectionPool(mssqlConfig(parseMssqlUrl(url), credential));
  await pool.connect();
  return {
    ...executor(() => pool.request()),
    kind: 'mssql',
    async transaction<T>(fn: (tx: Executor) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
      const tx = new mssql.Transaction(pool);
      await tx.begin();
      try {
        const value = await fn(executor(() => new mssql.Request(tx)));
        if (options.rollback) await tx.rollback();
        else await tx.commit();
        return value;
      } catch (err) {
        await tx.rollback().catch(() => undefined);
        throw err;
      }
    },
    async close() {
      await pool.close();
    },
  };
}
