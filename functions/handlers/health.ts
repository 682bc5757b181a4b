/** GET /api/health — liveness and database reachability; no caller identity read or needed. */
import { HttpError } from '../errors.js';
import { json } from '../pipeline/respond.js';
import type { Operation } from '../pipeline/types.js';

export const health: Operation = {
  name: 'health',
  method: 'GET',
  route: 'health',
  requiresIdentity: false,
  async execute({ deps }) {
    const started = performance.now();
    try {
      await deps.session.runWithoutIdentity(deps.queries.ping(), { abortSignal: AbortSignal.timeout(5000) });
    } catch (err) {
      const reason = err instanceof HttpError ? err.reason : 'db_unreachable';
      throw new HttpError('FN_503_UNAVAILABLE', 'the database is not reachable', { reason, retryAfterSeconds: 5, cause: err });
    }
    return json(200, { status: 'ok', database: { reachable: true, dialect: deps.session.dialect, latencyMs: Math.round(performance.now() - started) } });
  },
};
