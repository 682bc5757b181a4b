/**
 * The Azure SQL driver (`mssql` over tedious), authenticated with a managed identity: the pool
 * uses `authentication: { type: 'token-credential', options: { credential } }` with ONE shared
 * `@azure/identity` credential, created at the entry and passed in (never created here), so tokens
 * are cached and refreshed as pooled logins need them. No password, no static access token.
 *
 * One request = ONE batch: every mapped session key is set with `sp_set_session_context`, key and
 * value bound as parameters, followed by the statement, in the same batch (no extra round trip).
 *
 * No-leak strategy — overwrite every key on every request:
 *   `mssql`'s pool never resets a connection between uses (no sp_reset_connection on release),
 *   so SESSION_CONTEXT set for one caller is still there for the next one. Resetting on release
 *   would cost a round trip per request and is not offered by the pool; instead each batch
 *   writes EVERY key of the claim map, with NULL when the caller has no such claim, before its
 *   statement runs. A caller's batch therefore never sees a value it did not set itself.
 *   `@read_only = 0` is deliberate: a key set with `@read_only = 1` cannot be changed again on
 *   that connection, so the next request reusing it fails with error 15664 ("cannot set key ...
 *   because it is read-only") — every pooled connection would break after one use. The risk
 *   read_only=1 guards against (later SQL in the same batch rewriting identity) does not exist
 *   here: the rest of the batch is this app's fixed statement text, with caller input only ever
 *   in bound parameters.
 *
 * Acquiring a connection costs no `SELECT 1`: `validateConnection: 'socket'` checks the socket
 * state only.
 *
 * Errors: 33504 (block predicate) → 403; transient errors → bounded retry with exponential
 * backoff, then 503 with Retry-After — but only what is safe to repeat (no double write):
 * - the transient numbers are Microsoft's list for Azure SQL: 40613, 40197, 40501, 40540, 40143,
 *   49918–49920, 4060, 4221, 10928, 10929, 1205 (deadlock victim), 42108/42109 (serverless pool
 *   paused / warming up) — SqlClient's baseline transient errors,
 *   https://learn.microsoft.com/dotnet/api/microsoft.data.sqlclient.sqlconfigurableretryfactory
 *   and https://learn.microsoft.com/azure/azure-sql/database/troubleshoot-common-connectivity-issues;
 *   the driver codes ETIMEOUT, ECONNRESET, ESOCKET, ECONNCLOSED, ENOTOPEN are the connection's.
 * - tedious itself already retries a login that fails with 4060, 10928, 10929, 40197, 40501 or
 *   40613 (`connectionRetryInterval`, `maxRetriesOnTransientErrors`: tedious
 *   src/transient-error-lookup.ts and src/connection.ts `isTransientError`), so these numbers
 *   reach this driver at sign-in only once tedious has given up.
 * - A statement marked `repeatable` (a read, or a write made idempotent — the orders create,
 *   keyed by the request id) is retried after any transient error.
 * - Any other statement (update, delete) is retried only when the error proves the batch was
 *   never sent: an `mssql` ConnectionError, which mssql raises only while acquiring a connection
 *   from the pool (node-mssql lib/base/connection-pool.js `acquire`/`_acquire`; once a
 *   connection is acquired every failure is a RequestError, lib/tedious/request.js). After a
 *   RequestError — the batch may have committed before the timeout or the reset — it is not
 *   repeated: 503 `db_outcome_unknown:<code>`, whose detail says the change may have been made.
 *
 * The deadline (`RunOptions.timeoutInMs`, the time left of the request's deadline):
 * - each batch is sent with the time left as its own `requestTimeout` (mssql's per-request
 *   override `pool.request({ requestTimeout })`, https://github.com/tediousjs/node-mssql#request,
 *   which tedious applies with `Request.setTimeout`); when it passes, tedious cancels the request
 *   (a TDS ATTENTION) and fails it with RequestError ETIMEOUT. tedious documents that this timer
 *   "is cleared as soon as a response is received" (`options.requestTimeout`,
 *   https://tediousjs.github.io/tedious/api-connection.html), so a response to the prelude could
 *   disarm it — hence the second bound:
 * - the caller stops waiting `mssqlClientGraceInMs` after the time left in any case (a batch
 *   whose timer was cleared, a pool acquire or a connect that hangs) and calls
 *   `request.cancel()`: before the batch was sent, mssql never sends it (ECANCEL); while it
 *   runs, it is an ATTENTION — "cancel operations ... implementing data access driver
 *   time-outs" (https://learn.microsoft.com/sql/relational-databases/event-classes/attention-event-class).
 *   The server stops the batch; the statement it was running is rolled back whole (each
 *   statement here runs in autocommit: one INSERT/UPDATE/DELETE/SELECT after the
 *   session-context prelude, never an explicit transaction — an open transaction would survive
 *   an attention unless XACT_ABORT is ON:
 *   https://learn.microsoft.com/sql/connect/oledb/ole-db-interfaces/issabort-abort-ole-db);
 * - a retry is only started when the time left covers its backoff; a request timeout or a
 *   cancel is never retried (the deadline has passed).
 * All answer 503 FN_510_DEADLINE_EXCEEDED with Retry-After. The pools' config carries the
 * deadline as `requestTimeout` and `pool.acquireTimeoutMillis` too (mssql's defaults: 15 s, and
 * tarn's acquire timeout), so a request without options is bounded as well.
 */
