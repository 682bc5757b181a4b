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
 *
 * The deadline (`RunOptions.timeoutInMs`, the time left of the request's deadline):
 * - the pool checkout (waiting for a free connection, or connecting) ends within it;
 * - the time left after the checkout travels in the SAME round trip as the identity, as
 *   `set_config('statement_timeout', '<ms>', true)` (transaction-local, like SET LOCAL): the
 *   server cancels the statement when it passes — also while it waits for a lock — with 57014,
 *   and the whole message's implicit transaction rolls back. Since PostgreSQL 13 the timeout
 *   applies to each statement of a simple-Query message separately, so the statement after the
 *   set_config gets the new value (https://www.postgresql.org/docs/current/runtime-config-client.html#GUC-STATEMENT-TIMEOUT);
 * - the client stops waiting `pgClientGraceInMs` after that (node-pg's per-query `query_timeout`)
 *   for a server that cannot answer at all (frozen, network gone), and drops the connection.
 * Every case answers 503 FN_510_DEADLINE_EXCEEDED with Retry-After (pg-errors.ts).
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import type { SessionValues } from '../identity/claim-map.js';
import { HttpError } from '../errors.js';
import { deadlineExceeded } from './deadline.js';
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
  /** `application_name` of its connections (pg_stat_activity), e.g. to tell the health pool apart */
  applicationName?: string;
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
    ...(options.applicationName ? { application_name: options.applicationName } : {}),
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
  /**
   * `single-round-trip` only: run each statement text as a server-side prepared statement
   * (`PREPARE` once per connection, then `EXECUTE name(literals)` after the identity prelude), so
   * PostgreSQL plans it once per connection instead of once per request. Default true. Turn it off
   * behind a transaction-mode pooler that cannot keep SQL-level prepared statements (Azure's
   * built-in PgBouncer on port 6432); the session also turns it off by itself on the first
   * `26000 prepared statement does not exist` and answers that request unprepared.
   */
  preparedStatements?: boolean;
}

/** At most this many distinct statement texts are prepared per session; others run unprepared. */
export const pgMaxPreparedStatements = 64;


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

/** how long the client waits past the server's statement_timeout before it gives up on the connection */
export const pgClientGraceInMs = 1000;

/** An error the server sent (it has a SQLSTATE): the connection itself is still usable. */
function isServerError(err: unknown): boolean {
  return err instanceof pg.DatabaseError;
}

/**
 * A pool checkout that ends within `timeoutInMs` (the pool's own connectionTimeoutMillis is a
 * fixed cap; this is the request's time left). A connection that arrives after the request gave
 * up goes straight back to the pool.
 */
function checkout(pool: pg.Pool, timeoutInMs: number): Promise<pg.PoolClient> {
  if (timeoutInMs < 1) return Promise.reject(deadlineExceeded('before_query'));
  return new Promise((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      reject(deadlineExceeded('pool_checkout'));
    }, timeoutInMs);
    pool.connect((err, client, done) => {
      if (settled) {
        if (client) done(err);
        return;
      }
      settled = true;
      clearTimeout(timer);
      if (err || !client) reject(err ?? new Error('no client'));
      else resolve(client);
    });
  });
}

