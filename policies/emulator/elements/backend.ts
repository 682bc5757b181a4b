/** forward-request: the backend call, real HTTP (fetch) or an in-process handler, with a timeout. */
import {
  PolicyFailure,
  boolAttr,
  constAttr,
  defineElement,
  errorBody,
  intAttr,
  type Run,
} from '../compile.js';
import { ResponseState } from '../context.js';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host', 'content-length']);

function statusReason(status: number): string {
  const reasons: Record<number, string> = { 200: 'OK', 201: 'Created', 204: 'No Content', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' };
  return reasons[status] ?? '';
}

defineElement('forward-request', (el, cc) => {
  const timeoutS = intAttr(el, 'timeout', cc, 300)!;
  const timeoutMs = Number(constAttr(el, 'timeout-ms', cc) ?? timeoutS * 1000);
  const followRedirects = boolAttr(el, 'follow-redirects', cc, false);
  const failOnError = boolAttr(el, 'fail-on-error-status-code', cc, false);
  return async (run: Run) => {
    const req = run.context.request;
    const url = req.url.href();
    const headers: Record<string, string> = {};
    for (const [name, values] of req.headers.entries()) if (!HOP_BY_HOP.has(name.toLowerCase())) headers[name] = values.join(',');
    const body = req.body.bytes;
    const hasBody = body.byteLength > 0 && req.method !== 'GET' && req.method !== 'HEAD';
    run.backendCalls.push({ method: req.method, url, headers });
    // one timer per call, cleared when the backend answers (AbortSignal.timeout keeps its timer alive)
    // the AbortController is created only when someone reads the signal (most handlers never do)
    let controller: AbortController | undefined;
    let aborted = false;
    const signalOf = (): AbortSignal => (controller ??= new AbortController()).signal;
    let expire!: (reason: unknown) => void;
    const expired = new Promise<never>((_, reject) => (expire = reject));
    expired.catch(() => undefined);
    const timer = setTimeout(() => {
      aborted = true;
      controller?.abort();
      expire(new Error('timeout'));
    }, timeoutMs);
    const timedOut = (): PolicyFailure =>
      new PolicyFailure({ source: 'forward-request', reason: 'Timeout', message: `Request to the backend service timed out after ${timeoutMs / 1000} seconds.`, policyId: '' }, 504, errorBody(504, 'Gateway Timeout'));
    const unreachable = (): PolicyFailure =>
      new PolicyFailure({ source: 'forward-request', reason: 'BackendConnectionFailure', message: 'The backend service could not be reached.', policyId: '' }, 500, errorBody(500, 'Internal server error'));
    let status: number;
    let reason: string | undefined;
    let resHeaders: [string, string[]][];
    let resBody: Uint8Array;
    const handler = run.services.backendHandler;
    try {
    if (handler) {
      let r;
      try {
        const backendRequest = {
          method: req.method,
          url,
          headers,
          body: hasBody ? body : new Uint8Array(0),
          get signal(): AbortSignal {
            return signalOf();
          },
        };
        r = await Promise.race([handler(backendRequest), expired]);
      } catch (err) {
        if (aborted) throw timedOut();
        if (err instanceof PolicyFailure) throw err;
        throw unreachable();
      }
      status = r.status;
      reason = r.reason;
      resHeaders = Object.entries(r.headers ?? {}).map(([k, v]) => [k, Array.isArray(v) ? v : [v as string]]);
      resBody = typeof r.body === 'string' ? Buffer.from(r.body, 'utf8') : (r.body ?? new Uint8Array(0));
    } else {
      let res: Response;
      try {
        res = await run.services.fetch(url, { method: req.method, headers, body: hasBody ? body : undefined, redirect: followRedirects ? 'follow' : 'manual', signal: signalOf() });
        resBody = new Uint8Array(await res.arrayBuffer());
      } catch {
        if (aborted) throw timedOut();
        throw unreachable();
      }
      status = res.status;
      reason = res.statusText;
      const grouped = new Map<string, string[]>();
      res.headers.forEach((v, k) => {
        if (!HOP_BY_HOP.has(k)) grouped.set(k, [...(grouped.get(k) ?? []), v]);
      });
      resHeaders = [...grouped.entries()];
    }
    } finally {
      clearTimeout(timer);
    }
    const response = new ResponseState(status, reason || statusReason(status));
    for (const [k, v] of resHeaders) if (!HOP_BY_HOP.has(k.toLowerCase())) response.headers.set(k, v);
    response.body.set(resBody);
    run.context.response = response;
    if (failOnError && status >= 400) {
      throw new PolicyFailure({ source: 'forward-request', reason: 'BackendError', message: `The backend answered ${status}.`, policyId: '' }, status, null);
    }
  };
});
