/**
 * The local gateway: APIM's stand-in in the local stack. An HTTP server that routes the API's
 * paths to the backend and runs the policies on every request through the emulator.
 *
 * Request recipe: route (compiled templates) → read the body (bounded) → the operation's
 * policy pipeline (compiled once at start-up: global → API → operation) → write the response.
 * What the gateway refuses before any policy runs gets APIM's own error bodies.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { graceful, listen, type DrainResult } from '../listen.js';
import { rawGatewayError, readBody, requestHeaders, writeGatewayError, writeResponse, type GatewayErrorStatus, type ResponseHeaders } from './http.js';
import type { GatewayLog } from './log.js';
import { compileRoutes, ordersApi, type ApiDefinition, type ApiOperation } from './routes.js';

export const defaultGatewayPort = 8080;
export const defaultMaxBodyBytes = 1024 * 1024;
/**
 * The request header block the gateway accepts, in bytes. The backend behind it is a Node server
 * with Node's default limit (16 KiB, `http.maxHeaderSize`); the gateway keeps 4 KiB of that for
 * what it adds (the identity headers, the managed-identity token, X-Request-Id), so a request it
 * forwards always fits: the backend never refuses or truncates it for the gateway's headers.
 * Larger requests get 431 here (APIM documents no header limit; the stricter choice).
 */
export const defaultMaxHeaderBytes = 12 * 1024;
/**
 * The number of request headers the gateway accepts (431 above). Node drops the headers after
 * `maxHeadersCount` (default 2000) when they arrive in several chunks; a backend would drop the
 * last ones — those the gateway appended. With at most this many from the caller, the forwarded
 * request stays far below (the gateway's own check reads `rawHeaders`, never truncated below 2000).
 */
export const defaultMaxRequestHeaders = 100;

/** One request as the policies see it. */
export interface GatewayExchange {
  method: string;
  /** The URL the caller used, e.g. `http://127.0.0.1:8080/orders/1?x=y`. */
  url: URL;
  /** Path relative to the API (appended to the backend URL when forwarding). */
  operationPath: string;
  /** Header name (lower case) → values; hop-by-hop headers removed. */
  headers: Record<string, string[]>;
  body: Buffer;
  clientIp: string;
  /** Absent for a request that matches a path of the API but no operation (a CORS preflight). */
  operation?: ApiOperation;
  params: Record<string, string>;
}

export interface GatewayResult {
  status: number;
  headers: ResponseHeaders;
  body?: string | Uint8Array;
  /** context.RequestId of the run (logged as CorrelationId). */
  requestId?: string;
  /** The trace id of the gateway's span (W3C correlation), logged as TraceId. */
  traceId?: string | null;
  /** context.LastError when a policy failed. */
  lastError?: { source: string; reason: string; section: string } | null;
  /** The policy that returned the response instead of the backend, if any. */
  returnedBy?: string | null;
}

/** Runs the policies of one scope chain. Built once per operation at start-up. */
export interface PolicyPipeline {
  send(exchange: GatewayExchange): Promise<GatewayResult>;
}

/** Builds the pipelines: one per operation, one for the API alone (requests matching no operation's method). */
export interface PipelineSet {
  forOperation(operation: ApiOperation): PolicyPipeline;
  forApi(): PolicyPipeline;
}

export interface GatewayServerOptions {
  /** 0 picks a free port; default 0 (the CLI and the stack default to 8080). */
  port?: number;
  host?: string;
  api?: ApiDefinition;
  pipelines: PipelineSet;
  maxBodyBytes?: number;
  /** Receives one structured line per request (log.ts); none by default. */
  log?: GatewayLog;
  /** The current time (ms since the epoch) for the log lines; default Date.now. */
  clock?: () => number;
}

export interface GatewayServer {
  url: string;
  /** Stops accepting and lets requests in flight finish, at most `graceInMs` (default 30000); then closes what is left. */
  close(graceInMs?: number): Promise<DrainResult>;
}

