/**
 * `emulate(policy, options).send(request)`: the test harness and the engine of the local
 * gateway. The policy (and its enclosing scopes) is compiled once in `emulate`; `send` runs the
 * recipe: inbound → backend → outbound, on-error when a policy fails.
 */
import { buildPolicy } from '../model/codec.js';
import type { PolicyDocument, PolicyFragment } from '../model/document.js';
import { parsePolicyXml } from '../xml/parse.js';
import { childElements, type XmlElement } from '../xml/tree.js';
import {
  PolicyFailure,
  ReturnSignal,
  compileElements,
  runSteps,
  type BackendHandler,
  type CompileContext,
  type CompileOptions,
  type MetricEntry,
  type NamedValues,
  type Run,
  type SectionName,
  type Services,
  type Step,
  type TokenCredentialLike,
  type TraceEntry,
} from './compile.js';
import { MessageBody, ProxyContext, RequestState, ResponseState, UrlState, urlFrom, type ContextInfo, type LastError } from './context.js';
import { EmulatorError } from './errors.js';
import { CsDictionary, MultiDict } from './expressions/values.js';
import { KeyCache, type FetchLike } from './jwt/keys.js';
import { LimitCounters } from './elements/counters.js';
import { earlyJwtCheck, settle, startEarly } from './overlap.js';
import { SIGNATURE_DISPATCH_TICKS } from './jwt/validate.js';
import './elements/index.js';
import { gatewaySpanContext, randomTraceIds, type GatewaySpanContext, type TraceIdGenerator } from './trace-context.js';

/** A policy as XML text, the parsed tree, or a typed document from policies/model. */
export type PolicyInput = string | XmlElement | PolicyDocument | PolicyFragment;

export interface EmulateOptions {
  /** Enclosing scopes, outermost first (global → product → API); `<base />` walks up this chain. */
  scopes?: PolicyInput[];
  /** Fragments for include-fragment, by fragment id. */
  fragments?: Record<string, PolicyInput>;
  /** `{{name}}` values; an unknown name fails the compile. */
  namedValues?: NamedValues;
  /** Default backend (the API's service URL) when no set-backend-service sets one. */
  backendUrl?: string;
  /** In-process backend used by forward-request instead of HTTP. */
  backend?: BackendHandler;
  /** For authentication-managed-identity. */
  credential?: TokenCredentialLike;
  /** Clock in ms since the epoch (token times, rate-limit windows, key cache). Default Date.now. */
  now?: () => number;
  /** [0, 1) source for `new Random()`. Default Math.random. */
  random?: () => number;
  /** retry's waits. Default setTimeout. */
  sleep?: (ms: number) => Promise<void>;
  /** Shared OpenID key cache (share one between emulators, as one APIM instance does). */
  keyCache?: KeyCache;
  /** Shared rate-limit and quota counters (share one between emulators, as one APIM instance does). */
  limitCounters?: LimitCounters;
  /** fetch for OpenID discovery/JWKS when no keyCache is given, and for forward-request. */
  fetch?: typeof globalThis.fetch;
  /** OpenID configuration URL of an Entra tenant (validate-azure-ad-token). */
  azureAdOpenIdConfigUrl?: (tenantId: string) => string;
  /** Api, Operation, Product, Subscription, User and Deployment seen by expressions. */
  context?: ContextInfo;
  /** The API's URL suffix on the gateway (`/orders`): stripped from the caller's path before forwarding. */
  apiPath?: string;
  /**
   * false: validate-jwt waits for its signature check in place, and nothing starts before the
   * steps ahead of it have run (the reference behaviour the overlap is tested against). Default
   * true: the check overlaps the run (overlap.ts) with the same results.
   */
  overlapSignatureCheck?: boolean;
  /**
   * The correlation protocol of the Application Insights diagnostic (`httpCorrelationProtocol`):
   * `W3C` continues or starts a trace per request and forwards `traceparent` with the gateway's
   * span as the parent (trace-context.ts); `None` (default, as with no diagnostic) reads and
   * injects no correlation header — a caller's headers pass as they are. `Legacy` (Request-Id)
   * is not modelled: refused.
   */
  httpCorrelationProtocol?: 'None' | 'W3C';
  /** New trace and span ids for W3C correlation; default random (an OpenTelemetry `IdGenerator` fits). */
  traceIds?: TraceIdGenerator;
}