import sql from 'mssql';
import { HttpError } from '../errors.js';
import { deadlineExceeded } from './deadline.js';
import type { SessionValues } from '../identity/claim-map.js';
import { renderStatement, type SqlParam, type Statement } from './statement.js';
import type { IdentitySession, QueryResult, RunOptions } from './types.js';

/** What this driver needs from a `mssql.Request` (the test seam). */
export interface MssqlRequestLike {
  input(name: string, type: unknown, value: unknown): unknown;
  query(command: string): Promise<{ recordset?: readonly Record<string, unknown>[]; rowsAffected: number[] }>;
  /** mssql's `Request.cancel()`: an ATTENTION to the server, or the batch never sent */
  cancel?(): unknown;
}
/** What this driver needs from a `mssql.ConnectionPool` (the test seam). */
export interface MssqlPoolLike {
  /** `overrides.requestTimeout`: this request's timeout in ms (mssql ≥ 12) */
  request(overrides?: { requestTimeout?: number }): MssqlRequestLike;
  close(): Promise<unknown>;
  /** a real ConnectionPool: when not connected (start-up failed, or lost), the driver connects first */
  readonly connected?: boolean;
  connect?(): Promise<unknown>;
}

export interface TokenCredentialLike {
  getToken(scopes: string | string[], options?: unknown): Promise<{ token: string; expiresOnTimestamp: number } | null>;
}

export interface MssqlPoolConfigOptions {
  server: string;
  database: string;
  /** the ONE shared credential (DefaultAzureCredential or ManagedIdentityCredential) */
  credential: TokenCredentialLike;
  max: number;
  port?: number;
  /** the request deadline: each batch's default timeout, and the bound of a pool acquire; default 15000 (mssql's) */
  requestTimeoutInMs?: number;
}

/** The pool configuration: managed identity through the shared credential, no SELECT 1 on acquire. */
export function buildMssqlPoolConfig(options: MssqlPoolConfigOptions): sql.config {
  return {
    server: options.server,
    database: options.database,
    port: options.port ?? 1433,
    authentication: { type: 'token-credential', options: { credential: options.credential } } as sql.config['authentication'],
    options: { encrypt: true, trustServerCertificate: false },
    requestTimeout: options.requestTimeoutInMs ?? 15_000,
    pool: { max: options.max, min: 0, idleTimeoutMillis: 30_000, acquireTimeoutMillis: options.requestTimeoutInMs ?? 15_000 },
    validateConnection: 'socket',
  };
}

/** `mssql://server.database.windows.net/db` → server and database. */
export function parseMssqlUrl(url: string): { server: string; database: string; port?: number } {
  const u = new URL(url);
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (u.protocol !== 'mssql:' || !u.hostname || !database) {
    throw new TypeError('an Azure SQL database URL has the form mssql://SERVER.database.windows.net/DATABASE');
  }
  if (u.username || u.password) throw new TypeError('an Azure SQL database URL must not hold a user or password (managed identity only)');
  return u.port ? { server: u.hostname, database, port: Number(u.port) } : { server: u.hostname, database };
}

