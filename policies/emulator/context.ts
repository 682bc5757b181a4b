/**
 * The runtime context of one request: what `context` means in expressions (IProxyContext:
 * Request, Response, Variables, RequestId, LastError, Api, Operation, ...) and the mutable
 * state the policy elements change.
 */
import { randomUUID } from 'node:crypto';
import { JToken, parseJson } from './expressions/json.js';
import { CsDateTime, CsDictionary, CsException, CsGuid, CsRecord, CsTimeSpan, HostObject, MultiDict, NO_MEMBER } from './expressions/values.js';

const utf8 = new TextDecoder();

/** IMessageBody: read with As<T>(preserveContent); reading without preserveContent empties it, as in APIM. */
export class MessageBody extends HostObject {
  readonly typeName = 'IMessageBody';
  constructor(public bytes: Uint8Array) {
    super();
  }
  text(): string {
    return utf8.decode(this.bytes);
  }
  set(text: string | Uint8Array): void {
    this.bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  }
  override callMethod(name: string, args: unknown[], typeArgs: string[], named: Record<string, unknown>): unknown {
    if (name !== 'As') return NO_MEMBER;
    const preserve = named.preserveContent === true || args[0] === true;
    const text = this.text();
    if (!preserve) this.bytes = new Uint8Array(0);
    switch (typeArgs[0]) {
      case 'string':
        return text;
      case 'JObject':
      case 'JToken':
      case 'JArray': {
        const t = parseJson(text);
        if (typeArgs[0] === 'JObject' && t.typeName !== 'JObject') throw new CsException('JsonReaderException', 'Error reading JObject from JsonReader.');
        if (typeArgs[0] === 'JArray' && t.typeName !== 'JArray') throw new CsException('JsonReaderException', 'Error reading JArray from JsonReader.');
        return t;
      }
      case 'byte[]':
        return Uint8Array.from(Buffer.from(text, 'utf8'));
      default:
        return NO_MEMBER;
    }
  }
}

/** IUrl of the request. */
export class UrlState extends HostObject {
  readonly typeName = 'IUrl';
  constructor(
    public base: URL,
    /** Path relative to `base` (the operation path), starting with `/` or empty. */
    public path: string,
    public query: MultiDict,
  ) {
    super();
  }
  /** The full URL (base + path + query). */
  href(): string {
    return `${origin(this.base)}${this.path}${this.queryString()}`;
  }
  queryString(): string {
    const parts: string[] = [];
    for (const [k, vs] of this.query.entries()) for (const v of vs) parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
    return parts.length ? `?${parts.join('&')}` : '';
  }
  override getMember(name: string): unknown {
    switch (name) {
      case 'Scheme':
        return this.base.protocol.replace(':', '');
      case 'Host':
        return this.base.hostname;
      case 'Port':
        return this.base.port ? Number(this.base.port) : this.base.protocol === 'https:' ? 443 : 80;
      case 'Path':
        return this.base.pathname.replace(/\/$/, '') + this.path || '/';
      case 'Query':
        return this.query;
      case 'QueryString':
        return this.queryString();
    }
    return NO_MEMBER;
  }
  override callMethod(name: string): unknown {
    return name === 'ToString' ? this.href() : NO_MEMBER;
  }
  override toCsString(): string {
    return this.href();
  }
}

/** `scheme://host` and the base path without its trailing slash, by base URL (shared and never changed: set-backend-service replaces it). */
const origins = new WeakMap<URL, string>();

function origin(base: URL): string {
  let o = origins.get(base);
  if (o === undefined) origins.set(base, (o = `${base.protocol}//${base.host}${base.pathname.replace(/\/$/, '')}`));
  return o;
}

export function urlFrom(href: string): UrlState {
  const u = new URL(href);
  const query = new MultiDict();
  for (const [k, v] of u.searchParams) query.append(k, [v]);
  return new UrlState(new URL(`${u.protocol}//${u.host}`), u.pathname === '/' ? '' : u.pathname, query);
}

export class RequestState extends HostObject {
  readonly typeName = 'IRequest';
  constructor(
    public method: string,
    public url: UrlState,
    readonly originalUrl: UrlState,
    readonly headers: MultiDict,
    readonly body: MessageBody,
    readonly ipAddress: string,
    readonly matchedParameters: CsDictionary,
  ) {
    super();
  }
  override getMember(name: string): unknown {
    switch (name) {
      case 'Method':
        return this.method;
      case 'Url':
        return this.url;
      case 'OriginalUrl':
        return this.originalUrl;
      case 'Headers':
        return this.headers;
      case 'Body':
        return this.body;
      case 'IpAddress':
        return this.ipAddress;
      case 'MatchedParameters':
        return this.matchedParameters;
      case 'Certificate':
        return null;
    }
    return NO_MEMBER;
  }
}

