/**
 * The proof's backend: the emulator's `forward-request` calls the Functions handlers in process
 * (the same handlers `functions/app.ts` registers, routed under the host's `api` prefix as the
 * local Functions host does), and every request the backend received is recorded — the headers
 * the gateway forwarded are the evidence of the gateway layer, the audit line the reason of a
 * refusal.
 */
import azureFunctions from '@azure/functions';
import type { HttpResponseInit } from '@azure/functions';
import type { OperationName } from '../../../functions/handlers/index.js';
import { appRoutes, type Route } from '../../../local/functions-host/routes.js';
import type { Runtime } from '../../../functions/runtime.js';
import type { BackendHandler, BackendRequest, BackendResponse } from '../../../policies/emulator/index.js';

const { HttpRequest, InvocationContext } = azureFunctions;

/** The service URL of the API in a proof (a reserved name, RFC 2606: nothing is resolved). */
export const proveBackendUrl = 'https://func-apim-rls.invalid/api';

export interface ReceivedRequest {
  operation: OperationName | null;
  method: string;
  path: string;
  /** lower-case names, as forwarded */
  headers: Record<string, string>;
  status: number;
  /** the handler's audit line, when it wrote one */
  audit: { decision?: string; reason?: string | null; proof?: string | null; requestId?: string } | null;
}

const routes: readonly Route[] = appRoutes();

function bodyOf(init: HttpResponseInit): { body: string; contentType?: string } {
  if (init.jsonBody !== undefined) return { body: JSON.stringify(init.jsonBody), contentType: 'application/json' };
  if (typeof init.body === 'string') return { body: init.body };
  if (init.body instanceof Uint8Array) return { body: Buffer.from(init.body).toString('utf8') };
  return { body: '' };
}

function headersOf(init: HttpResponseInit): Record<string, string> {
  const out: Record<string, string> = {};
  const h = init.headers;
  if (!h) return out;
  const entries: Iterable<[string, string]> = h instanceof Headers ? h.entries() : Array.isArray(h) ? (h as [string, string][]) : Object.entries(h as Record<string, string>);
  for (const [k, v] of entries) out[k.toLowerCase()] = v;
  return out;
}

export interface ProveBackend {
  handler: BackendHandler;
  /** every request received, oldest first; `take()` empties it */
  take(): ReceivedRequest[];
}

export function createProveBackend(runtime: Runtime): ProveBackend {
  let received: ReceivedRequest[] = [];
  let invocation = 0;
  const handler: BackendHandler = async (request: BackendRequest): Promise<BackendResponse> => {
    const url = new URL(request.url);
    const method = request.method.toUpperCase();
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(request.headers)) headers[k.toLowerCase()] = v;
    const record: ReceivedRequest = { operation: null, method, path: url.pathname, headers, status: 404, audit: null };
    received.push(record);
    let match: { route: Route; params: Record<string, string> } | undefined;
    for (const route of routes) {
      const m = route.pattern.exec(url.pathname);
      if (!m || route.method !== method) continue;
      const params: Record<string, string> = {};
      route.paramNames.forEach((n, i) => {
        params[n] = decodeURIComponent(m[i + 1] ?? '');
      });
      match = { route, params };
      break;
    }
    if (!match) return { status: 404, headers: { 'content-type': 'application/problem+json' }, body: JSON.stringify({ status: 404, code: 'FN_111_ROUTE_NOT_FOUND' }) };
    record.operation = match.route.name;
    const httpRequest = new HttpRequest({
      method,
      url: url.toString(),
      headers,
      params: match.params,
      query: Object.fromEntries(url.searchParams),
      ...(request.body.byteLength > 0 ? { body: { bytes: Buffer.from(request.body) } } : {}),
    });
    const context = new InvocationContext({
      invocationId: `prove-${++invocation}`,
      functionName: match.route.name,
      logHandler: (_level, ...args) => {
        const text = args.map(String).join(' ');
        try {
          const line = JSON.parse(text) as { type?: unknown; decision?: string; reason?: string | null; proof?: string | null; requestId?: unknown };
          if (line.type === 'apim-rls.audit') {
            record.audit = { decision: line.decision, reason: line.reason ?? null, proof: line.proof ?? null, ...(typeof line.requestId === 'string' ? { requestId: line.requestId } : {}) };
          }
        } catch {
          // not the audit line
        }
      },
    });
    const init = await runtime.handlers[match.route.name].handler(httpRequest, context);
    record.status = init.status ?? 200;
    const { body, contentType } = bodyOf(init);
    const out = headersOf(init);
    if (contentType && !out['content-type']) out['content-type'] = contentType;
    return { status: record.status, headers: out, body };
  };
  return {
    handler,
    take() {
      const out = received;
      received = [];
      return out;
    },
  };
}
