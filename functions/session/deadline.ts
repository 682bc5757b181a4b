/**
 * The deadline error every driver answers with when the request's time is up (pool checkout,
 * connect, statement, lock wait, a server that does not answer): 503 FN_510_DEADLINE_EXCEEDED
 * with Retry-After. `stage` names where it passed, for the audit line (`deadline:<stage>`).
 */
import { HttpError } from '../errors.js';

/** seconds: the wait was the caller's whole deadline; a short pause before the retry is enough */
export const deadlineRetryAfterSeconds = 5;

export function deadlineExceeded(stage: string, cause?: unknown, detail = 'the database did not answer within the request deadline; nothing was changed'): HttpError {
  return new HttpError('FN_510_DEADLINE_EXCEEDED', detail, {
    reason: `deadline:${stage}`,
    retryAfterSeconds: deadlineRetryAfterSeconds,
    ...(cause === undefined ? {} : { cause }),
  });
}
