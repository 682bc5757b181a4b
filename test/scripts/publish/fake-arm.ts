/**
 * A stand-in for the Azure Resource Manager endpoints `policy publish` calls, served over
 * HTTPS on 127.0.0.1 (the Azure SDK refuses to send a bearer token over plain http, and that
 * refusal is worth keeping). It imitates: ETags and If-Match (412 on mismatch), 404 when a
 * policy is absent, the `api-version` query, bearer authentication, named values with paging,
 * and the long-running-operation protocol for policy fragments (202 + Azure-AsyncOperation,
 * polled until Succeeded). Every request is logged so tests can assert what was (not) sent.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const TEST_TOKEN = 'fake-arm-token-7b1e2c';
export const SUBSCRIPTION = '00000000-0000-4000-8000-000000000001';
export const RESOURCE_GROUP = 'rg-test';
export const SERVICE = 'apim-test';

/** A credential that hands out TEST_TOKEN (the fake ARM accepts nothing else). */
export const fakeCredential = {
  getToken: async () => ({ token: TEST_TOKEN, expiresOnTimestamp: Date.now() + 3_600_000 }),
};

export interface LoggedRequest {
  method: string;
  /** Path below `/service/{name}/`, e.g. `apis/orders/policies/policy`; the full path for others. */
  resource: string;
  query: Record<string, string>;
  ifMatch: string | undefined;
  ifNoneMatch: string | undefined;
  body: unknown;
  /** The path as sent (percent-encoded). */
  rawPath: string;
}

interface Stored {
  value: string;
  format: string;
  etag: string;
  description?: string;
}

export interface Fault {
  method: string;
  resource: string;
  status: number;
  code: string;
  message: string;
  /** Response headers (e.g. `retry-after`). */
  headers?: Record<string, string>;
}

/** A named value as the fake stores it (ARM returns `value` only when not secret). */
export interface FakeNamedValue {
  name: string;
  displayName: string;
  value?: string;
  secret?: boolean;
  tags?: string[];
  keyVault?: { secretIdentifier: string; identityClientId?: string };
  etag?: string;
}