export interface EmulatorRequest {
  method?: string;
  /** Absolute URL the caller used, e.g. `https://contoso.azure-api.net/orders/1?x=1`. */
  url: string;
  headers?: Record<string, string | readonly string[]>;
  /** Text, bytes, or a value sent as JSON. */
  body?: string | Uint8Array | object;
  /** Caller's IP (ip-filter). Default 127.0.0.1. */
  ipAddress?: string;
  /** Template parameters of the matched operation (rewrite-uri, MatchedParameters). */
  matchedParameters?: Record<string, string>;
  /** Trace on (context.Tracing). */
  tracing?: boolean;
  /**
   * W3C correlation: the span the host recorded for this request (the local gateway's
   * OpenTelemetry span). Used when it continues the incoming trace (or starts one when there is
   * none); otherwise the emulator makes the span's ids itself.
   */
  span?: { traceId: string; spanId: string; traceFlags: number };
}

export interface EmulatorResult {
  status: number;
  reason: string;
  /** Header name (lower case) → values joined with ", ". */
  headers: Record<string, string>;
  body: string;
  bodyBytes: Uint8Array;
  variables: Record<string, unknown>;
  trace: TraceEntry[];
  metrics: MetricEntry[];
  lastError: LastError | null;
  /** The requests forward-request sent (method, URL, headers). */
  backendCalls: { method: string; url: string; headers: Record<string, string> }[];
  /** context.RequestId. */
  requestId: string;
  /** The policy path whose return ended the pipeline (return-response, mock-response, a cors preflight), else null. */
  returnedBy: string | null;
  /** W3C correlation: the gateway's span of this request (trace id, its span id, the caller's span); null with `None`. */
  traceContext: GatewaySpanContext | null;
}

export interface Emulator {
  send(request: EmulatorRequest): Promise<EmulatorResult>;
}

const SECTIONS: SectionName[] = ['inbound', 'backend', 'outbound', 'on-error'];

/** Turns any accepted policy form into the generic XML tree. */
export function toPolicyTree(policy: PolicyInput): XmlElement {
  if (typeof policy === 'string') return parsePolicyXml(policy);
  if ((policy as XmlElement).kind === 'element') return policy as XmlElement;
  const kind = (policy as { kind?: unknown }).kind;
  if (kind === 'policies' || kind === 'fragment') return buildPolicy(policy as PolicyDocument | PolicyFragment);
  throw new TypeError('policy must be XML text, an XmlElement or a typed policy document');
}

