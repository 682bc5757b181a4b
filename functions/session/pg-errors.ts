/**
 * PostgreSQL error → HTTP error. Only the SQLSTATE is read; the database's message never reaches
 * the response (it can hold values the caller may not see).
 */
import { HttpError } from '../errors.js';

const unavailable = new Set(['57P01', '57P02', '57P03', '53300', '53400', '08000', '08003', '08006', '08001', '08004', '40001', '40P01', '55P03', '57014']);
// 22021 character_not_in_repertoire, 22P05 untranslatable_character: a value the database cannot hold
// (https://www.postgresql.org/docs/current/errcodes-appendix.html) is the caller's input, so 400
const networkCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

export function pgErrorToHttp(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  const code = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
  if (code === '42501') return new HttpError('FN_300_FORBIDDEN_BY_POLICY', undefined, { reason: 'rls_blocked', cause: err });
  if (code === '23505' || code === '23503') return new HttpError('FN_301_CONFLICT', 'the change conflicts with existing data', { reason: `conflict:${code}`, cause: err });
  if (code === '23514' || code === '23502' || code === '22001' || code === '22003' || code === '22P02' || code === '22021' || code === '22P05') {
    return new HttpError('FN_100_BAD_REQUEST', 'the database refused a value', { reason: `bad_value:${code}`, cause: err });
  }
  if (unavailable.has(code) || networkCodes.has(code) || code.startsWith('08') || isConnectionFailure(err)) {
    return new HttpError('FN_503_UNAVAILABLE', undefined, { reason: `db_unavailable:${code || 'connection'}`, retryAfterSeconds: 5, cause: err });
  }
  return new HttpError('FN_500_INTERNAL', 'the request could not be completed', { reason: `db_error:${code || 'unknown'}`, cause: err });
}

function isConnectionFailure(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connect ECONNREFUSED/i.test(err.message);
}