/** Microsoft's transient error numbers for Azure SQL (see the module comment for the sources). */
export const mssqlTransientErrorNumbers: ReadonlySet<number> = new Set([
  40613, 40197, 40501, 40540, 40143, 49918, 49919, 49920, 4060, 4221, 10928, 10929, 1205, 42108, 42109,
]);
export const mssqlTransientErrorCodes: ReadonlySet<string> = new Set(['ETIMEOUT', 'ECONNRESET', 'ESOCKET', 'ECONNCLOSED', 'ENOTOPEN']);
export const mssqlBlockPredicateError = 33504;
/** how long the caller waits past a batch's requestTimeout before it cancels and answers */
export const mssqlClientGraceInMs = 1000;

/** Settles as `p`, or — `ms` later — calls `onLate` and rejects with the deadline error. */
function within<T>(p: Promise<T>, ms: number, stage: string, onLate?: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      onLate?.();
      reject(deadlineExceeded(stage));
    }, ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

export interface MssqlSessionOptions {
  pool: MssqlPoolLike;
  /** EVERY session key of the claim map: each batch overwrites all of them (NULL when absent) */
  sessionKeys: readonly string[];
  /** retries after the first attempt; default 3 */
  maxRetries?: number;
  /** first backoff, doubled per retry; default 100 */
  retryDelayInMs?: number;
  /** Retry-After on the final 503, seconds; default 10 */
  retryAfterSeconds?: number;
  /** test seam */
  sleep?: (ms: number) => Promise<void>;
}

function errorNumber(err: unknown): number | undefined {
  const e = err as { number?: unknown; originalError?: { number?: unknown; info?: { number?: unknown } } } | null;
  const n = e?.number ?? e?.originalError?.number ?? e?.originalError?.info?.number;
  return typeof n === 'number' ? n : undefined;
}

function errorCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; originalError?: { code?: unknown } } | null;
  const c = e?.code ?? e?.originalError?.code;
  return typeof c === 'string' ? c : undefined;
}

/**
 * The batch was never sent: mssql raises a ConnectionError only while acquiring a connection
 * (pool connect, login, ENOTOPEN), never once the request runs on one.
 */
export function neverSent(err: unknown): boolean {
  return (err as { name?: unknown } | null)?.name === 'ConnectionError';
}

export function isTransientMssqlError(err: unknown): boolean {
  const n = errorNumber(err);
  if (n !== undefined && mssqlTransientErrorNumbers.has(n)) return true;
  const c = errorCode(err);
  return c !== undefined && mssqlTransientErrorCodes.has(c);
}

/** A non-transient mssql error → HTTP error (the message never reaches the response). */
export function mssqlErrorToHttp(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  const n = errorNumber(err);
  if (n === mssqlBlockPredicateError) return new HttpError('FN_300_FORBIDDEN_BY_POLICY', undefined, { reason: 'rls_blocked', cause: err });
  if (n === 2627 || n === 2601 || n === 547) return new HttpError('FN_301_CONFLICT', 'the change conflicts with existing data', { reason: `conflict:${n}`, cause: err });
  if (n === 8115 || n === 245 || n === 8152 || n === 2628) return new HttpError('FN_100_BAD_REQUEST', 'the database refused a value', { reason: `bad_value:${n}`, cause: err });
  // the managed identity could not log in: not the caller's fault, and not worth retrying at once
  if (errorCode(err) === 'ELOGIN') return new HttpError('FN_503_UNAVAILABLE', undefined, { reason: 'db_login_failed', retryAfterSeconds: 30, cause: err });
  return new HttpError('FN_500_INTERNAL', 'the request could not be completed', { reason: `db_error:${n ?? errorCode(err) ?? 'unknown'}`, cause: err });
}

const types = {
  text: () => sql.NVarChar(4000),
  int: () => sql.Int,
  bigint: () => sql.BigInt,
} satisfies Record<SqlParam['type'], () => unknown>;

/** The batch prelude for `keyCount` session keys: `@k0`/`@v0`... are bound inputs. */
export function buildMssqlPrelude(keyCount: number): string {
  let batch = '';
  for (let i = 0; i < keyCount; i++) {
    batch += `EXEC sp_set_session_context @key = @k${i}, @value = @v${i}, @read_only = 0;\n`;
  }
  return batch;
}