/** Compiles the policy with its scope chain; throws EmulatorError for what it cannot run. */
export function emulate(policy: PolicyInput, options: EmulateOptions = {}): Emulator {
  const chain = [...(options.scopes ?? []), policy].map(toPolicyTree);
  for (const root of chain) {
    if (root.name !== 'policies') throw new EmulatorError('INVALID_POLICY', `a policy document has the root <policies>, not <${root.name}>`);
  }
  const fragments: Record<string, XmlElement> = {};
  for (const [id, f] of Object.entries(options.fragments ?? {})) fragments[id] = toPolicyTree(f);
  const now = options.now ?? Date.now;
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const services: Services = {
    now,
    random: options.random ?? Math.random,
    sleep: options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
    fetch: fetchImpl,
    keyCache: options.keyCache ?? new KeyCache({ now, fetch: fetchImpl as unknown as FetchLike }),
    counters: options.limitCounters ?? new LimitCounters(),
    azureAdOpenIdConfigUrl: options.azureAdOpenIdConfigUrl ?? ((t) => `https://login.microsoftonline.com/${t}/v2.0/.well-known/openid-configuration`),
  };
  if (options.backend) services.backendHandler = options.backend;
  if (options.credential) services.credential = options.credential;
  const compileOptions: CompileOptions = { namedValues: options.namedValues ?? {}, fragments, services };
  const scopeNames = ['global', 'product', 'api', 'operation'];
  const scopeName = (level: number): string => scopeNames[scopeNames.length - chain.length + level] ?? `scope${level}`;

  const compileSection = (section: SectionName, level: number): Step[] => {
    if (level < 0) return [];
    const root = chain[level]!;
    const el = childElements(root, section)[0];
    // a scope without the section inherits it
    if (!el) return compileSection(section, level - 1);
    const cc: CompileContext = {
      options: compileOptions,
      section,
      target: section === 'inbound' || section === 'backend' ? 'request' : 'response',
      path: section,
      scope: scopeName(level),
      including: [],
    };
    if (options.overlapSignatureCheck === false) cc.overlap = false;
    return compileElements(el.children, cc, () => compileSection(section, level - 1));
  };
  const steps = Object.fromEntries(SECTIONS.map((s) => [s, compileSection(s, chain.length - 1)])) as Record<SectionName, Step[]>;
  let backendBase: URL | undefined;
  if (options.backendUrl !== undefined) {
    try {
      backendBase = new URL(options.backendUrl);
    } catch {
      throw new EmulatorError('INVALID_POLICY', `backendUrl ${JSON.stringify(options.backendUrl)} is not an absolute URL`);
    }
  }
  const apiPath = (options.apiPath ?? '').replace(/\/$/, '');
  const protocol = options.httpCorrelationProtocol ?? 'None';
  if (protocol !== 'None' && protocol !== 'W3C') throw new TypeError(`httpCorrelationProtocol ${JSON.stringify(protocol)} is not supported (None or W3C)`);
  const traceIds = protocol === 'W3C' ? (options.traceIds ?? randomTraceIds) : null;
  const info = options.context ?? {};

  // validate-jwt's check may start when a request arrives (overlap.ts)
  const early = options.overlapSignatureCheck === false ? null : earlyJwtCheck(steps.inbound);
  // parsed request URLs by text (a template: every run clones its query; the base URL is never mutated)
  const urls = new Map<string, UrlState>();
  return {
    async send(request: EmulatorRequest): Promise<EmulatorResult> {
      const started = early === null ? null : startEarly(early, request.headers, services.now());
      // the signature check reaches the thread pool before the run is set up
      if (started !== null) for (let i = 0; i < SIGNATURE_DISPATCH_TICKS; i++) await null;
      const run = createRun(request, services, info, backendBase, apiPath, urls);
      run.early = started;
      if (traceIds !== null) {
        // read as the request arrives, before any policy changes a header
        const headers = run.context.request.headers;
        run.traceContext = gatewaySpanContext(headers.get('traceparent'), headers.get('tracestate'), traceIds, request.span);
      }
      await execute(steps, run);
      // rate-limit/quota increments deferred to the end of the pipeline (elements/limits.ts)
      if (run.afterResponse !== null) for (const count of run.afterResponse) count();
      return result(run);
    },
  };
}

const URL_CACHE_SIZE = 256;
/** Read-only, so one empty instance serves every request without template parameters. */
const NO_MATCHED_PARAMETERS = new CsDictionary('IReadOnlyDictionary<string, string>', true);

