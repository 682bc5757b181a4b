/**
 * A local stand-in for the Azure Functions host (which cannot run here): a node:http server that
 * routes `/api/...` to the SAME exported handlers `functions/app.ts` registers, with the host's
 * route prefix `api`, route parameters, a body size limit, and an InvocationContext whose logger
 * receives the audit lines. Default port 7071, like `func start`.
 *
 * It enforces host.json as the real host does:
 *  - `extensions.http.maxOutstandingRequests` (queued + executing) → 429 with no body and
 *    `X-FUNCTION-SCALEOUT: 1`, and `maxConcurrentRequests` → the rest wait in a FIFO queue
 *    (azure-functions-host src/WebJobs.Script.WebHost/Middleware/HttpThrottleMiddleware.cs;
 *    https://learn.microsoft.com/azure/azure-functions/functions-bindings-http-webhook#hostjson-settings:
 *    "Any incoming requests over this limit are rejected with a 429 \"Too Busy\" response").
 *  - `functionTimeout` → the invocation fails with "Timeout value of hh:mm:ss was exceeded by
 *    function: Functions.<name>" and the host answers 500 with no body (ExceptionMiddleware.cs sets
 *    500 for a failed invocation). The real host then restarts the language worker, failing the
 *    other executions in flight (Azure/azure-functions-host#2243, #3933, PR #5794); this host does
 *    not restart: the timed-out handler runs on unobserved and the others finish.
 * On `close` it stops accepting, lets requests in flight (queued ones included) finish within the
 * grace period, closes what is left, then ends the runtime (the database pool).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { graceful, listen, type DrainResult } from '../listen.js';
import { readHostLimits, type HostLimits } from './host-json.js';
import azureFunctions from '@azure/functions';
import type { HttpResponseInit } from '@azure/functions';
import type { AppConfig } from '../../functions/config.js';
import { HttpError, problemResponse } from '../../functions/errors.js';
import { requestIdFrom } from '../../functions/identity/request-id.js';
import { formatTraceparent, parseTraceparent, randomTraceIds, tracestateToForward } from '../../policies/emulator/trace-context.js';
import { appRoutes, type Route } from './routes.js';
import type { OperationName } from '../../functions/handlers/index.js';
import type { ClaimMap } from '../../functions/identity/claim-map.js';
import type { OpenIdKeySource } from '../../functions/identity/keys.js';
import { createRuntime, type Runtime } from '../../functions/runtime.js';
import type { TokenCredentialLike } from '../../functions/session/mssql.js';
import type { PGliteLike } from '../../functions/session/pglite.js';
import type { IdentitySession } from '../../functions/session/types.js';

const { HttpRequest, InvocationContext } = azureFunctions;

export const defaultFunctionsPort = 7071;
export { routePrefix } from './routes.js';

export type HostLogLevel = 'trace' | 'debug' | 'information' | 'warning' | 'error' | 'critical' | 'none';

export interface FunctionsHostOptions {
  /** 0 = a free port; default 7071 */
  port?: number;
  /** default 127.0.0.1 */
  host?: string;
  config: AppConfig;
  /** an open identity session (e.g. on the stack's PGlite); otherwise opened from config.databaseUrl */
  session?: IdentitySession;
  /** an open PGlite for `pglite:` URLs */
  pglite?: PGliteLike;
  /** `pglite:` URLs without `pglite`: the folder of the cached dump a new cluster is loaded from instead of running initdb (rls/db/pglite-cluster.ts); none: initdb */
  pgliteCache?: string | null;
  credential?: TokenCredentialLike;
  claimMap?: ClaimMap;
  keys?: OpenIdKeySource;
  now?: () => Date;
  /** receives every log line of every invocation (audit lines included); default: stdout */
  log?: (level: HostLogLevel, functionName: string, message: string) => void;
  /** the host.json limits to enforce; default: read from the project's host.json */
  limits?: HostLimits;
}

export interface FunctionsHost {
  readonly url: string;
  readonly port: number;
  readonly runtime: Runtime;
  readonly limits: HostLimits;
  /** requests received and not yet answered (queued ones included) */
  readonly inFlight: number;
  /**
   * Stops accepting, lets the requests in flight finish (at most `graceInMs`, default the
   * function timeout: no invocation can legitimately last longer), closes what is left, then
   * closes the runtime (ends the database pool).
   */
  close(graceInMs?: number): Promise<DrainResult>;
}

/** The project's host.json (the nearest folder above this module whose package.json is apim-rls). */
export function defaultHostJsonPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'apim-rls') return join(dir, 'host.json');
      } catch {
        // not ours; keep walking
      }
    }
    const up = dirname(dir);
    if (up === dir) return join(process.cwd(), 'host.json');
    dir = up;
  }
}

