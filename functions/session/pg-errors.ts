/**
 * PostgreSQL error → HTTP error. Only the SQLSTATE is read; the database's message never reaches
 * the response (it can hold values the caller may not see).
 *
 * SQLSTATEs: https://www.postgresql.org/docs/current/errcodes-appendix.html
 * - 57014 query_canceled: the request's `statement_timeout` passed (or a DBA cancelled it);
 *   55P03 lock_not_available: a `lock_timeout` passed. Both end the statement's transaction
 *   with nothing written → 503 FN_510_DEADLINE_EXCEEDED, Retry-After.
 * - 57P01–57P03, 53300, 53400, class 08, 40001, 40P01 and network errors: the server is going
 *   away, full or unreachable → 503 FN_503_UNAVAILABLE, Retry-After.
 */
import { HttpError } from '../errors.js';
import { deadlineExceeded } from './deadline.js';

/** seconds, for FN_503: long enough for a restart or failover to finish, short enough for a caller to wait */
export const pgRetryAfterSeconds = 5;

const unavailable = new Set(['57P01', '57P02', '57P03', '53300', '53400', '08000', '08003', '08006', '08001', '08004', '40001', '40P01']);
const deadline = new Set(['57014', '55P03']);
const networkCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

export function pgErrorToHttp(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  const code = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
  if (code === '42501') return new HttpError('FN_300_FORBIDDEN_BY_POLICY', undefined, { reason: 'rls_blocked', cause: err });
  if (code === '23505' || code === '23503') return new HttpError('FN_301_CONFLICT', 'the change conflicts with existing data', { reason: `conflict:${code}`, cause: err });
  // 22021 character_not_in_repertoire, 22P05 untranslatable_character: a value the database cannot hold is the caller's input
  if (code === '23514' || code === '23502' || code === '22001' || code === '22003' || code === '22P02' || code === '22021' || code === '22P05') {
    return new HttpError('FN_100_BAD_REQUEST', 'the database refused a value', { reason: `bad_value:${code}`, cause: err });
  }
  if (deadline.has(code)) return deadlineExceeded(code, err);
  // node-pg's query_timeout: the server did not answer at all (its own statement_timeout would have)
  if (err instanceof Error && err.message === 'Query read timeout') {
    return deadlineExceeded('client_timeout', err, 'the database did not answer within the request deadline; a write may or may not have been applied');
  }
  // pg-pool's connectionTimeoutMillis: no connection could be checked out (pool busy, or connect hangs)
  if (err instanceof Error && err.message === 'timeout exceeded when trying to connect') return deadlineExceeded('pool_checkout', err);
  if (unavailable.has(code) || networkCodes.has(code) || code.startsWith('08') || isConnectionFailure(err)) {
    return new HttpError('FN_503_UNAVAILABLE', undefined, { reason: `db_unavailable:${code || 'connection'}`, retryAfterSeconds: pgRetryAfterSeconds, cause: err });
  }
  return new HttpError('FN_500_INTERNAL', 'the request could not be completed', { reason: `db_error:${code || 'unknown'}`, cause: err });
}

function isConnectionFailure(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return /Connection terminated|Client has encountered a connection error|connect ECONNREFUSED/i.test(err.message);
}