function createRun(request: EmulatorRequest, services: Services, info: ContextInfo, backendBase: URL | undefined, apiPath: string, urls: Map<string, UrlState>): Run {
  let original = urls.get(request.url);
  if (original === undefined) {
    try {
      original = urlFrom(request.url);
    } catch {
      throw new EmulatorError('INVALID_REQUEST', `request url ${JSON.stringify(request.url)} is not an absolute URL`);
    }
    if (typeof request.url === 'string') {
      if (urls.size >= URL_CACHE_SIZE) urls.clear();
      urls.set(request.url, original);
    }
  }
  const headers = new MultiDict();
  for (const name in request.headers) {
    const v = request.headers[name]!;
    headers.append(name, typeof v === 'string' ? [v] : [...v]);
  }
  let body: Uint8Array;
  if (request.body === undefined) body = new Uint8Array(0);
  else if (typeof request.body === 'string') body = Buffer.from(request.body, 'utf8');
  else if (request.body instanceof Uint8Array) body = request.body;
  else {
    body = Buffer.from(JSON.stringify(request.body), 'utf8');
    if (!headers.has('content-type')) headers.set('Content-Type', ['application/json']);
  }
  if (body.byteLength > 0 && !headers.has('content-length')) headers.set('Content-Length', [String(body.byteLength)]);
  // the backend URL: service URL + the caller's path below the API suffix
  let opPath = original.path;
  if (apiPath && (opPath === apiPath || opPath.startsWith(apiPath + '/'))) opPath = opPath.slice(apiPath.length);
  // the parsed service URL is shared (never mutated: set-backend-service replaces it)
  const base = backendBase ?? original.base;
  const url = new UrlState(base, opPath === '/' ? '' : opPath, original.query.size ? original.query.clone() : new MultiDict());
  const matched = request.matchedParameters ? new CsDictionary('IReadOnlyDictionary<string, string>', true, Object.entries(request.matchedParameters)) : NO_MATCHED_PARAMETERS;
  // OriginalUrl is only read (by expressions, which cannot change a URL): the parsed template itself
  const req = new RequestState((request.method ?? 'GET').toUpperCase(), url, original, headers, new MessageBody(body), request.ipAddress ?? '127.0.0.1', matched);
  const startedAt = services.now();
  const context = new ProxyContext(req, startedAt, services.now, info, request.tracing ?? false);
  return {
    context,
    services,
    now: services.now,
    random: services.random,
    trace: [],
    metrics: [],
    backendCalls: [],
    corsHeaders: null,
    limitHeaders: null,
    afterResponse: null,
    countedKeys: null,
    returnedBy: null,
    returning: null,
    sending: null,
    step: null,
    pending: null,
    early: null,
    traceContext: null,
  };
}

/** The recipe: inbound → backend → outbound; on-error on a failure; a return stops the pipeline. */
async function execute(steps: Record<SectionName, Step[]>, run: Run): Promise<void> {
  let section: SectionName = 'inbound';
  try {
    // a section that never waits returns undefined: no await (no microtask turn) for it
    let waiting = runSection(steps.inbound, run);
    if (waiting !== undefined) await waiting;
    section = 'backend';
    waiting = runSection(steps.backend, run);
    if (waiting !== undefined) await waiting;
    section = 'outbound';
    waiting = runSection(steps.outbound, run);
    if (waiting !== undefined) await waiting;
  } catch (caught) {
    const err = await failureOfPending(run, caught);
    if (err instanceof ReturnSignal) {
      run.context.response = err.response;
      run.returnedBy = run.step?.path ?? null;
      return;
    }
    if (!(err instanceof PolicyFailure)) throw err;
    annotate(err, run);
    await onError(steps, run, err, section);
  }
}

/** A section's steps, then the signature check still under way (a section never ends with one); undefined when nothing waited. */
function runSection(steps: readonly Step[], run: Run): void | Promise<void> {
  const waiting = runSteps(steps, run);
  if (waiting !== undefined) return waiting.then(() => (run.pending !== null ? settle(run) : undefined));
  return run.pending !== null ? settle(run) : undefined;
}

/** What leaves the section: a pending signature check's failure wins over a return or a later failure. */
async function failureOfPending(run: Run, caught: unknown): Promise<unknown> {
  if (run.pending === null) return caught;
  try {
    await settle(run);
  } catch (err) {
    return err;
  }
  return caught;
}

function annotate(failure: PolicyFailure, run: Run): void {
  const at = run.step;
  if (!at || failure.error.path !== undefined) return;
  failure.error.path = at.path;
  failure.error.section = at.section;
  failure.error.scope = at.scope;
  if (!failure.error.policyId) failure.error.policyId = at.policyId;
}

