/**
 * The request pipeline, one recipe for every operation:
 *   request id → verify proof (401) → map claims (403, before any database call)
 *   → operation: parse input (400/413/415/422) → session + statement (within the request's
 *     deadline: 503 FN_510 when it passes) → response
 *   → problem+json for every refusal → one audit line.
 */
import type { HttpResponseInit } from '@azure/functions';
import { writeAudit } from '../audit.js';
import { HttpError, problemResponse, ValidationError } from '../errors.js';
import { mapClaims, type SessionValues } from '../identity/claim-map.js';
import { requestIdFrom } from '../identity/request-id.js';
import type { VerifiedIdentity } from '../identity/trust-boundary.js';
import type { Handler, HandlerDeps, Operation } from './types.js';

function claimString(identity: VerifiedIdentity | null, claim: string): string | null {
  const v = identity?.claims[claim];
  return typeof v === 'string' ? v : null;
}

export function createHandler(operation: Operation, deps: HandlerDeps): Handler {
  return async (request, context) => {
    const started = performance.now();
    // the request's deadline: every database wait of this request ends by then (config.ts)
    const deadlineAt = started + deps.config.requestDeadlineMs;
    const requestId = requestIdFrom(request.headers.get('x-request-id'));
    let identity: VerifiedIdentity | null = null;
    let resourceId: string | null = null;
    let response: HttpResponseInit;
    let reason: string | null = null;
    try {
      let sessionValues: SessionValues = [];
      if (operation.requiresIdentity) {
        identity = await deps.trust.authenticate((name) => request.headers.get(name));
        sessionValues = mapClaims(identity.claims, deps.claimMap, requestId);
      }
      response = await operation.execute({
        request,
        deps,
        requestId,
        identity,
        sessionValues,
        setResourceId: (id) => {
          resourceId = id;
        },
        runOptions: () => ({ timeoutInMs: deadlineAt - performance.now() }),
      });
      response.headers = { ...(response.headers as Record<string, string> | undefined), 'x-request-id': requestId };
    } catch (err) {
      const httpError = err instanceof HttpError
        ? err
        : new HttpError('FN_500_INTERNAL', 'the request could not be completed', { reason: `unexpected:${err instanceof Error ? err.name : typeof err}`, cause: err });
      reason = httpError.reason;
      const p = problemResponse(httpError, requestId, httpError instanceof ValidationError ? httpError.errors : undefined);
      response = { status: p.status, headers: p.headers, body: p.body };
    }
    const status = response.status ?? 200;
    writeAudit(context, {
      operation: operation.name,
      resourceId,
      oid: claimString(identity, 'oid'),
      tid: claimString(identity, 'tid'),
      decision: status < 400 ? 'allowed' : 'refused',
      reason: status < 400 ? null : reason,
      status,
      requestId,
      durationMs: performance.now() - started,
      proof: identity?.source ?? null,
    });
    return response;
  };
}