/** A query config with node-pg's per-query client-side timeout (not in @types/pg's QueryConfig). */
function withTimeout(text: string, queryTimeoutInMs: number, params?: unknown[]): pg.QueryConfig {
  return { text, ...(params ? { values: params } : {}), query_timeout: Math.max(1, Math.ceil(queryTimeoutInMs)) } as pg.QueryConfig;
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

  // prepared statements: a name per statement text (session-wide), the names prepared per connection
  let prepare = mode === 'single-round-trip' && options.preparedStatements !== false;
  const statementNames = new Map<string, { name: string; text: string }>();
  const preparedOn = new WeakMap<pg.PoolClient, Set<string>>();
  function preparedName(statement: Statement): { name: string; text: string } | undefined {
    const key = statement.parts.join('\u0000') + '\u0000' + statement.params.map((p) => p.type).join(',');
    let entry = statementNames.get(key);
    if (entry === undefined) {
      if (statementNames.size >= pgMaxPreparedStatements) return undefined;
      const types = statement.params.map((p) => casts[p.type].slice(2));
      const body = `${types.length ? `(${types.join(', ')})` : ''} as ${bound(statement)}`;
      // named by its text: one name is one statement on every server connection, also where a
      // pooler hands this connection's statements to another app instance
      const name = `apim_rls_${createHash('sha256').update(body).digest('hex').slice(0, 32)}`;
      entry = { name, text: `prepare ${name}${body}` };
      statementNames.set(key, entry);
    }
    return entry;
  }

  function identityPrelude(identity: SessionValues, statementTimeoutInMs?: number): string {
    let s = statementTimeoutInMs === undefined ? 'select ' : `select set_config('statement_timeout', '${statementTimeoutInMs}', true), `;
    for (const { key, value } of identity) {
      // '' for an absent key: policies read nullif(current_setting(k, true), '')
      s += `set_config(${keyLiteral(key)}, ${escapeLiteral(value ?? '')}, true), `;
    }
    return s + roleCall;
  }

  /**
   * Runs `work` on a checked-out client and gives the client back: kept when the work ended
   * well or with an error the server sent (the connection is fine), dropped otherwise (a
   * client-side timeout, a reset, an 'error' event while checked out — which, like pg-pool's own
   * `pool.query`, is listened to here so that it is never an uncaught 'error' event).
   */
  async function withClient<T>(timeoutInMs: number | undefined, work: (client: pg.PoolClient, deadlineAt: number) => Promise<T>, onFailure?: (client: pg.PoolClient) => Promise<unknown>): Promise<T> {
    const deadlineAt = timeoutInMs === undefined ? Infinity : performance.now() + timeoutInMs;
    const client = timeoutInMs === undefined ? await pool.connect() : await checkout(pool, timeoutInMs);
    let broken: Error | undefined;
    const onError = (err: Error) => {
      broken ??= err;
    };
    client.on('error', onError);
    try {
      return await work(client, deadlineAt);
    } catch (err) {
      if (!isServerError(err) && !(err instanceof HttpError)) broken ??= err instanceof Error ? err : new Error(String(err));
      if (!broken && onFailure) {
        await onFailure(client).catch((e: unknown) => {
          broken ??= e instanceof Error ? e : new Error(String(e));
        });
      }
      throw err;
    } finally {
      client.removeListener('error', onError);
      client.release(broken);
    }
  }

  /** the time left before the deadline, at least 1 ms, or the deadline error */
  function timeLeft(deadlineAt: number): number {
    const ms = Math.floor(deadlineAt - performance.now());
    if (ms < 1) throw deadlineExceeded('pool_checkout');
    return ms;
  }

  async function runSingle(identity: SessionValues, statement: Statement, timeoutInMs: number | undefined): Promise<QueryResult> {
    // a NUL would end the simple-protocol query text early; PostgreSQL text cannot hold one anyway
    for (const { value } of identity) if (value?.includes('\0')) throw nulRefused();
    for (const p of statement.params) if (typeof p.value === 'string' && p.value.includes('\0')) throw nulRefused();
    const prepared = prepare ? preparedName(statement) : undefined;
    const results = await withClient(timeoutInMs, async (client, deadlineAt) => {
      const query = async (text: string) =>
        (deadlineAt === Infinity ? await client.query(text) : await client.query(withTimeout(text, timeLeft(deadlineAt) + pgClientGraceInMs))) as unknown as pg.QueryResult[];
      const send = (body: string) => {
        const left = deadlineAt === Infinity ? undefined : timeLeft(deadlineAt);
        return query(`${identityPrelude(identity, left)};\n${body}`);
      };
      const unprepared = () => send(renderStatement(statement, (_i, p) => literal(p)));
      if (!prepared) return unprepared();
      let names = preparedOn.get(client);
      if (names === undefined) {
        names = new Set();
        preparedOn.set(client, names);
      }
      if (!names.has(prepared.name)) {
        // its own round trip, once per connection and statement, as the application role (names
        // resolved with its privileges, its RLS policies applied when the statement is rewritten);
        // PostgreSQL re-plans a cached statement by itself when the role, row_security or a
        // policy or table changes (https://www.postgresql.org/docs/current/sql-prepare.html)
        // under the request's statement_timeout too: parse analysis waits for a table lock
        const left = deadlineAt === Infinity ? undefined : timeLeft(deadlineAt);
        const prelude = left === undefined ? `select ${roleCall}` : `select set_config('statement_timeout', '${left}', true), ${roleCall}`;
        try {
          await query(`${prelude};\n${prepared.text}`);
        } catch (err) {
          // 42P05: already prepared on this server connection (the set was lost, not the statement)
          if ((err as { code?: unknown }).code !== '42P05') throw err;
        }
        names.add(prepared.name);
      }
      const args = statement.params.map(literal).join(', ');
      try {
        return await send(`execute ${prepared.name}${args ? `(${args})` : ''}`);
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        // 26000: the server connection does not hold it (a transaction-mode pooler, DISCARD ALL);
        // 0A000 "cached plan must not change result type" (a migration changed the table). The
        // message's implicit transaction rolled back as a whole: answer this request unprepared.
        if (code !== '26000' && code !== '0A000') throw err;
        names.clear();
        if (code === '26000') prepare = false;
        else await query(`deallocate ${prepared.name}`).catch(() => undefined);
        return unprepared();
      }
    });
    const last = results[results.length - 1];
    if (!last) throw new Error('no result');
    return toResult(last);
  }

  function runBound(identity: SessionValues, statement: Statement, timeoutInMs: number | undefined): Promise<QueryResult> {
    return withClient(
      timeoutInMs,
      async (client, deadlineAt) => {
        const q = (text: string, params?: unknown[]) =>
          deadlineAt === Infinity ? client.query(text, params) : client.query(withTimeout(text, timeLeft(deadlineAt) + pgClientGraceInMs, params));
        await q('BEGIN');
        const args: string[] = [];
        const calls = identity.map(({ key, value }) => {
          args.push(prefix + key, value ?? '');
          return `set_config($${args.length - 1}, $${args.length}, true)`;
        });
        args.push(options.role);
        calls.push(`set_config('role', $${args.length}, true)`);
        if (deadlineAt !== Infinity) {
          args.push(String(timeLeft(deadlineAt)));
          calls.push(`set_config('statement_timeout', $${args.length}, true)`);
        }
        await q(`select ${calls.join(', ')}`, args);
        const r = await q(bound(statement), values(statement));
        await q('COMMIT');
        return toResult(r);
      },
      // a failed transaction is rolled back; after a client-side timeout the connection is dropped instead
      (client) => client.query('ROLLBACK'),
    );
  }

  async function runPlain(statement: Statement, timeoutInMs: number | undefined): Promise<QueryResult> {
    if (timeoutInMs === undefined) return toResult(await pool.query(bound(statement), values(statement)));
    // one extended-protocol statement has no room for a statement_timeout: the client bounds it
    return withClient(timeoutInMs, async (client, deadlineAt) => toResult(await client.query(withTimeout(bound(statement), timeLeft(deadlineAt), values(statement)))));
  }

  return {
    dialect: 'postgres',
    async run(identity: SessionValues, statement: Statement, runOptions?: RunOptions): Promise<QueryResult> {
      runOptions?.abortSignal?.throwIfAborted();
      try {
        const timeoutInMs = runOptions?.timeoutInMs;
        return mode === 'bound' ? await runBound(identity, statement, timeoutInMs) : await runSingle(identity, statement, timeoutInMs);
      } catch (err) {
        throw pgErrorToHttp(err);
      }
    },
    async runWithoutIdentity(statement: Statement, runOptions?: RunOptions): Promise<QueryResult> {
      runOptions?.abortSignal?.throwIfAborted();
      try {
        return await runPlain(statement, runOptions?.timeoutInMs);
      } catch (err) {
        throw pgErrorToHttp(err);
      }
    },
    async close() {
      await pool.end();
    },
  };
}
