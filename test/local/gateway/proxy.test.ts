/**
 * The gateway behaves like an HTTP proxy and like APIM at its edges: hop-by-hop headers and
 * `Expect: 100-continue`, operations the API does not define, `GET /health`, header limits, and
 * one structured log line per refusal (docs/gateway-fidelity.md).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevIssuer, type DevIssuer } from '../../../local/issuer/index.js';
import { defaultMaxRequestHeaders, startGateway, type Gateway, type GatewayLogEntry } from '../../../local/gateway/index.js';
import { startRecordingBackend, type RecordingBackend } from './support.js';

const fixedNow = Date.UTC(2030, 0, 1, 12, 0, 0);
const clock = () => fixedNow;
const dir = mkdtempSync(join(tmpdir(), 'apim-rls-proxy-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const alice = { sub: 'alice', oid: '00000000-0000-0000-0000-0000000000a1', tid: 'contoso', roles: ['Orders.Read', 'Orders.Write'] };

/** A raw request through node:http (fetch cannot send Expect or hop-by-hop headers). */
function raw(base: string, path: string, init: { method?: string; headers?: Record<string, string>; body?: string; waitForContinue?: boolean }) {
  const u = new URL(base);
  return new Promise<{ status: number; body: string; continued: boolean }>((resolve, reject) => {
    let continued = false;
    const req = request({ host: u.hostname, port: u.port, path, method: init.method ?? 'GET', headers: init.headers as never, setHost: true });
    req.on('continue', () => {
      continued = true;
      req.end(init.body);
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), continued }));
    });
    req.on('error', reject);
    if (!init.waitForContinue) req.end(init.body);
  });
}

