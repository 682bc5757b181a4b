/**
 * validate-jwt's signature check overlapping the steps after it.
 *
 * The signature is checked on the thread pool. Once every other check of the token has passed,
 * validate-jwt does not wait for it: it leaves a pending check on the run, and the steps after it
 * run meanwhile as long as they are pure — they change only the run itself (headers, variables,
 * URL, body, trace), never anything outside it. Before the first step with an effect outside
 * the run (a backend call, a counter, a token fetch), at the end of a section and before a
 * response or failure leaves, the run waits for the signature. A bad signature puts the run
 * back exactly as it was when validate-jwt ran and fails there, so what callers, backends and
 * counters see is the same as if validate-jwt had waited.
 *
 * The check can also start earlier: when the steps ahead of validate-jwt in inbound only set or
 * delete other request headers, its token is the one the request arrived with, so its check
 * starts before the run is even set up (when the keys are cached: no I/O for a request a later
 * step might refuse). validate-jwt takes that check when it reads the same token, else starts
 * its own.
 */
import type { PolicyFailure, Run, Step } from './compile.js';
import type { ResponseState } from './context.js';
import type { JwtValidationInProgress } from './jwt/validate.js';

/** The failure of a check that is still under way, or null when it passed. */
export interface PendingFailure {
  reason: string;
  message: string;
}

interface Checkpoint {
  method: string;
  urlBase: URL;
  urlPath: string;
  query: [string, string[]][];
  headers: [string, string[]][];
  body: Uint8Array;
  variables: [string, unknown][];
  response: ResponseState;
  status: number;
  statusReason: string;
  responseHeaders: [string, string[]][];
  responseBody: Uint8Array;
  trace: number;
  metrics: number;
  backendCalls: number;
  limitHeaders: Record<string, string> | null;
  corsHeaders: Record<string, string> | null;
}

export interface PendingCheck {
  readonly outcome: Promise<PendingFailure | null>;
  /** Builds the policy's failure (after the run is put back, so its message sees that state). */
  readonly fail: (failure: PendingFailure) => PolicyFailure;
  readonly at: Run['step'];
  readonly checkpoint: Checkpoint;
}

function checkpoint(run: Run): Checkpoint {
  const req = run.context.request;
  const res = run.context.response;
  return {
    method: req.method,
    urlBase: req.url.base,
    urlPath: req.url.path,
    query: req.url.query.entries(),
    headers: req.headers.entries(),
    body: req.body.bytes,
    variables: [...run.context.variables.map],
    response: res,
    status: res.statusCode,
    statusReason: res.statusReason,
    responseHeaders: res.headers.entries(),
    responseBody: res.body.bytes,
    trace: run.trace.length,
    metrics: run.metrics.length,
    backendCalls: run.backendCalls.length,
    limitHeaders: run.limitHeaders && { ...run.limitHeaders },
    corsHeaders: run.corsHeaders && { ...run.corsHeaders },
  };
}

function restore(run: Run, cp: Checkpoint): void {
  const req = run.context.request;
  req.method = cp.method;
  req.url.base = cp.urlBase;
  req.url.path = cp.urlPath;
  req.url.query.reset(cp.query);
  req.headers.reset(cp.headers);
  req.body.bytes = cp.body;
  const vars = run.context.variables.map;
  vars.clear();
  for (const [k, v] of cp.variables) vars.set(k, v);
  const res = cp.response;
  run.context.response = res;
  res.statusCode = cp.status;
  res.statusReason = cp.statusReason;
  res.headers.reset(cp.responseHeaders);
  res.body.bytes = cp.responseBody;
  run.trace.length = cp.trace;
  run.metrics.length = cp.metrics;
  run.backendCalls.length = cp.backendCalls;
  run.limitHeaders = cp.limitHeaders;
  run.corsHeaders = cp.corsHeaders;
}

/**
 * Leaves a check under way on the run; the run as it is now is what a failure goes back to.
 * Call it before changing the run for the check's success (e.g. setting the token variable).
 */
export function deferCheck(run: Run, outcome: Promise<PendingFailure | null>, fail: (failure: PendingFailure) => PolicyFailure): void {
  run.pending = { outcome, fail, at: run.step, checkpoint: checkpoint(run) };
}

/**
 * Runs `effect` once no check is under way. A step that prepares its work from the run alone and
 * then has an effect outside it (a counter, a backend call, a token fetch) calls this between
 * the two; it may then be marked pure, and its preparation overlaps the check.
 */
export function settleFirst<T>(run: Run, effect: () => T | Promise<T>): T | Promise<T> {
  return run.pending === null ? effect() : settle(run).then(effect);
}

/** Waits for the check under way, if any; on its failure puts the run back and throws it. */
export async function settle(run: Run): Promise<void> {
  const pending = run.pending;
  if (pending === null) return;
  run.pending = null;
  const failure = await pending.outcome;
  if (failure === null) return;
  restore(run, pending.checkpoint);
  run.step = pending.at;
  throw pending.fail(failure);
}

/** How validate-jwt's check starts when the request arrives. */
export interface EarlyJwtCheck {
  /** The request header the token is read from, lower-cased. */
  readonly header: string;
  /** Starts checking the token this header value carries; null when it carries none or the keys would have to be loaded. */
  start(value: string, nowMs: number): StartedJwtCheck | null;
}

/** A check started when the request arrived. */
export interface StartedJwtCheck {
  readonly check: EarlyJwtCheck;
  /** The header value it was read from, and the token that value carries. */
  readonly value: string;
  readonly token: string;
  readonly validation: Promise<JwtValidationInProgress>;
}

/**
 * The check that may start when a request arrives: inbound opens with steps that only set or
 * delete request headers other than the token's, then validate-jwt reading a header.
 */
export function earlyJwtCheck(inbound: readonly Step[]): EarlyJwtCheck | null {
  const at = inbound.findIndex((s) => s.setsRequestHeader === undefined);
  const check = at < 0 ? undefined : inbound[at]!.early;
  if (!check) return null;
  return inbound.slice(0, at).some((s) => s.setsRequestHeader === check.header) ? null : check;
}

/** Starts the early check on a request's own headers (the first value of the token's header, as the run will see it). */
export function startEarly(check: EarlyJwtCheck, headers: Record<string, string | readonly string[]> | undefined, nowMs: number): StartedJwtCheck | null {
  for (const name in headers) {
    if (name.toLowerCase() !== check.header) continue;
    const v = headers[name]!;
    const first = typeof v === 'string' ? v : v[0];
    if (first === undefined) continue;
    const started = check.start(first, nowMs);
    // a check nobody takes (a step before validate-jwt failed) must not surface as an unhandled rejection
    started?.validation.catch(() => undefined);
    return started;
  }
  return null;
}