/** Creates a throw-away self-signed certificate for 127.0.0.1, or null without openssl. */
export function makeTestCertificate(): { key: string; cert: string } | null {
  const dir = mkdtempSync(join(tmpdir(), 'fake-arm-'));
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=127.0.0.1',
        '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } catch {
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export class FakeArm {
  readonly log: LoggedRequest[] = [];
  readonly policies = new Map<string, Stored>();
  /** Named values as ARM lists them: resource name and display name. */
  namedValues: FakeNamedValue[] = [];
  /** Products, APIs (revisions) and operations that exist, by path: `apis/orders`, `apis/orders/operations/list`, `workspaces/ws/products/p`. */
  readonly existing = new Set<string>();
  /** Faults answered once each, in order, to the first matching request. */
  readonly faults: Fault[] = [];
  /** Called before a PUT is applied (simulate a concurrent writer). */
  beforePut: ((resource: string) => void) | undefined;
  /** Applied to a value when stored (APIM re-formats what it stores). */
  reformat: (value: string) => string = (v) => v;
  /** Resources whose requests are never answered (until stop). */
  readonly hang = new Set<string>();
  /** How many times an LRO status is InProgress before Succeeded. */
  lroPolls = 2;
  endpoint = '';
  readonly #cert: { key: string; cert: string };
  #server: Server | undefined;
  #etag = 0;
  readonly #operations = new Map<string, { remaining: number; resource: string; stored: Stored }>();
  readonly #nvOperations = new Map<string, { remaining: number; apply: () => void }>();

  constructor(cert: { key: string; cert: string }) {
    this.#cert = cert;
  }

  get ca(): string {
    return this.#cert.cert;
  }

  async start(): Promise<this> {
    this.#server = createServer({ key: this.#cert.key, cert: this.#cert.cert }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.#handle(req, res, Buffer.concat(chunks).toString('utf8')));
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    const addr = this.#server.address();
    if (addr === null || typeof addr === 'string') throw new Error('no address');
    this.endpoint = `https://127.0.0.1:${addr.port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }

  /** Stores a policy as if it had been published before; returns its ETag. */
  seed(resource: string, value: string, format = 'rawxml'): string {
    const etag = this.#nextEtag();
    this.policies.set(resource, { value, format, etag });
    return etag;
  }

  puts(): LoggedRequest[] {
    return this.log.filter((r) => r.method === 'PUT');
  }

  #nextEtag(): string {
    return `"${++this.#etag}"`;
  }

  #send(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, { ...(text ? { 'content-type': 'application/json; charset=utf-8' } : {}), ...headers });
    res.end(text);
  }

  #error(res: ServerResponse, status: number, code: string, message: string): void {
    this.#send(res, status, { error: { code, message } });
  }

  #handle(req: IncomingMessage, res: ServerResponse, rawBody: string): void {
    const url = new URL(req.url ?? '/', this.endpoint);
    const prefix = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.ApiManagement/service/${SERVICE}/`;
    // segments are percent-encoded (`orders%3Brev%3D2`); the store keys them decoded
    const resource = url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length).split('/').map(decodeURIComponent).join('/') : url.pathname;
    let body: unknown;
    try {
      body = rawBody ? JSON.parse(rawBody) : undefined;
    } catch {
      body = rawBody;
    }
    const method = req.method ?? 'GET';
    const ifMatch = typeof req.headers['if-match'] === 'string' ? req.headers['if-match'] : undefined;
    const ifNoneMatch = typeof req.headers['if-none-match'] === 'string' ? req.headers['if-none-match'] : undefined;
    this.log.push({ method, resource, query: Object.fromEntries(url.searchParams), ifMatch, ifNoneMatch, body, rawPath: url.pathname });

    if (req.headers.authorization !== `Bearer ${TEST_TOKEN}`) return this.#error(res, 401, 'AuthenticationFailed', 'missing or wrong bearer token');
    if (!url.searchParams.get('api-version')) return this.#error(res, 400, 'MissingApiVersionParameter', "The api-version query parameter (?api-version=) is required for all requests.");
    if (this.hang.has(resource)) return;
    const faultAt = this.faults.findIndex((f) => f.method === method && resource === f.resource);
    if (faultAt >= 0) {
      const [f] = this.faults.splice(faultAt, 1);
      return this.#send(res, f!.status, { error: { code: f!.code, message: f!.message } }, f!.headers ?? {});
    }
    if (!url.pathname.startsWith(prefix)) {
      const op = this.#operations.get(url.pathname);
      if (op && method === 'GET') return this.#pollOperation(res, url.pathname, op);
      const nvOp = this.#nvOperations.get(url.pathname);
      if (nvOp && method === 'GET') {
        if (nvOp.remaining > 0) {
          nvOp.remaining--;
          return this.#send(res, 200, { status: 'InProgress' }, { 'retry-after': '0' });
        }
        nvOp.apply();
        this.#nvOperations.delete(url.pathname);
        return this.#send(res, 200, { status: 'Succeeded' });
      }
      return this.#error(res, 404, 'NotFound', 'no such resource');
    }
    const ws = /^(workspaces\/[^/]+\/)?(.*)$/.exec(resource)!;
    const wsPrefix = ws[1] ?? '';
    const inner = ws[2]!;
    if (inner === 'namedValues' && method === 'GET') return this.#listNamedValues(res, url, wsPrefix);
    if (/^namedValues\/[^/]+(\/listValue)?$/.test(inner)) return this.#namedValue(res, method, resource, inner, ifMatch, ifNoneMatch, body);
    if (isPolicyResource(inner)) {
      if (method === 'GET') return this.#get(res, resource, url.searchParams.get('format'));
      if (method === 'PUT') return this.#put(res, resource, ifMatch, body, ifNoneMatch);
      if (method === 'DELETE') return this.#delete(res, resource, ifMatch);
    }
    if (method === 'GET' && /^(policyFragments|products|apis|apis\/[^/]+\/operations)$/.test(inner)) return this.#list(res, resource);
    if (method === 'GET' && this.existing.has(resource)) return this.#send(res, 200, { id: resource, name: resource.split('/').pop(), properties: {} });
    return this.#error(res, 404, 'ResourceNotFound', `no handler for ${method} ${resource}`);
  }

  #contract(resource: string, s: Stored): unknown {
    return { id: `/subscriptions/${SUBSCRIPTION}/.../${resource}`, name: resource.split('/').pop(), properties: { value: s.value, format: s.format, ...(s.description !== undefined ? { description: s.description } : {}) } };
  }

  #get(res: ServerResponse, resource: string, format: string | null): void {
    const s = this.policies.get(resource);
    if (!s) return this.#error(res, 404, 'ResourceNotFound', 'Policy configuration not found.');
    this.#send(res, 200, this.#contract(resource, { ...s, format: format ?? 'xml' }), { etag: s.etag });
  }

  #list(res: ServerResponse, collection: string): void {
    const names = new Set<string>();
    if (collection.endsWith('policyFragments')) {
      for (const k of this.policies.keys()) if (k.startsWith(`${collection}/`) && !k.slice(collection.length + 1).includes('/')) names.add(k.slice(collection.length + 1));
    } else {
      for (const k of this.existing) if (k.startsWith(`${collection}/`) && !k.slice(collection.length + 1).includes('/')) names.add(k.slice(collection.length + 1));
    }
    this.#send(res, 200, { value: [...names].sort().map((n) => ({ id: `.../${collection}/${n}`, name: n, properties: {} })) });
  }

  #delete(res: ServerResponse, resource: string, ifMatch: string | undefined): void {
    const current = this.policies.get(resource);
    if (!current) return this.#send(res, 204);
    if (ifMatch === undefined) return this.#error(res, 400, 'ValidationError', 'If-Match header is required');
    if (ifMatch !== '*' && ifMatch !== current.etag) return this.#error(res, 412, 'PreconditionFailed', 'The entity has been modified since it was retrieved.');
    this.policies.delete(resource);
    this.#send(res, 200);
  }

  #namedValue(res: ServerResponse, method: string, resource: string, inner: string, ifMatch: string | undefined, ifNoneMatch: string | undefined, body: unknown): void {
    const wsPrefix = resource.slice(0, resource.length - inner.length);
    const name = inner.split('/')[1]!;
    const at = this.namedValues.findIndex((nv) => (nv.name === `${wsPrefix}${name}` || (wsPrefix === '' && nv.name === name)));
    const nv = at >= 0 ? this.namedValues[at] : undefined;
    if (inner.endsWith('/listValue')) {
      if (method !== 'POST') return this.#error(res, 405, 'MethodNotAllowed', 'POST only');
      return nv ? this.#send(res, 200, { value: nv.value }) : this.#error(res, 404, 'ResourceNotFound', 'Named value not found.');
    }
    if (method === 'GET') {
      if (!nv) return this.#error(res, 404, 'ResourceNotFound', 'Named value not found.');
      nv.etag ??= this.#nextEtag();
      return this.#send(res, 200, this.#nvContract(nv), { etag: nv.etag });
    }
    if (method === 'DELETE') {
      if (!nv) return this.#send(res, 204);
      if (ifMatch !== '*' && ifMatch !== nv.etag) return this.#error(res, 412, 'PreconditionFailed', 'The entity has been modified since it was retrieved.');
      this.namedValues.splice(at, 1);
      return this.#send(res, 200);
    }
    if (method !== 'PUT') return this.#error(res, 405, 'MethodNotAllowed', method);
    this.beforePut?.(resource);
    if (ifNoneMatch === '*' && nv) return this.#error(res, 412, 'PreconditionFailed', 'The entity already exists.');
    if (nv && ifMatch !== '*' && ifMatch !== nv.etag) return this.#error(res, 412, 'PreconditionFailed', 'The entity has been modified since it was retrieved.');
    const p = ((body as { properties?: Record<string, unknown> }).properties ?? {}) as { displayName?: string; value?: string; secret?: boolean; tags?: string[]; keyVault?: { secretIdentifier: string; identityClientId?: string } };
    if (typeof p.displayName !== 'string' || (p.value === undefined && p.keyVault === undefined)) return this.#error(res, 400, 'ValidationError', 'displayName and value or keyVault are required');
    const stored: FakeNamedValue = {
      name: `${wsPrefix}${name}`, displayName: p.displayName, secret: p.secret === true, tags: p.tags ?? [], etag: this.#nextEtag(),
      ...(p.value !== undefined ? { value: p.value } : {}), ...(p.keyVault ? { keyVault: p.keyVault } : {}),
    };
    // NamedValue_CreateOrUpdate is a long-running operation in ARM: 202 + Azure-AsyncOperation
    const id = `/operationStatuses/${this.#etag}`;
    this.#nvOperations.set(id, { remaining: this.lroPolls, apply: () => (at >= 0 ? this.namedValues.splice(at, 1, stored) : this.namedValues.push(stored)) });
    this.#send(res, 202, undefined, { 'azure-asyncoperation': `${this.endpoint}${id}?api-version=2024-05-01`, 'retry-after': '0' });
  }

  #nvContract(nv: FakeNamedValue): unknown {
    return {
      id: `.../namedValues/${nv.name}`,
      name: nv.name.split('/').pop(),
      properties: { displayName: nv.displayName, secret: nv.secret === true, tags: nv.tags ?? [], ...(nv.secret || nv.keyVault ? {} : { value: nv.value }), ...(nv.keyVault ? { keyVault: nv.keyVault } : {}) },
    };
  }

  #put(res: ServerResponse, resource: string, ifMatch: string | undefined, body: unknown, ifNoneMatch?: string): void {
    this.beforePut?.(resource);
    const props = (body as { properties?: { value?: unknown; format?: unknown } } | undefined)?.properties;
    if (typeof props?.value !== 'string' || (props.format !== 'rawxml' && props.format !== 'xml')) {
      return this.#error(res, 400, 'ValidationError', 'properties.value and properties.format (xml|rawxml) are required');
    }
    const current = this.policies.get(resource);
    // If-None-Match: * — create only (https://www.rfc-editor.org/rfc/rfc9110#field.if-none-match)
    if (ifNoneMatch === '*' && current) return this.#error(res, 412, 'PreconditionFailed', 'The entity already exists.');
    if (current && ifMatch === undefined) return this.#error(res, 412, 'PreconditionFailed', 'If-Match is required to update an entity');
    if (ifMatch !== undefined && ifMatch !== '*' && ifMatch !== current?.etag) {
      return this.#error(res, 412, 'PreconditionFailed', 'The entity has been modified since it was retrieved.');
    }
    const description = (body as { properties?: { description?: unknown } }).properties?.description;
    const stored: Stored = { value: this.reformat(props.value), format: props.format, etag: this.#nextEtag(), ...(typeof description === 'string' ? { description } : {}) };
    if (resource.startsWith('policyFragments/')) {
      const id = `/operationStatuses/${this.#etag}`;
      this.#operations.set(id, { remaining: this.lroPolls, resource, stored });
      return this.#send(res, 202, undefined, {
        'azure-asyncoperation': `${this.endpoint}${id}?api-version=2024-05-01`,
        location: `${this.endpoint}${id}?api-version=2024-05-01`,
        'retry-after': '0',
      });
    }
    this.policies.set(resource, stored);
    this.#send(res, current ? 200 : 201, this.#contract(resource, stored), { etag: stored.etag });
  }

  #pollOperation(res: ServerResponse, id: string, op: { remaining: number; resource: string; stored: Stored }): void {
    if (op.remaining > 0) {
      op.remaining--;
      return this.#send(res, 200, { status: 'InProgress' }, { 'retry-after': '0' });
    }
    this.policies.set(op.resource, op.stored);
    this.#operations.delete(id);
    this.#send(res, 200, { status: 'Succeeded' });
  }

  #listNamedValues(res: ServerResponse, url: URL, wsPrefix = ''): void {
    // two per page, so the client has to follow nextLink
    const skip = Number(url.searchParams.get('$skip') ?? '0');
    const all = this.namedValues.filter((nv) => (wsPrefix === '' ? !nv.name.startsWith('workspaces/') : nv.name.startsWith(wsPrefix)));
    const page = all.slice(skip, skip + 2);
    const next = skip + 2 < all.length ? `${this.endpoint}${url.pathname}?api-version=2024-05-01&$skip=${skip + 2}` : undefined;
    this.#send(res, 200, {
      value: page.map((nv) => this.#nvContract(nv)),
      ...(next ? { nextLink: next } : {}),
    });
  }
}

function isPolicyResource(resource: string): boolean {
  return (
    resource === 'policies/policy' ||
    /^apis\/[^/]+\/policies\/policy$/.test(resource) ||
    /^apis\/[^/]+\/operations\/[^/]+\/policies\/policy$/.test(resource) ||
    /^products\/[^/]+\/policies\/policy$/.test(resource) ||
    /^policyFragments\/[^/]+$/.test(resource)
  );
}
