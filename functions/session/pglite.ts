/**
 * The embedded driver (PGlite, the local stack's database). PGlite runs in this process and
 * serialises every query, so a "round trip" costs no network: each request is one transaction
 * (`db.transaction`), the claims and the role in ONE bound statement
 * (`select set_config($1, $2, true), ..., set_config('role', $n, true)`), then the statement
 * with its values bound. Transaction-local settings end with the transaction: nothing survives.
 * PGlite's default user is a superuser (bypasses RLS): the role switch is what makes RLS apply.
 *
 * Tracing: OpenTelemetry has no PGlite instrumentation, so each query call gets a client span
 * here (a child of the active span — the request's), named and attributed as the pg
 * instrumentation names its own: `db.system.name`, and `db.query.text` holding the statement with
 * its `$n` placeholders — never a bound value. A failure records the SQLSTATE only.
 */
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
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

/** One query call in a client span (the text has placeholders only; the values travel apart). */
async function traced(text: string, call: () => Promise<PGliteResult>): Promise<PGliteResult> {
  const verb = /^\s*(\w+)/.exec(text)?.[1]?.toUpperCase() ?? 'QUERY';
  // the global tracer provider's tracer at the time of the call, as defaultTracer() in
  // functions/pipeline/trace.ts: one taken at import would keep the provider registered then
  const span = trace.getTracer('apim-rls-pglite').startSpan(`pglite.query:${verb}`, { kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'postgresql', 'db.query.text': text } });
  try {
    return await call();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) span.setAttribute('error.type', code);
    span.setStatus({ code: SpanStatusCode.ERROR });
    throw err;
  } finally {
    span.end();
  }
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
          const preludeText = prelude(identity.length);
          await traced(preludeText, () => tx.query(preludeText, args));
          const text = bound(statement);
          return toResult(await traced(text, () => tx.query(text, statement.params.map((p) => p.value))));
        });
      } catch (err) {
        throw pgErrorToHttp(err);
      }
    },
    async runWithoutIdentity(statement: Statement, runOptions?: RunOptions): Promise<QueryResult> {
      runOptions?.abortSignal?.throwIfAborted();
      try {
        const text = bound(statement);
        return toResult(await traced(text, () => db.query(text, statement.params.map((p) => p.value))));
      } catch (err) {
        throw pgErrorToHttp(err);
      }
    },
    async close() {
      if (options.closeDatabase) await db.close();
    },
  };
}
