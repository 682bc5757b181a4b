/**
 * `startGateway`: the local APIM. Compiles this product's policies (global → product → API →
 * operation) with the emulator once per operation at start-up, then serves the API's paths:
 * each request runs its operation's compiled pipeline, and `forward-request` sends it to the
 * backend (the API's service URL).
 *
 * By default the policies are the product's own (`policies/product`), fed with local values:
 * the dev issuer's discovery URL and issuer, any tenant, and the gateway's dev managed identity
 * (`authentication-managed-identity`) as proof for the backend.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import type { DrainResult } from '../listen.js';
import { parseTraceparent } from '../../policies/emulator/trace-context.js';
import { emulate, KeyCache, LimitCounters, type EmulateOptions, type Emulator, type PolicyInput, type TokenCredentialLike } from '../../policies/emulator/index.js';
import { globalPolicy, ordersApiPolicy, ORDERS_FORWARDED_CLAIMS, type OrdersApiPolicyOptions } from '../../policies/product/index.js';
import { CLIENT_PRINCIPAL_HEADERS } from '../../policies/presets/identity.js';
import type { XmlElement } from '../../policies/xml/tree.js';
import { ordersApi, type ApiDefinition, type ApiOperation } from './routes.js';
import type { GatewayLog } from './log.js';
import { defaultGatewayPort, startGatewayServer, type GatewayExchange, type GatewayResult, type PipelineSet, type PolicyPipeline } from './server.js';

export { defaultGatewayPort } from './server.js';

/** The resource the gateway's managed identity requests a token for (the Functions app's app id URI for gateways). */
export const localBackendResource = 'api://apim-rls-orders-backend';
/** The client id of the gateway's dev managed identity. */
export const localGatewayClientId = 'apim-rls-local-gateway';

export type GatewayScope = 'global' | 'product' | 'api' | 'operation';

export interface GatewayPolicy {
  scope: GatewayScope;
  document: PolicyInput;
  /** For `operation` scope: the operation it applies to. */
  operationId?: string;
}

/** What the gateway needs from the identity provider; a running `DevIssuer` fits. */
export interface GatewayIssuer {
  issuer: string;
  discoveryUrl: string;
  /** A managed-identity stand-in; used for `authentication-managed-identity` unless `credential` is given. */
  credential?(clientId: string): TokenCredentialLike;
}

export interface GatewayOptions {
  /** 0 picks a free port; default 8080. */
  port?: number;
  host?: string;
  /** The API's service URL, e.g. `http://127.0.0.1:7071/api`: operation paths are appended to it. */
  backendUrl: string;
  issuer: GatewayIssuer;
  /** The policies to run; default: the product's global and orders-API policies with local values. */
  policies?: readonly GatewayPolicy[];
  /** Overrides for the default orders-API policy (rate limit, tenants, lifetime, ...). */
  policyOptions?: OrdersApiPolicyOptions;
  /** The gateway's managed identity; default `issuer.credential(localGatewayClientId)`; null: none. */
  credential?: TokenCredentialLike | null;
  api?: ApiDefinition;
  /** Milliseconds since the epoch (token times, rate-limit windows, key cache). */
  clock?: () => number;
  maxBodyBytes?: number;
  /** Shared OpenID key cache (one per gateway by default, as one APIM instance has). */
  keyCache?: KeyCache;
  /** Receives one structured line per request (`jsonLineLog(write)` writes JSON lines); none by default. */
  log?: GatewayLog;
  /**
   * Records the gateway's span of each request (W3C correlation: its id is the parent the backend
   * gets in `traceparent`). Default: the global OpenTelemetry tracer — a no-op until an SDK is
   * registered, and then the emulator makes the ids itself.
   */
  tracer?: Tracer;
}

export interface Gateway {
  url: string;
  /** The OpenID key cache every operation shares (its fetch count is a diagnostic). */
  keyCache: KeyCache;
  /** Stops accepting and lets requests in flight finish, at most `graceInMs` (default 30000). */
  close(graceInMs?: number): Promise<DrainResult>;
}

const emptyPolicies = (): XmlElement => ({ kind: 'element', name: 'policies', attributes: [], children: [] });
/** APIM's default global policy: forward to the backend. */
const defaultGlobal = `<policies><inbound /><backend><forward-request /></backend><outbound /><on-error /></policies>`;

/**
 * `GET /health` is the Functions app's anonymous liveness probe (no caller identity read or
 * needed): its operation policy does not inherit the API's identity chain (no `<base />` in
 * inbound, as an APIM operation opts out of its API's inbound policies), strips client-sent
 * identity headers itself, and forwards. Backend, outbound and on-error inherit as usual.
 */
export const healthOperationPolicy = `<policies><inbound>${[...ORDERS_FORWARDED_CLAIMS.map((c) => c.header), ...CLIENT_PRINCIPAL_HEADERS]
  .map((h) => `<set-header name="${h}" exists-action="delete" />`)
  .join('')}</inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>`;