export class ResponseState extends HostObject {
  readonly typeName = 'IResponse';
  constructor(
    public statusCode = 200,
    public statusReason = 'OK',
    readonly headers = new MultiDict(),
    readonly body = new MessageBody(new Uint8Array(0)),
  ) {
    super();
  }
  override getMember(name: string): unknown {
    switch (name) {
      case 'StatusCode':
        return this.statusCode;
      case 'StatusReason':
        return this.statusReason;
      case 'Headers':
        return this.headers;
      case 'Body':
        return this.body;
    }
    return NO_MEMBER;
  }
}

/** What APIM puts in context.LastError. */
export interface LastError {
  source: string;
  reason: string;
  message: string;
  section: string;
  path: string;
  policyId: string;
  scope: string;
}

export class LastErrorValue extends HostObject {
  readonly typeName = 'ILastError';
  constructor(readonly e: LastError) {
    super();
  }
  override getMember(name: string): unknown {
    switch (name) {
      case 'Source':
        return this.e.source;
      case 'Reason':
        return this.e.reason;
      case 'Message':
        return this.e.message;
      case 'Section':
        return this.e.section;
      case 'Path':
        return this.e.path;
      case 'PolicyId':
        return this.e.policyId;
      case 'Scope':
        return this.e.scope;
    }
    return NO_MEMBER;
  }
}

/** Descriptions of the API, operation, product, subscription, user and deployment. */
export interface ContextInfo {
  api?: { id?: string; name?: string; path?: string; serviceUrl?: string; version?: string };
  operation?: { id?: string; name?: string; method?: string; urlTemplate?: string };
  product?: { id?: string; name?: string } | null;
  subscription?: { id?: string; key?: string; name?: string; primaryKey?: string } | null;
  user?: { id?: string; email?: string; firstName?: string; lastName?: string } | null;
  deployment?: { region?: string; serviceName?: string; gatewayId?: string };
}

function record(typeName: string, props: Record<string, unknown>): CsRecord {
  return new CsRecord(typeName, props);
}

export class ProxyContext extends HostObject {
  readonly typeName = 'IProxyContext';
  readonly variables = new CsDictionary('IReadOnlyDictionary<string, object>', true);
  response = new ResponseState();
  lastError: LastError | null = null;
  private statics: Record<string, unknown> | null = null;
  private id: CsGuid | null = null;
  constructor(
    readonly request: RequestState,
    readonly startedAt: number,
    private readonly now: () => number,
    private readonly info: ContextInfo,
    readonly tracing: boolean,
  ) {
    super();
  }
  /** context.RequestId: made when first read. */
  get requestId(): CsGuid {
    return (this.id ??= new CsGuid(randomUUID()));
  }
  /** Api, Operation, Product, ... built on first use (most requests never read them). */
  private buildStatics(): Record<string, unknown> {
    const info = this.info;
    const request = this.request;
    const api = info.api ?? {};
    const op = info.operation ?? {};
    return {
      Api: record('IApi', {
        Id: api.id ?? 'api',
        Name: api.name ?? 'API',
        Path: api.path ?? '',
        ServiceUrl: api.serviceUrl ? urlFrom(api.serviceUrl) : null,
        Version: api.version ?? null,
        IsCurrentRevision: true,
        Revision: '1',
      }),
      Operation: record('IOperation', {
        Id: op.id ?? 'operation',
        Name: op.name ?? 'Operation',
        Method: op.method ?? request.method,
        UrlTemplate: op.urlTemplate ?? request.url.path,
      }),
      Product: info.product ? record('IProduct', { Id: info.product.id ?? 'product', Name: info.product.name ?? 'Product' }) : null,
      Subscription: info.subscription
        ? record('ISubscription', {
            Id: info.subscription.id ?? 'subscription',
            Key: info.subscription.key ?? null,
            Name: info.subscription.name ?? 'Subscription',
            PrimaryKey: info.subscription.primaryKey ?? info.subscription.key ?? null,
          })
        : null,
      User: info.user
        ? record('IUser', { Id: info.user.id ?? 'user', Email: info.user.email ?? null, FirstName: info.user.firstName ?? null, LastName: info.user.lastName ?? null })
        : null,
      Deployment: record('IDeployment', {
        Region: info.deployment?.region ?? 'local',
        ServiceName: info.deployment?.serviceName ?? 'apim-rls-emulator',
        GatewayId: info.deployment?.gatewayId ?? 'managed',
      }),
    };
  }
  override getMember(name: string): unknown {
    switch (name) {
      case 'Request':
        return this.request;
      case 'Response':
        return this.response;
      case 'Variables':
        return this.variables;
      case 'RequestId':
        return this.requestId;
      case 'LastError':
        return this.lastError ? new LastErrorValue(this.lastError) : null;
      case 'Elapsed':
        return new CsTimeSpan(this.now() - this.startedAt);
      case 'Timestamp':
        return new CsDateTime(this.startedAt);
      case 'Tracing':
        return this.tracing;
    }
    const statics = (this.statics ??= this.buildStatics());
    return Object.hasOwn(statics, name) ? statics[name] : NO_MEMBER;
  }
}

export { JToken };
