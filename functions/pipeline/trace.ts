/**
 * The request span of one invocation, created from the trace context the Functions host hands
 * the worker (`InvocationContext.traceContext`, @azure/functions 4.x: "TraceContext information
 * to enable distributed tracing scenarios"). The host fills it with its own request activity
 * (`Traceparent = Activity.Current?.Id`, azure-functions-host
 * src/WebJobs.Script/Description/Workers/WorkerFunctionInvoker.cs), which continues the incoming
 * W3C `traceparent` — so the function's span joins the gateway's trace.
 *
 * Through the OpenTelemetry API only: with no SDK registered (a library user, a test) the tracer
 * is a no-op whose span carries the parent's context, so the trace id still reaches the
 * `trace_id` session key; the app's entry registers the SDK (functions/telemetry/start.ts).
 * The extraction uses OpenTelemetry's W3C propagator directly (never the global one, which is a
 * no-op until an SDK registers it).
 *
 * Span attributes are named fields only: operation, route, method, invocation id, request id,
 * status, and the caller's oid/tid once proven — never a token, a header value, another claim or
 * a bound value.
 */
import { context as otelContext, defaultTextMapGetter, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { TraceContext } from '@azure/functions';
import { isValidTraceId, maxTraceparentLength, maxTracestateLength } from '../../policies/emulator/trace-context.js';

const propagator = new W3CTraceContextPropagator();

/** The instrumentation scope name of the app's spans. */
export const tracerName = 'apim-rls-functions';

/** The parent context from the host's trace context; the root context when it has none (or an invalid one). */
export function invocationParent(traceContext: TraceContext | undefined): Context {
  const traceparent = traceContext?.traceParent;
  if (typeof traceparent !== 'string' || traceparent.length === 0 || traceparent.length > maxTraceparentLength) return ROOT_CONTEXT;
  const carrier: Record<string, string> = { traceparent };
  const tracestate = traceContext?.traceState;
  if (typeof tracestate === 'string' && tracestate.length > 0 && tracestate.length <= maxTracestateLength) carrier.tracestate = tracestate;
  return propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter);
}

/** The span's trace id when it is a valid W3C trace id (32 lower-case hex digits, not all zero), else null. */
export function traceIdOf(span: Span): string | null {
  const id = span.spanContext().traceId;
  return isValidTraceId(id) ? id : null;
}

export interface RequestSpan {
  span: Span;
  /** the parent context with this span in it: run the request's work in it so database spans are its children */
  context: Context;
  traceId: string | null;
}

export function startRequestSpan(tracer: Tracer, name: string, traceContext: TraceContext | undefined, attributes: Record<string, string>): RequestSpan {
  const parent = invocationParent(traceContext);
  const span = tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, parent);
  return { span, context: trace.setSpan(parent, span), traceId: traceIdOf(span) };
}

/** Ends the span with the response status (5xx: an error; the reason code, never a message). */
export function endRequestSpan(span: Span, status: number, reason: string | null): void {
  span.setAttribute('http.response.status_code', status);
  if (reason !== null) span.setAttribute('apim_rls.reason', reason);
  if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
}

/** Runs `fn` with `ctx` active (the database instrumentations read the active context). */
export function withContext<T>(ctx: Context, fn: () => Promise<T>): Promise<T> {
  return otelContext.with(ctx, fn);
}

export function defaultTracer(): Tracer {
  return trace.getTracer(tracerName);
}
