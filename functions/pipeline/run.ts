/**
 * The request pipeline, one recipe for every operation:
 *   request id, request span (trace.ts) → verify proof (401) → map claims (403, before any database call)
 *   → operation: parse input (400/413/415/422) → session + statement (within the request's
 *     deadline: 503 FN_510 when it passes) → response
 *   → problem+json for every refusal → one audit line (request id and trace id) → the span ends.
 */
import type { HttpResponseInit } from '@azure/functions';
import { writeAudit } from '../audit.js';
import { HttpError, problemResponse, ValidationError } from '../errors.js';
import { mapClaims, type SessionValues } from '../identity/claim-map.js';
import { requestIdFrom } from '../identity/request-id.js';
import type { VerifiedIdentity } from '../identity/trust-boundary.js';
import { defaultTracer, endRequestSpan, startRequestSpan, withContext } from './trace.js';
import type { Handler, HandlerDeps, Operation } from './types.js';

function claimString(identity: VerifiedIdentity | null, claim: string): string | null {
  const v = identity?.claims[claim];
  return typeof v === 'string' ? v : null;
}

export function createHandler(operation: Operation, deps: HandlerDeps): Handler {
  const tracer = deps.tracer ?? defaultTracer();
  const spanName = `${operation.method} /api/${operation.route}`;
  return async (request, context) => {
    const started = performance.now();
    // the request's deadline: every database wait of this request ends by then (config.ts)
    const deadlineAt = started + deps.config.requestDeadlineMs;
    const requestId = requestIdFrom(request.headers.get('x-request-id'));
    // the request span, a child of the host's trace context; its trace id is the trace_id session key
    const { span, context: spanContext, traceId } = startRequestSpan(tracer, spanName, context.traceContext, {
      'faas.trigger': 'http',
      'faas.invocation_id': context.invocationId,
      'http.request.method': operation.method,
      'http.route': `/api/${operation.route}`,
      'apim_rls.operation': operation.name,
      'apim_rls.request_id': requestId,
    });
    let identity: VerifiedIdentity | null = null;
    let resourceId: string | null = null;
    let response: HttpResponseInit;
    let reason: string | null = null;
    try {
      let sessionValues: SessionValues = [];
      if (operation.requiresIdentity) {
        identity = await deps.trust.authenticate((name) => request.headers.get(name));
        // oid and tid only: no other claim value enters a span
        const oid = claimString(identity, 'oid');
        const tid = claimString(identity, 'tid');
        if (oid !== null) span.setAttribute('enduser.id', oid.slice(0, 128));
        if (tid !== null) span.setAttribute('apim_rls.tenant_id', tid.slice(0, 128));
        sessionValues = mapClaims(identity.claims, deps.claimMap, requestId, traceId ?? undefined);
      }
      response = await withContext(spanContext, () => operation.execute({
        request,
        deps,
        requestId,
        identity,
        sessionValues,
        setResourceId: (id) => {
          resourceId = id;
        },
        runOptions: () => ({ timeoutInMs: deadlineAt - performance.now() }),
      }));
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
      traceId,
      durationMs: performance.now() - started,
      proof: identity?.source ?? null,
    });
    endRequestSpan(span, status, status < 400 ? null : reason);
    return response;
  };
}
