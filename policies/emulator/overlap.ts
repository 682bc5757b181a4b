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
 */
import type { PolicyFailure, Run } from './compile.js';
import type { ResponseState } from './context.js';

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
  req.url.query.clear();
  for (const [k, v] of cp.query) req.url.query.set(k, v);
  req.headers.clear();
  for (const [k, v] of cp.headers) req.headers.set(k, v);
  req.body.bytes = cp.body;
  const vars = run.context.variables.map;
  vars.clear();
  for (const [k, v] of cp.variables) vars.set(k, v);
  const res = cp.response;
  run.context.response = res;
  res.statusCode = cp.status;
  res.statusReason = cp.statusReason;
  res.headers.clear();
  for (const [k, v] of cp.responseHeaders) res.headers.set(k, v);
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
