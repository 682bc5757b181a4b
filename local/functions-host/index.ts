/**
 * A local stand-in for the Azure Functions host (which cannot run here): a node:http server that
 * routes `/api/...` to the SAME exported handlers `functions/app.ts` registers, with the host's
 * route prefix `api`, route parameters, a body size limit, and an InvocationContext whose logger
 * receives the audit lines. Default port 7071, like `func start`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listen } from '../listen.js';
import azureFunctions from '@azure/functions';
import type { HttpResponseInit } from '@azure/functions';
import type { AppConfig } from '../../functions/config.js';
import { HttpError, problemResponse } from '../../functions/errors.js';
import { requestIdFrom } from '../../functions/identity/request-id.js';
import { operations, type OperationName } from '../../functions/handlers/index.js';
import type { ClaimMap } from '../../functions/identity/claim-map.js';
import type { OpenIdKeySource } from '../../functions/identity/keys.js';
import { createRuntime, type Runtime } from '../../functions/runtime.js';
import type { TokenCredentialLike } from '../../functions/session/mssql.js';
import type { PGliteLike } from '../../functions/session/pglite.js';
import type { IdentitySession } from '../../functions/session/types.js';

const { HttpRequest, InvocationContext } = azureFunctions;

export const defaultFunctionsPort = 7071;
export const routePrefix = 'api';

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
  credential?: TokenCredentialLike;
  claimMap?: ClaimMap;
  keys?: OpenIdKeySource;
  now?: () => Date;
  /** receives every log line of every invocation (audit lines included); default: stdout */
  log?: (level: HostLogLevel, functionName: string, message: string) => void;
}

export interface FunctionsHost {
  readonly url: string;
  readonly port: number;
  readonly runtime: Runtime;
  close(): Promise<void>;
}

interface Route {
  name: OperationName;
  method: string;
  pattern: RegExp;
  paramNames: string[];
}

/** `orders/{id}` → /^\/api\/orders\/([^/]+)$/ with ['id'] — compiled once. */
function compileRoute(template: string): { pattern: RegExp; paramNames: string[] } {
  const paramNames: string[] = [];
  const body = template
    .split('/')
    .map((seg) => {
      const m = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(seg);
      if (m?.[1]) {
        paramNames.push(m[1]);
        return '([^/]+)';
      }
      return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { pattern: new RegExp(`^/${routePrefix}/${body}/?$`, 'i'), paramNames };
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

const defaultLog = (level: HostLogLevel, functionName: string, message: string) => {
  process.stdout.write(`[${level}] ${functionName}: ${message}\n`);
};

export async function startFunctionsHost(options: FunctionsHostOptions): Promise<FunctionsHost> {
  const runtime = await createRuntime({
    config: options.config,
    ...(options.session ? { session: options.session } : {}),
    ...(options.pglite ? { pglite: options.pglite } : {}),
    ...(options.credential ? { credential: options.credential } : {}),
    ...(options.claimMap ? { claimMap: options.claimMap } : {}),
    ...(options.keys ? { keys: options.keys } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  const log = options.log ?? defaultLog;
  const maxBodyBytes = options.config.maxBodyBytes;
  const routes: Route[] = operations.map((op) => ({ name: op.name as OperationName, method: op.method, ...compileRoute(op.route) }));
  let invocation = 0;

  const server = createServer((req, res) => {
    void (async () => {
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
        logHandler: (level, ...args) => log(level as HostLogLevel, name, args.map(String).join(' ')),
      });
      send(res, await runtime.handlers[name].handler(request, context));
    })().catch(() => {
      if (!res.headersSent) sendProblem(res, new HttpError('FN_500_INTERNAL'));
      else res.destroy();
    });
  });

  const port = options.port ?? defaultFunctionsPort;
  const listening = await listen(server, port, options.host ?? '127.0.0.1');
  return {
    url: listening.url,
    port: listening.port,
    runtime,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await runtime.close();
    },
  };
}
