/**
 * The local gateway: APIM's stand-in in the local stack. An HTTP server that routes the API's
 * paths to the backend and runs the policies on every request through the emulator.
 *
 * Request recipe: route (compiled templates) → read the body (bounded) → the operation's
 * policy pipeline (compiled once at start-up: global → API → operation) → write the response.
 * What the gateway refuses before any policy runs gets APIM's own error bodies.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { graceful, listen, type DrainResult } from '../listen.js';
import { readBody, requestHeaders, writeGatewayError, writeResponse, type ResponseHeaders } from './http.js';
import { compileRoutes, ordersApi, type ApiDefinition, type ApiOperation } from './routes.js';

export const defaultGatewayPort = 8080;
export const defaultMaxBodyBytes = 1024 * 1024;

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
  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      // a crash inside the policy engine: APIM answers 500 with an activity id, never details
      if (!res.headersSent) writeGatewayError(res, 500);
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5000;
  const drain = graceful(server);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', base);
    const route = router.match(req.method ?? 'GET', url.pathname);
    if (route.kind === 'none') {
      req.resume();
      return writeGatewayError(res, 404);
    }
    const body = await readBody(req, maxBodyBytes);
    if (body === undefined) {
      res.setHeader('connection', 'close');
      return writeGatewayError(res, 413);
    }
    const exchange: GatewayExchange = {
      method: (req.method ?? 'GET').toUpperCase(),
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
  }

  const listening = await listen(server, port, options.host ?? '127.0.0.1');
  base = listening.url;
  return {
    url: base,
    close: (graceInMs = 30_000) => drain.close(graceInMs),
  };
}

/** `::ffff:127.0.0.1` → `127.0.0.1`, as APIM reports IPv4 callers. */
function normaliseIp(address: string | undefined): string {
  if (!address) return '0.0.0.0';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

