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
  body: unknown;
}

interface Stored {
  value: string;
  format: string;
  etag: string;
}

export interface Fault {
  method: string;
  resource: string;
  status: number;
  code: string;
  message: string;
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
  namedValues: Array<{ name: string; displayName: string }> = [];
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
    const resource = url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) : url.pathname;
    let body: unknown;
    try {
      body = rawBody ? JSON.parse(rawBody) : undefined;
    } catch {
      body = rawBody;
    }
    const method = req.method ?? 'GET';
    const ifMatch = typeof req.headers['if-match'] === 'string' ? req.headers['if-match'] : undefined;
    this.log.push({ method, resource, query: Object.fromEntries(url.searchParams), ifMatch, body });

    if (req.headers.authorization !== `Bearer ${TEST_TOKEN}`) return this.#error(res, 401, 'AuthenticationFailed', 'missing or wrong bearer token');
    if (!url.searchParams.get('api-version')) return this.#error(res, 400, 'MissingApiVersionParameter', "The api-version query parameter (?api-version=) is required for all requests.");
    if (this.hang.has(resource)) return;
    const faultAt = this.faults.findIndex((f) => f.method === method && resource === f.resource);
    if (faultAt >= 0) {
      const [f] = this.faults.splice(faultAt, 1);
      return this.#error(res, f!.status, f!.code, f!.message);
    }
    if (!url.pathname.startsWith(prefix)) {
      const op = this.#operations.get(url.pathname);
      if (op && method === 'GET') return this.#pollOperation(res, url.pathname, op);
      return this.#error(res, 404, 'NotFound', 'no such resource');
    }
    if (resource === 'namedValues' && method === 'GET') return this.#listNamedValues(res, url);
    if (isPolicyResource(resource)) {
      if (method === 'GET') return this.#get(res, resource, url.searchParams.get('format'));
      if (method === 'PUT') return this.#put(res, resource, ifMatch, body);
    }
    return this.#error(res, 404, 'ResourceNotFound', `no handler for ${method} ${resource}`);
  }

  #contract(resource: string, s: Stored): unknown {
    return { id: `/subscriptions/${SUBSCRIPTION}/.../${resource}`, name: resource.split('/').pop(), properties: { value: s.value, format: s.format } };
  }

  #get(res: ServerResponse, resource: string, format: string | null): void {
    const s = this.policies.get(resource);
    if (!s) return this.#error(res, 404, 'ResourceNotFound', 'Policy configuration not found.');
    this.#send(res, 200, this.#contract(resource, { ...s, format: format ?? 'xml' }), { etag: s.etag });
  }

  #put(res: ServerResponse, resource: string, ifMatch: string | undefined, body: unknown): void {
    this.beforePut?.(resource);
    const props = (body as { properties?: { value?: unknown; format?: unknown } } | undefined)?.properties;
    if (typeof props?.value !== 'string' || (props.format !== 'rawxml' && props.format !== 'xml')) {
      return this.#error(res, 400, 'ValidationError', 'properties.value and properties.format (xml|rawxml) are required');
    }
    const current = this.policies.get(resource);
    if (current && ifMatch === undefined) return this.#error(res, 412, 'PreconditionFailed', 'If-Match is required to update an entity');
    if (ifMatch !== undefined && ifMatch !== '*' && ifMatch !== current?.etag) {
      return this.#error(res, 412, 'PreconditionFailed', 'The entity has been modified since it was retrieved.');
    }
    const stored: Stored = { value: this.reformat(props.value), format: props.format, etag: this.#nextEtag() };
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

  #listNamedValues(res: ServerResponse, url: URL): void {
    // two per page, so the client has to follow nextLink
    const skip = Number(url.searchParams.get('$skip') ?? '0');
    const page = this.namedValues.slice(skip, skip + 2);
    const next = skip + 2 < this.namedValues.length ? `${this.endpoint}${url.pathname}?api-version=2024-05-01&$skip=${skip + 2}` : undefined;
    this.#send(res, 200, {
      value: page.map((nv) => ({ id: `.../namedValues/${nv.name}`, name: nv.name, properties: { displayName: nv.displayName, secret: false } })),
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
