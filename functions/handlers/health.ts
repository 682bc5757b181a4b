/**
 * GET /api/health — liveness and database reachability; no caller identity read or needed.
 *
 * The check is bounded as a whole — checkout, connect and the query itself — by
 * `healthTimeoutInMs` (or the request's deadline, if shorter), passed to the driver as
 * `timeoutInMs`; past it: 503 with Retry-After, never a wait. On a server database it runs on
 * its own pool of one connection (`deps.healthSession`): a request pool whose connections are
 * all busy says nothing about the database's health, and probes (platform health checks, a
 * monitor, a flood of unauthenticated calls) never take a connection from requests.
 */
import { HttpError } from '../errors.js';
import { json } from '../pipeline/respond.js';
import type { Operation } from '../pipeline/types.js';

export const healthTimeoutInMs = 5000;

export const health: Operation = {
  name: 'health',
  method: 'GET',
  route: 'health',
  requiresIdentity: false,
  async execute({ deps, runOptions }) {
    const started = performance.now();
    const session = deps.healthSession ?? deps.session;
    const timeoutInMs = Math.min(healthTimeoutInMs, runOptions().timeoutInMs ?? healthTimeoutInMs);
    try {
      await session.runWithoutIdentity(deps.queries.ping(), { timeoutInMs });
    } catch (err) {
      const reason = err instanceof HttpError ? err.reason : 'db_unreachable';
      throw new HttpError('FN_503_UNAVAILABLE', 'the database is not reachable', { reason, retryAfterSeconds: 5, cause: err });
    }
    return json(200, { status: 'ok', database: { reachable: true, dialect: session.dialect, latencyMs: Math.round(performance.now() - started) } });
  },
};