export function createMssqlSession(options: MssqlSessionOptions): IdentitySession {
  const { pool } = options;
  const maxRetries = options.maxRetries ?? 3;
  const retryDelayInMs = options.retryDelayInMs ?? 100;
  const retryAfterSeconds = options.retryAfterSeconds ?? 10;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const keys = [...options.sessionKeys];
  const keyIndex = new Map(keys.map((k, i) => [k, i]));
  if (keyIndex.size !== keys.length || keys.some((k) => !/^[a-z_][a-z0-9_]{0,127}$/.test(k))) {
    throw new TypeError('mssql session: sessionKeys must be distinct lower-case identifiers');
  }
  // computed once: the same prelude, overwriting every key, starts every batch
  const prelude = buildMssqlPrelude(keys.length);
  let connecting: Promise<unknown> | null = null;
  // single flight: concurrent requests share one connect; a failed connect is retried by the next attempt
  const ensureConnected = async (): Promise<void> => {
    if (!pool.connect || pool.connected !== false) return;
    connecting ??= pool.connect().finally(() => {
      connecting = null;
    });
    await connecting;
  };

  async function once(identity: SessionValues, statement: Statement, deadlineAt: number): Promise<QueryResult> {
    const values: (string | null)[] = keys.map(() => null);
    for (const { key, value } of identity) {
      const i = keyIndex.get(key);
      if (i === undefined) throw new TypeError(`mssql session: "${key}" is not a declared session key`);
      values[i] = value;
    }
    const bounded = deadlineAt !== Infinity;
    if (bounded) await within(ensureConnected(), Math.max(1, deadlineAt - performance.now()), 'connect');
    else await ensureConnected();
    const left = bounded ? Math.floor(deadlineAt - performance.now()) : 0;
    if (bounded && left < 1) throw deadlineExceeded('before_query');
    const request = bounded ? pool.request({ requestTimeout: left }) : pool.request();
    for (let i = 0; i < keys.length; i++) {
      request.input(`k${i}`, sql.NVarChar(128), keys[i]);
      request.input(`v${i}`, sql.NVarChar(4000), values[i]);
    }
    statement.params.forEach((p, i) => request.input(`a${i}`, types[p.type](), p.value));
    const running = request.query(prelude + renderStatement(statement, (i) => `@a${i}`));
    const r = bounded ? await within(running, left + mssqlClientGraceInMs, 'cancel', () => request.cancel?.()) : await running;
    const rows = r.recordset ?? [];
    return { rows, rowCount: r.recordset ? rows.length : (r.rowsAffected[r.rowsAffected.length - 1] ?? 0) };
  }

  async function withRetry(identity: SessionValues, statement: Statement, runOptions?: RunOptions): Promise<QueryResult> {
    const deadlineAt = runOptions?.timeoutInMs === undefined ? Infinity : performance.now() + runOptions.timeoutInMs;
    for (let attempt = 0; ; attempt++) {
      runOptions?.abortSignal?.throwIfAborted();
      try {
        return await once(identity, statement, deadlineAt);
      } catch (err) {
        if (err instanceof HttpError) throw err;
        // the batch's own requestTimeout is the deadline; a cancel is only ever the deadline's
        const code = errorCode(err);
        if (deadlineAt !== Infinity && (code === 'ECANCEL' || (code === 'ETIMEOUT' && (err as Error).name === 'RequestError'))) throw deadlineExceeded(code, err);
        if (!isTransientMssqlError(err)) throw mssqlErrorToHttp(err);
        if (statement.repeatable !== true && !neverSent(err)) {
          throw new HttpError('FN_503_UNAVAILABLE', 'the database connection failed while the change was being made; it may or may not have been applied: read it before repeating the request', {
            reason: `db_outcome_unknown:${errorNumber(err) ?? errorCode(err) ?? 'transient'}`,
            retryAfterSeconds,
            cause: err,
          });
        }
        const delay = retryDelayInMs * 2 ** attempt;
        if (attempt >= maxRetries || deadlineAt - performance.now() <= delay) {
          throw new HttpError('FN_503_UNAVAILABLE', undefined, {
            reason: `db_unavailable:${errorNumber(err) ?? errorCode(err) ?? 'transient'}`,
            retryAfterSeconds,
            cause: err,
          });
        }
        await sleep(delay);
      }
    }
  }

  return {
    dialect: 'mssql',
    run: (identity, statement, runOptions) => withRetry(identity, statement, runOptions),
    runWithoutIdentity: (statement, runOptions) => withRetry([], statement, runOptions),
    async close() {
      await pool.close();
    },
  };
}
