/** forward-request, send-request and send-one-way-request: real HTTP (fetch) or an in-process handler, with a timeout. */
import { childElements, type XmlElement } from '../../xml/tree.js';
import {
  PolicyFailure,
  boolAttr,
  compileElements,
  compileString,
  constAttr,
  defineElement,
  elementText,
  errorBody,
  intAttr,
  where,
  type BackendHandler,
  type BackendRequest,
  type CompileContext,
  type Run,
  type Step,
} from '../compile.js';
import { MessageBody, ResponseState } from '../context.js';
import { EmulatorError } from '../errors.js';
import { settleFirst } from '../overlap.js';
import { MultiDict } from '../expressions/values.js';
import { formatTraceparent, type GatewaySpanContext } from '../trace-context.js';

/** Never forwarded (RFC 9110 §7.6.1, §10.1.1, §11.7): hop-by-hop fields, Expect, proxy credentials; length and host are recomputed. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host', 'content-length', 'expect', 'proxy-authorization', 'proxy-authenticate', 'http2-settings']);

function statusReason(status: number): string {
  return REASONS[status] ?? '';
}

const REASONS: Record<number, string> = { 200: 'OK', 201: 'Created', 204: 'No Content', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' };

interface Outgoing {
  method: string;
  url: string;
  /** As sent: hop-by-hop headers removed, values joined. */
  headers: Record<string, string>;
  body: Uint8Array;
}

function outgoing(method: string, url: string, headers: MultiDict, body: Uint8Array): Outgoing {
  const sent: Record<string, string> = {};
  // the fields a caller's Connection names are dropped where the request is received (local/gateway/http.ts),
  // never here: a caller naming X-Identity-* or Authorization in Connection must not remove what the policies set
  for (const [key, e] of headers.keyed()) if (!HOP_BY_HOP.has(key)) sent[e.name] = e.values.length === 1 ? e.values[0]! : e.values.join(',');
  return { method, url, headers: sent, body };
}

/**
 * W3C correlation: the backend gets the gateway's span as its parent — `traceparent` (and, with a
 * continued trace, the caller's `tracestate`) replace whatever the request holds, so a malformed
 * or policy-set value never reaches the backend.
 */
function withTraceContext(headers: Record<string, string>, span: GatewaySpanContext): void {
  for (const name of Object.keys(headers)) {
    const key = name.toLowerCase();
    if (key === 'traceparent' || key === 'tracestate') delete headers[name];
  }
  headers.traceparent = formatTraceparent(span.traceId, span.spanId, span.traceFlags);
  if (span.traceState !== null) headers.tracestate = span.traceState;
}

function timedOut(source: string, timeoutMs: number): PolicyFailure {
  return new PolicyFailure({ source, reason: 'Timeout', message: `Request to the backend service timed out after ${timeoutMs / 1000} seconds.`, policyId: '' }, 504, errorBody(504, 'Gateway Timeout'));
}

function unreachable(source: string): PolicyFailure {
  return new PolicyFailure({ source, reason: 'BackendConnectionFailure', message: 'The backend service could not be reached.', policyId: '' }, 500, errorBody(500, 'Internal server error'));
}

/** forward-request's timeout: a timer and an AbortController, each made only when needed. */
class Deadline {
  aborted = false;
  private controller: AbortController | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  constructor(private readonly ms: number) {}
  signal(): AbortSignal {
    return (this.controller ??= new AbortController()).signal;
  }
  /** Starts the timer; the promise rejects when it passes (and the signal aborts). */
  start(): Promise<never> {
    let expire!: (reason: unknown) => void;
    const expired = new Promise<never>((_, reject) => (expire = reject));
    expired.catch(() => undefined);
    this.timer = setTimeout(() => {
      this.aborted = true;
      this.controller?.abort();
      expire(new Error('timeout'));
    }, this.ms);
    return expired;
  }
  clear(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
  }
}

/** One HTTP exchange; failures are PolicyFailures named after `source`. */
function exchange(run: Run, out: Outgoing, timeoutMs: number, followRedirects: boolean, source: string): Promise<ResponseState> {
  const hasBody = out.body.byteLength > 0 && out.method !== 'GET' && out.method !== 'HEAD';
  run.backendCalls.push({ method: out.method, url: out.url, headers: out.headers });
  const handler = run.services.backendHandler;
  return handler ? exchangeInProcess(handler, out, hasBody, timeoutMs, source) : exchangeHttp(run, out, hasBody, timeoutMs, followRedirects, source);
}