async function onError(steps: Record<SectionName, Step[]>, run: Run, failure: PolicyFailure, section: SectionName): Promise<void> {
  run.context.lastError = {
    source: failure.error.source,
    reason: failure.error.reason,
    message: failure.error.message,
    section: failure.error.section ?? section,
    path: failure.error.path ?? '',
    policyId: failure.error.policyId,
    scope: failure.error.scope ?? '',
  };
  // the failing policy's own response; on-error may change or replace it
  if (failure.body !== null || failure.status !== run.context.response.statusCode) {
    const r = new ResponseState(failure.status, reasonPhrase(failure.status));
    if (failure.body !== null) {
      r.headers.set('Content-Type', ['application/json']);
      r.body.set(failure.body);
    }
    for (const [k, v] of Object.entries(failure.headers)) r.headers.set(k, [v]);
    run.context.response = r;
  }
  try {
    const waiting = runSection(steps['on-error'], run);
    if (waiting !== undefined) await waiting;
  } catch (caught) {
    const err = await failureOfPending(run, caught);
    if (err instanceof ReturnSignal) {
      run.context.response = err.response;
      run.returnedBy = run.step?.path ?? null;
      return;
    }
    if (err instanceof PolicyFailure) {
      // a failure inside on-error: APIM answers 500 and stops
      run.context.response = new ResponseState(500, 'Internal Server Error');
      return;
    }
    throw err;
  }
}

function reasonPhrase(status: number): string {
  const r: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway', 504: 'Gateway Timeout' };
  return r[status] ?? '';
}

/**
 * What the lazily made members of a result read: a non-enumerable slot of the result. The getters
 * are shared functions, not closures made per result — an object literal's getter closures give
 * each result accessors of its own, which V8 keeps where a scavenge treats them as live, so every
 * run stayed reachable until a full collection (about 9 % of all allocation survived each
 * scavenge and was promoted).
 */
const LAZY = Symbol('emulator result');

interface LazyMembers {
  readonly run: Run;
  readonly bytes: Uint8Array;
  readonly variables: Map<string, unknown>;
  body: string | undefined;
  vars: Record<string, unknown> | undefined;
}

type WithLazy = { [LAZY]: LazyMembers };

function lazyBody(this: WithLazy): string {
  const m = this[LAZY];
  return (m.body ??= Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength).toString('utf8'));
}
function lazyVariables(this: WithLazy): Record<string, unknown> {
  const m = this[LAZY];
  return (m.vars ??= Object.fromEntries(m.variables));
}
function lazyRequestId(this: WithLazy): string {
  return this[LAZY].run.context.requestId.value;
}
// as an object literal's getters are: enumerable, configurable, no setter
const BODY: PropertyDescriptor = { get: lazyBody, enumerable: true, configurable: true };
const VARIABLES: PropertyDescriptor = { get: lazyVariables, enumerable: true, configurable: true };
const REQUEST_ID: PropertyDescriptor = { get: lazyRequestId, enumerable: true, configurable: true };

function result(run: Run): EmulatorResult {
  const res = run.context.response;
  if (run.limitHeaders !== null) for (const [k, v] of Object.entries(run.limitHeaders)) if (!res.headers.has(k)) res.headers.set(k, [v]);
  if (run.corsHeaders !== null) for (const [k, v] of Object.entries(run.corsHeaders)) res.headers.set(k, [v]);
  const headers: Record<string, string> = {};
  for (const [key, e] of res.headers.keyed()) headers[key] = e.values.join(', ');
  const bytes = res.body.bytes;
  // body text, variables and the request id are made when read (the gateway reads neither body nor variables);
  // the members in the order the interface lists them
  const out = { status: res.statusCode, reason: res.statusReason, headers } as EmulatorResult;
  Object.defineProperty(out, 'body', BODY);
  out.bodyBytes = bytes;
  Object.defineProperty(out, 'variables', VARIABLES);
  out.trace = run.trace;
  out.metrics = run.metrics;
  out.lastError = run.context.lastError;
  out.backendCalls = run.backendCalls;
  Object.defineProperty(out, 'requestId', REQUEST_ID);
  out.returnedBy = run.returnedBy;
  out.traceContext = run.traceContext;
  const lazy: LazyMembers = { run, bytes, variables: run.context.variables.map, body: undefined, vars: undefined };
  Object.defineProperty(out, LAZY, { value: lazy });
  return out;
}