/** The product's policies with local values. */
export function localPolicies(issuer: GatewayIssuer, withManagedIdentity: boolean, overrides: OrdersApiPolicyOptions = {}): GatewayPolicy[] {
  return [
    { scope: 'operation', operationId: 'health', document: healthOperationPolicy },
    { scope: 'global', document: globalPolicy() },
    {
      scope: 'api',
      document: ordersApiPolicy({
        openidConfigUrl: issuer.discoveryUrl,
        issuer: issuer.issuer,
        allowedTenants: null,
        backendResource: withManagedIdentity ? localBackendResource : null,
        ...overrides,
      }),
    },
  ];
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  if (typeof options.backendUrl !== 'string' || !/^https?:\/\//.test(options.backendUrl)) throw new TypeError('backendUrl must be an http(s) URL');
  const api = options.api ?? ordersApi;
  const clock = options.clock ?? Date.now;
  const credential = options.credential === undefined ? options.issuer.credential?.(localGatewayClientId) : (options.credential ?? undefined);
  // the default policies' operation policies apply to the operations this API has
  const policies = options.policies ?? localPolicies(options.issuer, credential !== undefined, options.policyOptions).filter((p) => p.scope !== 'operation' || api.operations.some((o) => o.id === p.operationId));
  const keyCache = options.keyCache ?? new KeyCache({ now: clock });

  const one = (scope: GatewayScope): PolicyInput | undefined => {
    const found = policies.filter((p) => p.scope === scope);
    if (found.length > 1) throw new TypeError(`more than one ${scope} policy`);
    return found[0]?.document;
  };
  const global = one('global') ?? defaultGlobal;
  const product = one('product') ?? emptyPolicies();
  const apiPolicy = one('api') ?? emptyPolicies();
  for (const p of policies) {
    if (p.scope === 'operation' && !api.operations.some((o) => o.id === p.operationId)) throw new TypeError(`operation policy for unknown operation "${p.operationId ?? ''}"`);
  }

  // one set of rate-limit/quota counters for every operation: "for each key value, a single counter is used for all scopes"
  // W3C correlation, as the product's Application Insights diagnostic is set (docs/audit.md, Tracing)
  const base: EmulateOptions = { backendUrl: options.backendUrl.replace(/\/+$/, ''), now: clock, keyCache, limitCounters: new LimitCounters(), httpCorrelationProtocol: 'W3C' };
  const tracer = options.tracer ?? trace.getTracer('apim-rls-gateway');
  if (credential) base.credential = credential;
  if (api.path !== '') base.apiPath = '/' + api.path.replace(/^\/+|\/+$/g, '');
  const apiInfo = { id: api.name, name: api.name, path: api.path, serviceUrl: base.backendUrl as string };

  const pipeline = (operation: ApiOperation | undefined): PolicyPipeline => {
    const operationPolicy = operation ? policies.find((p) => p.scope === 'operation' && p.operationId === operation.id)?.document : undefined;
    const emulator: Emulator = emulate(operationPolicy ?? emptyPolicies(), {
      ...base,
      // the scope chain, outermost first; an empty scope inherits every section
      scopes: [global, product, apiPolicy],
      context: {
        api: apiInfo,
        ...(operation ? { operation: { id: operation.id, name: operation.id, method: operation.method, urlTemplate: operation.urlTemplate } } : {}),
        deployment: { region: 'local', serviceName: 'apim-rls-local', gatewayId: 'local' },
      },
    });
    return {
      async send(exchange: GatewayExchange): Promise<GatewayResult> {
        // the gateway's span: a child of a valid incoming traceparent, else a new trace's root.
        // Attributes: method, route, path without the query, status, request id — never a header value.
        const parent = parseTraceparent(exchange.headers.traceparent);
        const parentContext = parent === null ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, { traceId: parent.traceId, spanId: parent.parentId, traceFlags: parent.traceFlags, isRemote: true });
        const route = operation?.urlTemplate ?? null;
        const span = tracer.startSpan(
          route === null ? exchange.method : `${exchange.method} ${route}`,
          { kind: SpanKind.SERVER, attributes: { 'http.request.method': exchange.method, 'url.path': exchange.url.pathname, ...(route === null ? {} : { 'http.route': route }), ...(operation ? { 'apim.operation.id': operation.id } : {}) } },
          parentContext,
        );
        const own = span.spanContext();
        let result;
        try {
          result = await emulator.send({
            method: exchange.method,
            url: exchange.url.href,
            headers: exchange.headers,
            body: exchange.body,
            ipAddress: exchange.clientIp,
            matchedParameters: exchange.params,
            span: { traceId: own.traceId, spanId: own.spanId, traceFlags: own.traceFlags },
          });
        } catch (err) {
          span.setStatus({ code: SpanStatusCode.ERROR });
          span.end();
          throw err;
        }
        span.setAttribute('http.response.status_code', result.status);
        span.setAttribute('apim.request_id', result.requestId);
        if (result.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
        const e = result.lastError;
        return {
          status: result.status,
          headers: result.headers,
          body: result.bodyBytes,
          requestId: result.requestId,
          traceId: result.traceContext?.traceId ?? null,
          lastError: e === null ? null : { source: e.source, reason: e.reason, section: e.section },
          returnedBy: result.returnedBy,
        };
      },
    };
  };
  const pipelines: PipelineSet = { forOperation: (op) => pipeline(op), forApi: () => pipeline(undefined) };

  const serverOptions: Parameters<typeof startGatewayServer>[0] = { port: options.port ?? defaultGatewayPort, api, pipelines };
  if (options.host !== undefined) serverOptions.host = options.host;
  if (options.maxBodyBytes !== undefined) serverOptions.maxBodyBytes = options.maxBodyBytes;
  if (options.log !== undefined) serverOptions.log = options.log;
  serverOptions.clock = clock;
  const server = await startGatewayServer(serverOptions);
  return { url: server.url, keyCache, close: (graceInMs) => server.close(graceInMs) };
}