/**
 * The in-process request's `signal`: a shared getter reading the request's deadline from a
 * non-enumerable slot (a getter closure per request would give each request accessors of its own,
 * which V8 keeps alive through scavenges, and the run with them).
 */
const DEADLINE = Symbol('deadline');
function deadlineSignal(this: { [DEADLINE]: Deadline }): AbortSignal {
  return this[DEADLINE].signal();
}
// as an object literal's getter is: enumerable, configurable, no setter
const SIGNAL: PropertyDescriptor = { get: deadlineSignal, enumerable: true, configurable: true };

/** An in-process backend: a timer only while it is pending (cleared when it answers). */
async function exchangeInProcess(handler: BackendHandler, out: Outgoing, hasBody: boolean, timeoutMs: number, source: string): Promise<ResponseState> {
  const deadline = new Deadline(timeoutMs);
  try {
    let r;
    try {
      const backendRequest = { method: out.method, url: out.url, headers: out.headers, body: hasBody ? out.body : new Uint8Array(0) } as BackendRequest;
      Object.defineProperty(backendRequest, 'signal', SIGNAL);
      Object.defineProperty(backendRequest, DEADLINE, { value: deadline });
      const answer = Promise.resolve(handler(backendRequest));
      // an in-process backend that has already answered settles within one microtask: no timer then
      let settled = false;
      answer.then(
        () => (settled = true),
        () => (settled = true),
      );
      await null;
      r = settled ? await answer : await Promise.race([answer, deadline.start()]);
    } catch (err) {
      if (deadline.aborted) throw timedOut(source, timeoutMs);
      if (err instanceof PolicyFailure) throw err;
      throw unreachable(source);
    }
    const response = new ResponseState(r.status, r.reason || statusReason(r.status));
    const headers = r.headers;
    if (headers !== undefined && headers !== null) {
      for (const k of Object.keys(headers)) {
        const key = k.toLowerCase();
        if (HOP_BY_HOP.has(key)) continue;
        const v = headers[k];
        response.headers.setKey(key, k, Array.isArray(v) ? v : [v as string]);
      }
    }
    response.body.set(typeof r.body === 'string' ? Buffer.from(r.body, 'utf8') : (r.body ?? new Uint8Array(0)));
    return response;
  } finally {
    deadline.clear();
  }
}

/** Real HTTP (fetch) with the deadline's signal. */
async function exchangeHttp(run: Run, out: Outgoing, hasBody: boolean, timeoutMs: number, followRedirects: boolean, source: string): Promise<ResponseState> {
  const deadline = new Deadline(timeoutMs);
  try {
    let res: Response;
    let bytes: Uint8Array;
    try {
      void deadline.start();
      res = await run.services.fetch(out.url, { method: out.method, headers: out.headers, body: hasBody ? out.body : undefined, redirect: followRedirects ? 'follow' : 'manual', signal: deadline.signal() });
      bytes = new Uint8Array(await res.arrayBuffer());
    } catch {
      if (deadline.aborted) throw timedOut(source, timeoutMs);
      throw unreachable(source);
    }
    const response = new ResponseState(res.status, res.statusText || statusReason(res.status));
    res.headers.forEach((v, k) => {
      if (!HOP_BY_HOP.has(k)) response.headers.append(k, [v]);
    });
    response.body.set(bytes);
    return response;
  } finally {
    deadline.clear();
  }
}