describe('local gateway: HTTP like a proxy, refusals like APIM', () => {
  let issuer: DevIssuer;
  let backend: RecordingBackend;
  let gateway: Gateway;
  const lines: GatewayLogEntry[] = [];
  before(async () => {
    issuer = await startDevIssuer({ port: 0, keyDir: join(dir, 'keys'), clock });
    backend = await startRecordingBackend((r) => ({ status: r.method === 'POST' ? 201 : 200, body: JSON.stringify({ path: r.url }) }));
    gateway = await startGateway({ port: 0, backendUrl: backend.url + '/api', issuer, clock, log: (e) => lines.push(e) });
  });
  after(async () => {
    await gateway?.close();
    await backend?.close();
    await issuer?.close();
  });
  const bearer = async (claims = alice) => `Bearer ${await issuer.mint({ ...claims, roles: [...claims.roles] })}`;

  it('Expect: 100-continue gets the 100, then the request is forwarded without Expect (before: 100 then 500)', async () => {
    const before = backend.received.length;
    const r = await raw(gateway.url, '/orders', {
      method: 'POST',
      headers: { authorization: await bearer(), 'content-type': 'application/json', expect: '100-continue', 'content-length': '13' },
      body: '{"item":"x1"}',
      waitForContinue: true,
    });
    assert.equal(r.continued, true, 'the gateway answered 100 Continue');
    assert.equal(r.status, 201, r.body);
    const got = backend.received.at(-1)!;
    assert.equal(backend.received.length, before + 1);
    assert.equal(got.body, '{"item":"x1"}');
    assert.equal(got.headers.expect, undefined, 'Expect is not forwarded');
  });

  it('headers named in Connection, Proxy-Authorization and other hop-by-hop headers do not reach the backend', async () => {
    const r = await raw(gateway.url, '/orders', {
      headers: { authorization: await bearer(), connection: 'keep-alive, x-hop', 'x-hop': 'secret', 'proxy-authorization': 'Basic cHJveHk6cHc=', 'x-end': 'kept' },
    });
    assert.equal(r.status, 200, r.body);
    const got = backend.received.at(-1)!;
    assert.equal(got.headers['x-hop'], undefined);
    assert.equal(got.headers['proxy-authorization'], undefined);
    assert.equal(got.headers['x-end'], 'kept');
  });

  it('an operation the API does not define is 404 "Resource not found" and never forwarded (before: PUT /orders/1 was forwarded)', async () => {
    const before = backend.received.length;
    lines.length = 0;
    for (const [method, path] of [['PUT', '/orders/1'], ['DELETE', '/orders'], ['OPTIONS', '/orders']] as const) {
      const res = await fetch(gateway.url + path, { method, headers: { authorization: await bearer() } });
      assert.equal(res.status, 404, `${method} ${path}`);
      assert.deepEqual(await res.json(), { statusCode: 404, message: 'Resource not found' });
    }
    assert.equal(backend.received.length, before);
    assert.equal(lines.length, 3);
    assert.deepEqual(
      { source: lines[0]!.LastErrorSource, reason: lines[0]!.LastErrorReason, op: lines[0]!.OperationId, method: lines[0]!.Method, url: lines[0]!.Url },
      { source: 'configuration', reason: 'OperationNotFound', op: null, method: 'PUT', url: '/orders/1' },
    );
  });

  it('GET /health reaches the backend without a token, as the route table says (before: 401), with client identity headers stripped', async () => {
    const res = await fetch(gateway.url + '/health', { headers: { 'X-Identity-Tenant-Id': 'fabrikam' } });
    assert.equal(res.status, 200, await res.clone().text());
    const got = backend.received.at(-1)!;
    assert.equal(got.url, '/api/health');
    assert.equal(got.headers['x-identity-tenant-id'], undefined);
    assert.equal(got.headers.authorization, undefined, 'no managed-identity token for the anonymous probe');
    const other = await fetch(gateway.url + '/orders');
    assert.equal(other.status, 401, 'every other operation still needs a token');
  });

  it('more headers than the gateway accepts: a clean 431 with APIM-style JSON, never a truncated request', async () => {
    const before = backend.received.length;
    const many: Record<string, string> = { authorization: await bearer() };
    for (let i = 0; i < defaultMaxRequestHeaders + 20; i++) many[`x-h${i}`] = 'v';
    const tooMany = await raw(gateway.url, '/orders', { headers: many });
    assert.equal(tooMany.status, 431);
    assert.deepEqual(JSON.parse(tooMany.body), { statusCode: 431, message: 'Request header fields too large' });
    const big = await raw(gateway.url, '/orders', { headers: { authorization: await bearer(), 'x-big': 'a'.repeat(13 * 1024) } });
    assert.equal(big.status, 431);
    assert.deepEqual(JSON.parse(big.body), { statusCode: 431, message: 'Request header fields too large' });
    assert.equal(backend.received.length, before, 'nothing was forwarded');
  });

  it('a request the HTTP parser rejects gets a clean 400 JSON body and one log line', async () => {
    lines.length = 0;
    const u = new URL(gateway.url);
    const text = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(u.port), u.hostname, () => socket.write('GET /orders HTTP/1.1\r\nHost: x\r\nBad Header Name: v\r\n\r\n'));
      const chunks: Buffer[] = [];
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      socket.on('error', reject);
    });
    assert.match(text, /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.deepEqual(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)), { statusCode: 400, message: 'Bad request' });
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.ResponseCode, 400);
    assert.equal(lines[0]!.LastErrorReason, 'BadRequest');
  });

  it('at the limits the gateway accepts, the identity headers it adds still reach the backend whole', async () => {
    const headers: Record<string, string> = { authorization: await bearer() };
    // as many headers as allowed (Host and Connection count), and a header block close to the byte limit
    for (let i = 0; Object.keys(headers).length < defaultMaxRequestHeaders - 3; i++) headers[`x-h${i}`] = 'v';
    headers['x-pad'] = 'p'.repeat(9 * 1024);
    const r = await raw(gateway.url, '/orders', { headers });
    assert.equal(r.status, 200, r.body);
    const got = backend.received.at(-1)!;
    assert.equal(got.headers['x-identity-tenant-id'], 'contoso');
    assert.equal(got.headers['x-identity-object-id'], alice.oid);
    assert.match(String(got.headers.authorization), /^Bearer ey/, 'the managed-identity proof');
  });

  it('every request writes one structured line (refusals: request id, operation, LastError source and reason, status, duration) — never a token', async () => {
    lines.length = 0;
    const forged = (await bearer()).slice(0, -4) + 'AAAA';
    const noToken = await fetch(gateway.url + '/orders/7');
    assert.equal(noToken.status, 401);
    const bad = await fetch(gateway.url + '/orders?access_token=' + encodeURIComponent(forged.slice(7)), { headers: { authorization: forged } });
    assert.equal(bad.status, 401);
    const noRole = await fetch(gateway.url + '/me', { headers: { authorization: await bearer({ ...alice, roles: ['Other'] }) } });
    assert.equal(noRole.status, 403);
    const ok = await fetch(gateway.url + '/orders', { headers: { authorization: await bearer() } });
    assert.equal(ok.status, 200);
    assert.equal(lines.length, 4, 'one line per request, refused or not');
    const [a, b, c, d] = lines as [GatewayLogEntry, GatewayLogEntry, GatewayLogEntry, GatewayLogEntry];
    assert.deepEqual({ code: d.ResponseCode, source: d.LastErrorSource, policy: d.ResponsePolicy, op: d.OperationId }, { code: 200, source: null, policy: null, op: 'list-orders' });
    assert.equal(d.CorrelationId, ok.headers.get('x-request-id') ?? backend.received.at(-1)!.headers['x-request-id'], 'the request id the backend got');
    for (const line of lines) assert.match(String(line.TraceId), /^[0-9a-f]{32}$/, 'every line that ran the policies carries its trace id');
    assert.deepEqual(
      { op: a.OperationId, code: a.ResponseCode, source: a.LastErrorSource, reason: a.LastErrorReason, section: a.LastErrorSection, url: a.Url, cat: a.Category },
      { op: 'get-order', code: 401, source: 'validate-jwt', reason: 'TokenNotPresent', section: 'inbound', url: '/orders/7', cat: 'GatewayLogs' },
    );
    assert.match(a.CorrelationId, /^[0-9a-f-]{36}$/);
    assert.ok(typeof a.TotalTime === 'number' && a.TotalTime >= 0);
    assert.equal(b.LastErrorReason, 'TokenSignatureInvalid');
    assert.equal(b.Url, '/orders', 'the query string (which may hold a token) is not logged');
    assert.equal(c.ResponseCode, 403);
    assert.equal(c.OperationId, 'get-me');
    assert.ok(c.LastErrorReason !== null || c.ResponsePolicy !== null, 'the line names what refused');
    const text = JSON.stringify(lines);
    assert.ok(!text.includes(forged.slice(7, 40)), 'no token in the log');
    assert.ok(!text.includes('eyJ'), 'no JWT fragment in the log');
  });
});
