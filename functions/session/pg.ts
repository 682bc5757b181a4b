/**
 * The PostgreSQL server driver (node-pg `Pool`; Azure Database for PostgreSQL with an Entra token
 * as the password).
 *
 * One request = ONE round trip: a simple-protocol query holding two statements,
 *
 *   select set_config('app.tenant_id', E'...', true), ..., set_config('role', 'apim_rls_app', true);
 *   <the statement>
 *
 * PostgreSQL runs the statements of one simple Query message as one implicit transaction, so
 * `set_config(..., true)` (transaction-local, like SET LOCAL) lasts exactly as long as the
 * statement that needs it: nothing survives on the pooled connection, and an error rolls the
 * whole message back. node-pg does not pipeline, so BEGIN / set_config / query / COMMIT would be
 * four round trips (measured at ~0.55 of the raw query's rate); this is one. Every value, key
 * and the role name is escaped by the driver (`escapeLiteral` from pg), never by hand.
 *
 * `mode: 'bound'` sends the same work as BEGIN; set_config($1, $2, true)...; query with $n; COMMIT
 * (four round trips, values bound): kept for comparison in the benchmark.
 */
import pg from 'pg';
import type { SessionValues } from '../identity/claim-map.js';
import { HttpError } from '../errors.js';
import { pgErrorToHttp } from './pg-errors.js';
import { renderStatement, type SqlParam, type Statement } from './statement.js';
import type { IdentitySession, QueryResult, RunOptions } from './types.js';

export interface TokenCredentialLike {
  getToken(scopes: string | string[], options?: { abortSignal?: AbortSignal }): Promise<{ token: string; expiresOnTimestamp: number } | null>;
}

export const postgresEntraScope = 'https://ossrdbms-aad.database.windows.net/.default';

export interface PgPoolOptions {
  connectionString: string;
  /** at most this many connections */
  max: number;
  /** Azure Database for PostgreSQL: the password is an Entra token from this (shared) credential */
  credential?: TokenCredentialLike;
  connectionTimeoutInMs?: number;
  /**
   * Told when the server closed an idle pooled connection (restart, failover,
   * `pg_terminate_backend`); the pool has already dropped it and connects anew on the next
   * checkout. Default: nothing. Never given a query, a value or a password.
   */
  onIdleConnectionError?: (err: Error) => void;
}

/**
 * Builds a pool; with a credential, each new connection gets a fresh Entra token as its password.
 *
 * The pool always has an 'error' listener: node-pg emits 'error' on the POOL when the server
 * closes a connection that sits idle in it (pg-pool's idle listener removes the client, then
 * `pool.emit('error', err, client)`), and an EventEmitter's 'error' with no listener is thrown —
 * an uncaught exception that ends the Functions host process with every request in flight.
 * See https://node-postgres.com/apis/pool#error ("the pool will emit an error ... you probably
 * want to add an event listener ... otherwise the process will crash") and DESIGN.md's pitfalls.
 * A connection that dies while checked out fails its own query instead (→ 503, pg-errors.ts).
 */
export function createPgPool(options: PgPoolOptions): pg.Pool {
  const { credential } = options;
  const onIdleConnectionError = options.onIdleConnectionError;
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max,
    connectionTimeoutMillis: options.connectionTimeoutInMs ?? 10_000,
    ...(credential
      ? {
          password: async () => {
            const t = await credential.getToken(postgresEntraScope);
            if (!t) throw new Error('the credential returned no token for Azure Database for PostgreSQL');
            return t.token;
          },
          ssl: true,
        }
      : {}),
  });
  pool.on('error', (err: Error) => {
    // the pool already removed the dead client; the next checkout connects a new one
    onIdleConnectionError?.(err);
  });
  return pool;
}

export interface PgSessionOptions {
  pool: pg.Pool;
  /** the application role (NOLOGIN, no BYPASSRLS) every request switches to */
  role: string;
  /** setting prefix for session keys; default `app.` */
  settingPrefix?: string;
  /** default `single-round-trip` */
  mode?: 'single-round-trip' | 'bound';
}