defineElement('forward-request', (el, cc) => {
  const timeoutS = intAttr(el, 'timeout', cc, 300)!;
  const timeoutMs = Number(constAttr(el, 'timeout-ms', cc) ?? timeoutS * 1000);
  const followRedirects = boolAttr(el, 'follow-redirects', cc, false);
  const failOnError = boolAttr(el, 'fail-on-error-status-code', cc, false);
  const received = (run: Run, response: ResponseState): void => {
    run.context.response = response;
    if (failOnError && response.statusCode >= 400) {
      throw new PolicyFailure({ source: 'forward-request', reason: 'BackendError', message: `The backend answered ${response.statusCode}.`, policyId: '' }, response.statusCode, null);
    }
  };
  const forward = (run: Run, out: Outgoing): Promise<void> => exchange(run, out, timeoutMs, followRedirects, 'forward-request').then((response) => received(run, response));
  // the outgoing request is made from the run; it is sent once no check is under way
  return (run: Run) => {
    const req = run.context.request;
    const out = outgoing(req.method, req.url.href(), req.headers, req.body.bytes);
    if (run.traceContext !== null) withTraceContext(out.headers, run.traceContext);
    return settleFirst(run, () => forward(run, out));
  };
}, { pure: true });

/** The request a send-request or send-one-way-request builds: compiled once, built per run. */
function requestBuilder(el: XmlElement, cc: CompileContext): (run: Run) => Promise<Outgoing> {
  const mode = (constAttr(el, 'mode', cc, 'new') ?? 'new').toLowerCase();
  if (mode !== 'new' && mode !== 'copy') throw new EmulatorError('INVALID_POLICY', `<${el.name}>${where(el)}: mode must be new or copy`);
  const urlEl = childElements(el, 'set-url')[0];
  const url = urlEl ? compileString(elementText(urlEl), cc, urlEl) : null;
  for (const c of childElements(el)) {
    if (c.name === 'authentication-certificate' || c.name === 'proxy') throw new EmulatorError('UNSUPPORTED_ELEMENT', `unsupported: <${c.name}> in <${el.name}>${where(c)}`);
  }
  const others = el.children.filter((c) => !(c.kind === 'element' && c.name === 'set-url'));
  const steps: Step[] = compileElements(others, { ...cc, target: 'send', path: `${cc.path}`, overlap: false }, () => {
    throw new EmulatorError('INVALID_POLICY', `<base /> is not allowed inside <${el.name}>${where(el)}`);
  });
  return async (run) => {
    const req = run.context.request;
    const sending =
      mode === 'copy'
        ? { method: req.method, url: req.url.href(), headers: req.headers.clone(), body: new MessageBody(req.body.bytes) }
        : { method: 'GET', url: '', headers: new MultiDict(), body: new MessageBody(new Uint8Array(0)) };
    const saved = run.sending;
    run.sending = sending;
    try {
      for (const s of steps) await s(run);
      if (url) sending.url = url(run);
    } finally {
      run.sending = saved;
    }
    if (!/^https?:\/\//i.test(sending.url)) {
      throw new PolicyFailure({ source: el.name, reason: 'InvalidUrl', message: `${el.name} needs an absolute URL, got "${sending.url}".`, policyId: '' }, 500, errorBody(500, 'Internal server error'));
    }
    return outgoing(sending.method, sending.url, sending.headers, sending.body.bytes);
  };
}

defineElement('send-request', (el, cc) => {
  const variable = constAttr(el, 'response-variable-name', cc);
  const timeoutMs = (intAttr(el, 'timeout', cc, 60) ?? 60) * 1000;
  const ignoreError = boolAttr(el, 'ignore-error', cc, false);
  const build = requestBuilder(el, cc);
  return async (run) => {
    const out = await build(run);
    try {
      const response = await exchange(run, out, timeoutMs, false, 'send-request');
      if (variable) run.context.variables.map.set(variable, response);
    } catch (err) {
      if (!(err instanceof PolicyFailure) || !ignoreError) throw err;
      if (variable) run.context.variables.map.set(variable, null);
    }
  };
});

defineElement('send-one-way-request', (el, cc) => {
  const timeoutMs = (intAttr(el, 'timeout', cc, 60) ?? 60) * 1000;
  const build = requestBuilder(el, cc);
  return async (run) => {
    const out = await build(run);
    // fire and forget, as in APIM: the pipeline does not wait for the answer, and no failure of it reaches the caller
    exchange(run, out, timeoutMs, false, 'send-one-way-request').catch(() => undefined);
  };
});

// set-url only has a meaning inside send-request and send-one-way-request, which read it directly
defineElement('set-url', (el) => {
  throw new EmulatorError('INVALID_POLICY', `<set-url>${where(el)} is only allowed inside <send-request> or <send-one-way-request>`);
});

