/**
 * The embedded driver (PGlite, the local stack's database). PGlite runs in this process and
 * serialises every query, so a "round trip" costs no network: each request is one transaction
 * (`db.transaction`), the claims and the role in ONE bound statement
 * (`select set_config($1, $2, true), ..., set_config('role', $n, true)`), then the statement
 * with its values bound. Transaction-local settings end with the transaction: nothing survives.
 * PGlite's default user is a superuser (bypasses RLS): the role switch is what makes RLS apply.
 */
import type { SessionValues } from '../identity/claim-map.js';
import { pgErrorToHttp } from './pg-errors.js';
import { renderStatement, type SqlParam, type Statement } from './statement.js';
import type { IdentitySession, QueryResult, RunOptions } from './types.js';

interface PGliteResult {
  rows: unknown[];
  affectedRows?: number;
}
interface PGliteQueryable {
  query(sql: string, params?: unknown[]): Promise<PGliteResult>;
}
/** The part of `PGlite` this driver uses. */
export interface PGliteLike extends PGliteQueryable {
  transaction<T>(fn: (tx: PGliteQueryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface PGliteSessionOptions {
  db: PGliteLike;
  role: string;
  settingPrefix?: string;
  /** close the database with the session; default false (the caller opened it) */
  closeDatabase?: boolean;
}

const casts: Record<SqlParam['type'], string> = { text: '::text', int: '::int4', bigint: '::int8' };

function bound(statement: Statement): string {
  return renderStatement(statement, (i, p) => `$${i + 1}${casts[p.type]}`);
}

function toResult(r: PGliteResult): QueryResult {
  const rows = r.rows as Record<string, unknown>[];
  return { rows, rowCount: r.affectedRows ?? rows.length };
}

export function createPGliteSession(options: PGliteSessionOptions): IdentitySession {
  const { db } = options;
  const prefix = options.settingPrefix ?? 'app.';
  const preludes = new Map<number, string>();
  const prelude = (n: number): string => {
    let s = preludes.get(n);
    if (s === undefined) {
      const calls: string[] = [];
      for (let i = 0; i < n; i++) calls.push(`set_config($${2 * i + 1}, $${2 * i + 2}, true)`);
      calls.push(`set_config('role', $${2 * n + 1}, true)`);
      s = `select ${calls.join(', ')}`;
      preludes.set(n, s);
    }
    return s;
  };

  return {
    dialect: 'postgres',
    async run(identity: SessionValues, statement: Statement, runOptions?: RunOptions): Promise<QueryResult> {
      runOptions?.abortSignal?.throwIfAborted();
      const args: string[] = [];
      for (const { key, value } of identity) args.push(prefix + key, value ?? '');
      args.push(options.role);
      try {
        return await db.transaction(async (tx) => {
          await tx.query(prelude(identity.length), args);
          return toResult(await tx.query(bound(statement), statement.params.map((p) => p.value)));
        });
      } catch (err) {
        throw pgErrorToHttp(err);
      }
    },
    async runWithoutIdentity(statement: Statement, runOptions?: RunOptions): Promise<QueryResult> {
      runOptions?.abortSignal?.throwIfAborted();
      try {
        return toResult(await db.query(bound(statement), statement.params.map((p) => p.value)));
      } catch (err) {
        throw pgErrorToHttp(err);
      }
    },
    async close() {
      if (options.closeDatabase) await db.close();
    },
  };
}