const casts: Record<SqlParam['type'], string> = { text: '::text', int: '::int4', bigint: '::int8' };
const escapeLiteral = pg.escapeLiteral;

function literal(p: SqlParam): string {
  return (p.value === null ? 'NULL' : escapeLiteral(String(p.value))) + casts[p.type];
}

function bound(statement: Statement, offset = 0): string {
  return renderStatement(statement, (i, p) => `$${i + 1 + offset}${casts[p.type]}`);
}

function values(statement: Statement): (string | number | null)[] {
  return statement.params.map((p) => p.value);
}

function nulRefused(): HttpError {
  return new HttpError('FN_100_BAD_REQUEST', 'a value contains a NUL character', { reason: 'bad_value:nul' });
}

function toResult(r: pg.QueryResult): QueryResult {
  return { rows: r.rows as Record<string, unknown>[], rowCount: r.rowCount ?? r.rows.length };
}

export function createPgSession(options: PgSessionOptions): IdentitySession {
  const { pool } = options;
  const prefix = options.settingPrefix ?? 'app.';
  const mode = options.mode ?? 'single-round-trip';
  // computed once: the escaped role and the escaped setting name of every key seen
  const roleCall = `set_config('role', ${escapeLiteral(options.role)}, true)`;
  const keyLiterals = new Map<string, string>();
  const keyLiteral = (key: string): string => {
    let k = keyLiterals.get(key);
    if (k === undefined) {
      k = escapeLiteral(prefix + key);
      keyLiterals.set(key, k);
    }
    return k;
  };

  function identityPrelude(identity: SessionValues): string {
    let s = 'select ';
    for (const { key, value } of identity) {
      // '' for an absent key: policies read nullif(current_setting(k, true), '')
      s += `set_config(${keyLiteral(key)}, ${escapeLiteral(value ?? '')}, true), `;
    }
    return s + roleCall;
  }

  async function runSingle(identity: SessionValues, statement: Statement): Promise<QueryResult> {
    // a NUL would end the simple-protocol query text early; PostgreSQL text cannot hold one anyway
    for (const { value } of identity) if (value?.includes('\0')) throw nulRefused();
    for (const p of statement.params) if (typeof p.value === 'string' && p.value.includes('\0')) throw nulRefused();
    const text = `${identityPrelude(identity)};\n${renderStatement(statement, (_i, p) => literal(p))}`;
    const results = (await pool.query(text)) as unknown as pg.QueryResult[];
    const last = results[results.length - 1];
    if (!last) throw new Error('no result');
    return toResult(last);
  }

  async function runBound(identity: SessionValues, statement: Statement): Promise<QueryResult> {
    const client = await pool.connect();
    let ok = false;
    try {
      await client.query('BEGIN');
      const args: string[] = [];
      const calls = identity.map(({ key, value }) => {
        args.push(prefix + key, value ?? '');
        return `set_config($${args.length - 1}, $${args.length}, true)`;
      });
      args.push(options.role);
      calls.push(`set_config('role', $${args.length}, true)`);
      await client.query(`select ${calls.join(', ')}`, args);
      const r = await client.query(bound(statement), values(statement));
      await client.query('COMMIT');
      ok = true;
      return toResult(r);
    } finally {
      if (!ok) await client.query('ROLLBACK').catch(() => undefined);
      client.release();
    }
  }

  return {
    dialect: 'postgres',
    async run(identity: SessionValues, statement: Statement, runOptions?: RunOptions): Promise<QueryResult> {
      runOptions?.abortSignal?.throwIfAborted();
      try {
        return mode === 'bound' ? await runBound(identity, statement) : await runSingle(identity, statement);
      } catch (err) {
        throw pgErrorToHttp(err);
      }
    },
    async runWithoutIdentity(statement: Statement, runOptions?: RunOptions): Promise<QueryResult> {
      runOptions?.abortSignal?.throwIfAborted();
      try {
        return toResult(await pool.query(bound(statement), values(statement)));
      } catch (err) {
        throw pgErrorToHttp(err);
      }
    },
    async close() {
      await pool.end();
    },
  };
}