export async function startGatewayServer(options: GatewayServerOptions): Promise<GatewayServer> {
  const api = options.api ?? ordersApi;
  const router = compileRoutes(api);
  const maxBodyBytes = options.maxBodyBytes ?? defaultMaxBodyBytes;
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError('port must be an integer between 0 and 65535');
  // compile every scope chain now, so a broken policy fails the start, not a request
  const byOperation = new Map<ApiOperation, PolicyPipeline>();
  const normalised = new Map<string, ApiOperation>();
  for (const operation of api.operations) {
    const pipeline = options.pipelines.forOperation(operation);
    byOperation.set(operation, pipeline);
    normalised.set(operation.id, operation);
  }
  const apiPipeline = options.pipelines.forApi();

  let base = '';
  const log = options.log;
  const clock = options.clock ?? Date.now;
  const apiId = api.name;
  const server = createServer({ maxHeaderSize: defaultMaxHeaderBytes }, (req, res) => {
    const started = performance.now();
    handle(req, res, started).catch(() => {
      // a crash inside the policy engine: APIM answers 500 with an activity id, never details
      const requestId = randomUUID();
      if (!res.headersSent) writeGatewayError(res, 500, requestId);
      else res.destroy();
      refused(req, null, 500, started, requestId, { source: 'gateway', reason: 'InternalError', section: null });
    });
  });
  server.keepAliveTimeout = 5000;
  const drain = graceful(server);
  // Node's parser drops headers past maxHeadersCount without a word (and with them, say, Host):
  // nothing is dropped here; handle() counts them and refuses above defaultMaxRequestHeaders
  server.maxHeadersCount = 0;
  // what the HTTP parser refuses (header block too large, malformed request): APIM-style JSON, one log line
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    const status = err.code === 'HPE_HEADER_OVERFLOW' || err.code === 'HPE_REQUEST_HEADER_FIELDS_TOO_LARGE' ? 431 : 400;
    const requestId = randomUUID();
    if (socket.writable && !(socket as Socket & { _httpMessage?: unknown })._httpMessage) socket.end(rawGatewayError(status, requestId));
    else socket.destroy();
    log?.(entry(null, null, status, 0, requestId, { source: 'gateway', reason: status === 431 ? 'RequestHeaderFieldsTooLarge' : 'BadRequest', section: null }, null, socket.remoteAddress));
  });

  function entry(req: IncomingMessage | null, operationId: string | null, status: number, totalMs: number, requestId: string, error: { source: string; reason: string; section: string | null } | null, returnedBy: string | null, ip?: string, traceId: string | null = null) {
    let path: string;
    try {
      path = req ? new URL(req.url ?? '/', 'http://gateway').pathname : '';
    } catch {
      path = '';
    }
    return {
      TimeGenerated: new Date(clock()).toISOString(),
      Category: 'GatewayLogs' as const,
      CorrelationId: requestId,
      TraceId: traceId,
      ApiId: apiId,
      OperationId: operationId,
      Method: req?.method ?? '',
      Url: path,
      ResponseCode: status,
      TotalTime: Math.round(totalMs),
      LastErrorSource: error?.source ?? null,
      LastErrorReason: error?.reason ?? null,
      LastErrorSection: error?.section ?? null,
      ResponsePolicy: returnedBy,
      CallerIpAddress: normaliseIp(ip ?? req?.socket.remoteAddress),
    };
  }

  function refused(req: IncomingMessage, operationId: string | null, status: number, started: number, requestId: string, error: { source: string; reason: string; section: string | null } | null, returnedBy: string | null = null, traceId: string | null = null): void {
    log?.(entry(req, operationId, status, performance.now() - started, requestId, error, returnedBy, undefined, traceId));
  }

  function refuse(req: IncomingMessage, res: ServerResponse, status: GatewayErrorStatus, started: number, reason: string, source = 'gateway', operationId: string | null = null): void {
    const requestId = randomUUID();
    writeGatewayError(res, status, requestId);
    refused(req, operationId, status, started, requestId, { source, reason, section: null });
  }

  async function handle(req: IncomingMessage, res: ServerResponse, started: number): Promise<void> {
    if (req.rawHeaders.length / 2 > defaultMaxRequestHeaders || headerBytes(req.rawHeaders) > defaultMaxHeaderBytes) {
      req.resume();
      res.setHeader('connection', 'close');
      return refuse(req, res, 431, started, 'RequestHeaderFieldsTooLarge');
    }
    const url = new URL(req.url ?? '/', base);
    const method = (req.method ?? 'GET').toUpperCase();
    const route = router.match(method, url.pathname);
    // an operation the API does not define: "configuration / OperationNotFound / Unable to match
    // incoming request to an operation." (https://learn.microsoft.com/azure/api-management/api-management-error-handling-policies#predefined-errors-for-built-in-steps)
    // — except a CORS preflight, which the cors policy of the API answers ("Only the cors policy is
    // evaluated on the OPTIONS request during preflight", https://learn.microsoft.com/azure/api-management/cors-policy)
    const preflight = method === 'OPTIONS' && req.headers.origin !== undefined && req.headers['access-control-request-method'] !== undefined;
    if (route.kind === 'none' || (route.kind === 'path-only' && !preflight)) {
      req.resume();
      return refuse(req, res, 404, started, 'OperationNotFound', 'configuration');
    }
    const operationId = route.kind === 'operation' ? route.match.operation.id : null;
    const body = await readBody(req, maxBodyBytes);
    if (body === undefined) {
      res.setHeader('connection', 'close');
      return refuse(req, res, 413, started, 'RequestEntityTooLarge', 'gateway', operationId);
    }
    const exchange: GatewayExchange = {
      method,
      url,
      operationPath: route.kind === 'operation' ? route.match.operationPath : route.operationPath,
      headers: requestHeaders(req.headers),
      body,
      clientIp: normaliseIp(req.socket.remoteAddress),
      params: route.kind === 'operation' ? route.match.params : {},
    };
    let pipeline = apiPipeline;
    if (route.kind === 'operation') {
      const operation = normalised.get(route.match.operation.id);
      if (operation) {
        exchange.operation = operation;
        pipeline = byOperation.get(operation) ?? apiPipeline;
      }
    }
    const result = await pipeline.send(exchange);
    writeResponse(res, result.status, result.headers, result.body);
    // every request that ran the policies: one line (a refusal names what refused: LastError or the returning policy)
    if (log) refused(req, operationId, result.status, started, result.requestId ?? randomUUID(), result.lastError ?? null, result.returnedBy ?? null, result.traceId ?? null);
  }

  const listening = await listen(server, port, options.host ?? '127.0.0.1');
  base = listening.url;
  return {
    url: base,
    close: (graceInMs = 30_000) => drain.close(graceInMs),
  };
}

/** The header block's size as sent (`name: value\r\n` per field): Node's own limit is not reliable for many small fields. */
function headerBytes(raw: readonly string[]): number {
  let n = 0;
  for (let i = 0; i < raw.length; i++) n += raw[i]!.length + 2;
  return n;
}

/** `::ffff:127.0.0.1` → `127.0.0.1`, as APIM reports IPv4 callers. */
function normaliseIp(address: string | undefined): string {
  if (!address) return '0.0.0.0';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