/** 30000 → "00:00:30", 200 → "00:00:00.2000000": .NET's TimeSpan.ToString(), as the host prints it. */
export function formatTimeSpan(ms: number): string {
  const s = Math.floor(ms / 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  const days = Math.floor(s / 86_400);
  const frac = ms % 1000;
  return `${days > 0 ? `${days}.` : ''}${pad(Math.floor(s / 3600) % 24)}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}${frac > 0 ? `.${String(frac * 10_000).padStart(7, '0')}` : ''}`;
}

/** `maxConcurrentRequests` executing at once, the others waiting in arrival order. */
function createSlots(max: number | null) {
  let executing = 0;
  const waiting: (() => void)[] = [];
  return {
    get outstanding() {
      return executing + waiting.length;
    },
    async acquire(): Promise<void> {
      if (max === null || executing < max) {
        executing++;
        return;
      }
      await new Promise<void>((resolve) => waiting.push(resolve));
    },
    release(): void {
      const next = waiting.shift();
      if (next) next(); // the slot passes to the next in line
      else executing--;
    },
  };
}

function send(res: ServerResponse, init: HttpResponseInit): void {
  const headers: Record<string, string> = {};
  const h = init.headers;
  if (h) {
    const entries: Iterable<[string, string]> = h instanceof Headers ? h.entries() : Array.isArray(h) ? (h as [string, string][]) : Object.entries(h as Record<string, string>);
    for (const [k, v] of entries) headers[k.toLowerCase()] = v;
  }
  let body: string | Uint8Array = '';
  if (init.jsonBody !== undefined) {
    body = JSON.stringify(init.jsonBody);
    headers['content-type'] ??= 'application/json';
  } else if (typeof init.body === 'string') body = init.body;
  else if (init.body instanceof Uint8Array) body = init.body;
  else if (init.body !== undefined && init.body !== null) throw new TypeError('local functions host: unsupported response body type');
  headers['content-length'] = String(Buffer.byteLength(body));
  res.writeHead(init.status ?? 200, headers);
  res.end(body);
}

/** A refusal before any handler runs (404/405/413/400), with the request id like the handlers' own. */
function sendProblem(res: ServerResponse, err: HttpError, extraHeaders: Record<string, string> = {}): void {
  const header = res.req.headers['x-request-id'];
  const p = problemResponse(err, requestIdFrom(typeof header === 'string' ? header : undefined));
  send(res, { status: p.status, headers: { ...p.headers, ...extraHeaders }, body: p.body });
}

/** Reads at most `limit` bytes; null when the body is larger (the rest is not buffered). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        resolve(null);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!over) resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

/**
 * The trace context the host hands the worker (`InvocationContext.traceContext`). The real host
 * passes its own request activity (`Traceparent = Activity.Current?.Id`,
 * azure-functions-host src/WebJobs.Script/Description/Workers/WorkerFunctionInvoker.cs): ASP.NET
 * Core continues a valid incoming W3C `traceparent` in it, or starts a new trace. This host
 * records no span of its own, so it hands on a valid `traceparent` as it came (the function's
 * span is then a child of the caller's — the gateway's — span) and starts a new trace otherwise;
 * `tracestate` only with a valid `traceparent`.
 */
export function traceContextFrom(traceparent: string | string[] | undefined, tracestate: string | string[] | undefined): { traceParent: string; traceState?: string; attributes: Record<string, string> } {
  const parent = parseTraceparent(traceparent);
  if (parent === null) return { traceParent: formatTraceparent(randomTraceIds.generateTraceId(), randomTraceIds.generateSpanId(), 0x01), attributes: {} };
  const state = tracestateToForward(tracestate);
  return { traceParent: formatTraceparent(parent.traceId, parent.parentId, parent.traceFlags), ...(state === null ? {} : { traceState: state }), attributes: {} };
}

const defaultLog = (level: HostLogLevel, functionName: string, message: string) => {
  process.stdout.write(`[${level}] ${functionName}: ${message}\n`);
};

export async function startFunctionsHost(options: FunctionsHostOptions): Promise<FunctionsHost> {
  const limits = options.limits ?? (await readHostLimits(defaultHostJsonPath()));
  const runtime = await createRuntime({
    config: options.config,
    ...(options.session ? { session: options.session } : {}),
    ...(options.pglite ? { pglite: options.pglite } : {}),
    ...(options.pgliteCache !== undefined ? { pgliteCache: options.pgliteCache } : {}),
    ...(options.credential ? { credential: options.credential } : {}),
    ...(options.claimMap ? { claimMap: options.claimMap } : {}),
    ...(options.keys ? { keys: options.keys } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  const log = options.log ?? defaultLog;
  const slots = createSlots(limits.maxConcurrentRequests);
  const maxBodyBytes = options.config.maxBodyBytes;
  const routes = appRoutes();
  let invocation = 0;

  const server = createServer((req, res) => {
    if (limits.maxOutstandingRequests !== null && slots.outstanding >= limits.maxOutstandingRequests) {
      // HttpThrottleMiddleware.RejectRequest: status 429, the scale-out hint, no body
      req.resume();
      res.writeHead(429, { 'x-function-scaleout': '1', 'content-length': '0' });
      res.end();
      return;
    }
    void (async () => {
      await slots.acquire();
      try {
        await serve(req, res);
      } finally {
        slots.release();
      }
    })().catch(() => {
      if (!res.headersSent) sendProblem(res, new HttpError('FN_500_INTERNAL'));
      else res.destroy();
    });
  });
  const drain = graceful(server);

  /** One invocation, bounded by functionTimeout; resolves when answered (or timed out). */
  async function invoke(name: OperationName, request: InstanceType<typeof HttpRequest>, context: InstanceType<typeof InvocationContext>): Promise<HttpResponseInit | 'timeout'> {
    const run = runtime.handlers[name].handler(request, context);
    const timeoutInMs = limits.functionTimeoutInMs;
    if (timeoutInMs === null) return run;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutInMs);
    });
    try {
      return await Promise.race([run, timedOut]);
    } finally {
      clearTimeout(timer);
      run.catch(() => undefined); // a timed-out handler that fails later is not unhandled
    }
  }

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = (req.method ?? 'GET').toUpperCase();
    let matched: { route: Route; params: Record<string, string> } | undefined;
    const allowed: string[] = [];
    for (const route of routes) {
      const m = route.pattern.exec(url.pathname);
      if (!m) continue;
      allowed.push(route.method);
      if (route.method !== method) continue;
      const params: Record<string, string> = {};
      try {
        route.paramNames.forEach((n, i) => {
          params[n] = decodeURIComponent(m[i + 1] ?? '');
        });
      } catch {
        req.resume();
        return sendProblem(res, new HttpError('FN_102_BAD_PARAMETER', 'a path segment is not valid percent-encoding'));
      }
      matched = { route, params };
      break;
    }
    if (!matched) {
      req.resume();
      if (allowed.length > 0) return sendProblem(res, new HttpError('FN_112_METHOD_NOT_ALLOWED'), { allow: allowed.join(', ') });
      return sendProblem(res, new HttpError('FN_111_ROUTE_NOT_FOUND'));
    }
    const body = await readBody(req, maxBodyBytes);
    if (body === null) {
      res.setHeader('connection', 'close');
      return sendProblem(res, new HttpError('FN_120_PAYLOAD_TOO_LARGE', `the body is larger than ${maxBodyBytes} bytes`));
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    }
    const name = matched.route.name;
    const request = new HttpRequest({
      method,
      url: url.toString(),
      headers,
      params: matched.params,
      query: Object.fromEntries(url.searchParams),
      ...(body.length > 0 ? { body: { bytes: body } } : {}),
    });
    const context = new InvocationContext({
      invocationId: `local-${++invocation}`,
      functionName: name,
      traceContext: traceContextFrom(req.headers.traceparent, req.headers.tracestate),
      logHandler: (level, ...args) => log(level as HostLogLevel, name, args.map(String).join(' ')),
    });
    const result = await invoke(name, request, context);
    if (result === 'timeout') {
      log('error', name, `Timeout value of ${formatTimeSpan(limits.functionTimeoutInMs!)} was exceeded by function: Functions.${name}`);
      res.writeHead(500, { 'content-length': '0' });
      res.end();
      return;
    }
    send(res, result);
  }

  const port = options.port ?? defaultFunctionsPort;
  let listening: Awaited<ReturnType<typeof listen>>;
  try {
    listening = await listen(server, port, options.host ?? '127.0.0.1');
  } catch (err) {
    await runtime.close().catch(() => undefined); // a port in use must not leave the pool open
    throw err;
  }
  return {
    url: listening.url,
    port: listening.port,
    runtime,
    limits,
    get inFlight() {
      return drain.inFlight;
    },
    async close(graceInMs) {
      const result = await drain.close(graceInMs ?? limits.functionTimeoutInMs ?? 30_000);
      await runtime.close();
      return result;
    },
  };
}
