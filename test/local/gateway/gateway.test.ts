import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { startDevIssuer, type DevIssuer } from '../../../local/issuer/index.js';
import { localBackendResource, localGatewayClientId, startGateway, type Gateway } from '../../../local/gateway/index.js';
import { startRecordingBackend, type RecordingBackend } from './support.js';

const fixedNow = Date.UTC(2030, 0, 1, 12, 0, 0);
let now = fixedNow;
const clock = () => now;
const dir = mkdtempSync(join(tmpdir(), 'apim-rls-gateway-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const alice = { sub: 'alice', oid: '00000000-0000-0000-0000-0000000000a1', tid: 'contoso', roles: ['Orders.Read'] };

describe('local gateway with the product policies', () => {
  let issuer: DevIssuer;
  let backend: RecordingBackend;
  let gateway: Gateway;
  before(async () => {
    issuer = await startDevIssuer({ port: 0, keyDir: join(dir, 'keys'), clock });
    backend = await startRecordingBackend((r) => ({ status: r.method === 'POST' ? 201 : 200, body: JSON.stringify({ path: r.url }), headers: { 'x-powered-by': 'test' } }));
    gateway = await startGateway({ port: 0, backendUrl: backend.url + '/api', issuer, clock, maxBodyBytes: 4096 });
  });
  after(async () => {
    await gateway?.close();
    await backend?.close();
    await issuer?.close();
  });
  const call = (path: string, init: RequestInit = {}) => fetch(gateway.url + path, init);
  const bearer = async (claims = alice) => `Bearer ${await issuer.mint({ ...claims, roles: [...claims.roles] })}`;

  it('answers 401 without a token and never reaches the backend', async () => {
    const before = backend.received.length;
    const res = await call('/orders');
    assert.equal(res.status, 401);
    assert.deepEqual(await res.json(), { statusCode: 401, message: 'Unauthorized' });
    const forged = await call('/orders', { headers: { authorization: 'Bearer not.a.token' } });
    assert.equal(forged.status, 401);
    const noScheme = await call('/orders', { headers: { authorization: (await bearer()).slice('Bearer '.length) } });
    assert.equal(noScheme.status, 401, 'the scheme is required');
    assert.equal(backend.received.length, before);
  });

  it('refuses a valid token without an Orders role, and a token from another issuer', async () => {
    const before = backend.received.length;
    const noRole = await call('/orders', { headers: { authorization: await bearer({ ...alice, roles: ['Something.Else'] }) } });
    assert.equal(noRole.status, 403, 'authenticated but without an Orders role');
    assert.equal(noRole.headers.get('content-type'), 'application/problem+json');
    const other = await startDevIssuer({ port: 0, keyDir: join(dir, 'other-keys'), clock });
    try {
      const foreign = await call('/orders', { headers: { authorization: `Bearer ${await other.mint({ ...alice })}` } });
      assert.equal(foreign.status, 401);
    } finally {
      await other.close();
    }
    assert.equal(backend.received.length, before);
  });

  it('forwards the verified identity, the correlation id and the gateway\'s proof — never the client\'s identity headers', async () => {
    const res = await call('/orders/42?limit=5', {
      headers: {
        authorization: await bearer(),
        'X-Identity-Tenant-Id': 'fabrikam',
        'X-Identity-Object-Id': '00000000-0000-0000-0000-0000000000c1',
        'X-Identity-Roles': 'Orders.Admin',
        'X-Identity-Subject': 'carol',
        'X-MS-CLIENT-PRINCIPAL-ID': 'someone',
      },
    });
    assert.equal(res.status, 200, await res.clone().text());
    assert.deepEqual(await res.json(), { path: '/api/orders/42?limit=5' });
    assert.equal(res.headers.get('x-powered-by'), null, 'the global policy strips server banners');
    const got = backend.received.at(-1)!;
    assert.equal(got.method, 'GET');
    assert.equal(got.url, '/api/orders/42?limit=5');
    assert.equal(got.headers['x-identity-tenant-id'], 'contoso');
    assert.equal(got.headers['x-identity-object-id'], alice.oid);
    assert.equal(got.headers['x-identity-subject'], 'alice');
    assert.equal(got.headers['x-identity-roles'], encodeURIComponent('["Orders.Read"]'), 'a JSON array, percent-encoded');
    assert.equal(got.headers['x-ms-client-principal-id'], undefined);
    assert.match(String(got.headers['x-request-id']), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    // Authorization now holds the gateway's managed-identity token for the backend, not the caller's
    const auth = String(got.headers.authorization);
    assert.match(auth, /^Bearer /);
    const { payload } = await jwtVerify(auth.slice(7), createRemoteJWKSet(new URL(issuer.jwksUri)), { issuer: issuer.issuer, audience: localBackendResource, currentDate: new Date(now) });
    assert.equal(payload.azp, localGatewayClientId);
    assert.equal(payload.idtyp, 'app');
  });

  it('refuses any other header in the identity namespace before the backend', async () => {
    const before = backend.received.length;
    const res = await call('/orders', { headers: { authorization: await bearer(), 'X-Identity-Extra': 'smuggled' } });
    assert.equal(res.status, 400);
    assert.equal(backend.received.length, before);
  });

  it('gives every request its own correlation id', async () => {
    const auth = await bearer();
    await call('/me', { headers: { authorization: auth } });
    await call('/me', { headers: { authorization: auth } });
    const [a, b] = backend.received.slice(-2);
    assert.equal(a!.url, '/api/me');
    assert.notEqual(a!.headers['x-request-id'], b!.headers['x-request-id']);
  });

  it('forwards the method and the body', async () => {
    const res = await call('/orders', { method: 'POST', headers: { authorization: await bearer(), 'content-type': 'application/json' }, body: JSON.stringify({ item: 'widget', quantity: 2 }) });
    assert.equal(res.status, 201);
    const got = backend.received.at(-1)!;
    assert.equal(got.method, 'POST');
    assert.deepEqual(JSON.parse(got.body), { item: 'widget', quantity: 2 });
    assert.equal(got.headers['content-type'], 'application/json');
  });

  it('answers APIM\'s 404 for a path of no operation, and 413 for a body over the limit', async () => {
    const before = backend.received.length;
    const missing = await call('/invoices', { headers: { authorization: await bearer() } });
    assert.equal(missing.status, 404);
    assert.deepEqual(await missing.json(), { statusCode: 404, message: 'Resource not found' });
    const big = await call('/orders', { method: 'POST', headers: { authorization: await bearer(), 'content-type': 'application/json' }, body: JSON.stringify({ item: 'x'.repeat(5000) }) });
    assert.equal(big.status, 413);
    assert.equal(backend.received.length, before);
  });
});

describe('local gateway: key rotation', () => {
  it('accepts tokens signed with the new key without a restart, with a bounded number of JWKS fetches', async () => {
    now = fixedNow;
    const issuer = await startDevIssuer({ port: 0, keyDir: join(dir, 'rotation-keys'), clock });
    const backend = await startRecordingBackend();
    // a limit high enough for 200 calls from one caller
    const gateway = await startGateway({ port: 0, backendUrl: backend.url + '/api', issuer, clock, policyOptions: { rateLimit: { calls: 10_000, renewalPeriodSeconds: 60 } } });
    try {
      const oldToken = await issuer.mint({ ...alice });
      const statuses: number[] = [];
      for (let i = 0; i < 100; i++) {
        statuses.push((await fetch(gateway.url + '/orders', { headers: { authorization: `Bearer ${oldToken}` } })).status);
        now += 1000;
      }
      const fetchesBefore = issuer.stats.jwksFetches;
      assert.equal(fetchesBefore, 1, 'one JWKS fetch serves every request before the rotation');
      await issuer.rotate();
      const newToken = await issuer.mint({ ...alice });
      for (let i = 0; i < 100; i++) {
        // interleave tokens in flight (old key) with tokens from the new key
        const token = i % 4 === 0 ? oldToken : newToken;
        statuses.push((await fetch(gateway.url + '/orders', { headers: { authorization: `Bearer ${token}` } })).status);
        now += 1000;
      }
      assert.deepEqual([...new Set(statuses)], [200]);
      assert.equal(backend.received.length, 200);
      assert.ok(issuer.stats.jwksFetches <= 2, `JWKS fetched ${issuer.stats.jwksFetches} times for 200 requests across a rotation`);
      assert.equal(issuer.stats.jwksFetches, 2, 'the new kid triggers exactly one refetch');
      assert.ok(issuer.stats.discoveryFetches <= 2);
    } finally {
      await gateway.close();
      await backend.close();
      await issuer.close();
      now = fixedNow;
    }
  });

  it('refuses a token from a key that left the JWKS after its grace period, once the gateway refetches', async () => {
    now = fixedNow;
    const issuer = await startDevIssuer({ port: 0, keyDir: join(dir, 'grace-keys'), clock, rotationGraceSeconds: 600 });
    const backend = await startRecordingBackend();
    const gateway = await startGateway({ port: 0, backendUrl: backend.url + '/api', issuer, clock });
    try {
      const oldToken = await issuer.mint({ ...alice, ttlSeconds: 3600 });
      const me = (token: string) => fetch(gateway.url + '/me', { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
      assert.equal(await me(oldToken), 200);
      await issuer.rotate();
      now += 700 * 1000; // past the grace period; the old token is still within its lifetime
      assert.equal(await me(oldToken), 200, 'the gateway still holds the old key (cached for an hour)');
      const newToken = await issuer.mint({ ...alice });
      assert.equal(await me(newToken), 200, 'the unknown kid refetches the JWKS, which no longer has the old key');
      assert.equal(issuer.stats.jwksFetches, 2);
      assert.equal(await me(oldToken), 401);
      assert.equal(issuer.stats.jwksFetches, 2, 'the old kid does not refetch again within five minutes');
    } finally {
      await gateway.close();
      await backend.close();
      await issuer.close();
      now = fixedNow;
    }
  });
});

describe('local gateway: per-caller rate limit', () => {
  it('answers 429 with Retry-After once one caller exceeds the limit; another caller is unaffected', async () => {
    now = fixedNow;
    const issuer = await startDevIssuer({ port: 0, keyDir: join(dir, 'limit-keys'), clock });
    const backend = await startRecordingBackend();
    const gateway = await startGateway({ port: 0, backendUrl: backend.url + '/api', issuer, clock, policyOptions: { rateLimit: { calls: 3, renewalPeriodSeconds: 60 } } });
    try {
      const a = `Bearer ${await issuer.mint({ ...alice })}`;
      const b = `Bearer ${await issuer.mint({ sub: 'bob', oid: '00000000-0000-0000-0000-0000000000b1', tid: 'contoso', roles: ['Orders.Admin'] })}`;
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await fetch(gateway.url + '/orders', { headers: { authorization: a } })).status);
      assert.deepEqual(statuses, [200, 200, 200, 429]);
      const limited = await fetch(gateway.url + '/orders', { headers: { authorization: a } });
      assert.equal(limited.status, 429);
      assert.match(limited.headers.get('retry-after') ?? '', /^\d+$/);
      assert.equal((await fetch(gateway.url + '/orders', { headers: { authorization: b } })).status, 200);
      now += 61 * 1000;
      assert.equal((await fetch(gateway.url + '/orders', { headers: { authorization: a } })).status, 200, 'a new window');
      assert.equal(backend.received.length, 5);
    } finally {
      await gateway.close();
      await backend.close();
      await issuer.close();
      now = fixedNow;
    }
  });
});

describe('local gateway: one rate-limit counter per key for every operation', () => {
  it('calls to different operations of the API count against the same caller\'s limit (one APIM instance, one counter per key value)', async () => {
    now = fixedNow;
    const issuer = await startDevIssuer({ port: 0, keyDir: join(dir, 'shared-limit-keys'), clock });
    const backend = await startRecordingBackend();
    const gateway = await startGateway({ port: 0, backendUrl: backend.url + '/api', issuer, clock, policyOptions: { rateLimit: { calls: 2, renewalPeriodSeconds: 60 } } });
    try {
      const a = `Bearer ${await issuer.mint({ ...alice })}`;
      const statuses = [];
      for (const path of ['/orders', '/me', '/orders/1']) statuses.push((await fetch(gateway.url + path, { headers: { authorization: a } })).status);
      assert.deepEqual(statuses, [200, 200, 429], 'before: each operation had its own counter, so the limit was 2 per operation');
    } finally {
      await gateway.close();
      await backend.close();
      await issuer.close();
    }
  });
});

describe('local gateway with given policies', () => {
  let issuer: DevIssuer;
  let backend: RecordingBackend;
  before(async () => {
    issuer = await startDevIssuer({ port: 0, keyDir: join(dir, 'custom-keys'), clock });
    backend = await startRecordingBackend();
  });
  after(async () => {
    await backend?.close();
    await issuer?.close();
  });

  const corsApi = `<policies><inbound><base /><cors allow-credentials="false"><allowed-origins><origin>http://app.example</origin></allowed-origins><allowed-methods><method>GET</method><method>POST</method></allowed-methods><allowed-headers><header>Authorization</header></allowed-headers></cors></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>`;
  const healthOperation = `<policies><inbound><base /><return-response><set-status code="200" reason="OK" /><set-body>{"gateway":"ok"}</set-body></return-response></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>`;

  it('answers a CORS preflight from the API scope for a path whose operations lack OPTIONS', async () => {
    const gateway = await startGateway({ port: 0, backendUrl: backend.url + '/api', issuer, clock, policies: [{ scope: 'api', document: corsApi }] });
    try {
      const before = backend.received.length;
      const res = await fetch(gateway.url + '/orders/7', { method: 'OPTIONS', headers: { origin: 'http://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('access-control-allow-origin'), 'http://app.example');
      assert.equal(backend.received.length, before, 'a preflight never reaches the backend');
      const actual = await fetch(gateway.url + '/orders/7', { headers: { origin: 'http://app.example' } });
      assert.equal(actual.status, 200);
      assert.equal(actual.headers.get('access-control-allow-origin'), 'http://app.example');
      assert.equal(backend.received.at(-1)?.url, '/api/orders/7', 'without a global policy, APIM\'s default forward-request applies');
    } finally {
      await gateway.close();
    }
  });

  it('applies an operation policy to its operation only', async () => {
    const gateway = await startGateway({ port: 0, backendUrl: backend.url + '/api', issuer, clock, policies: [{ scope: 'operation', operationId: 'health', document: healthOperation }] });
    try {
      const before = backend.received.length;
      const health = await fetch(gateway.url + '/health');
      assert.deepEqual(await health.json(), { gateway: 'ok' });
      assert.equal(backend.received.length, before);
      assert.equal((await fetch(gateway.url + '/me')).status, 200);
      assert.equal(backend.received.length, before + 1);
    } finally {
      await gateway.close();
    }
    await assert.rejects(startGateway({ port: 0, backendUrl: backend.url, issuer, policies: [{ scope: 'operation', operationId: 'nope', document: healthOperation }] }), /unknown operation "nope"/);
  });

  it('refuses to start with a policy the emulator cannot run, naming the element', async () => {
    await assert.rejects(
      startGateway({ port: 0, backendUrl: backend.url, issuer, policies: [{ scope: 'api', document: '<policies><inbound><frobnicate /></inbound></policies>' }] }),
      (err: Error) => err.name === 'EmulatorError' && /frobnicate/.test(err.message),
    );
  });

  it('forwards the caller\'s own token when the gateway has no managed identity', async () => {
    const gateway = await startGateway({ port: 0, backendUrl: backend.url + '/api', issuer, clock, credential: null });
    try {
      const caller = await issuer.mint({ ...alice });
      const res = await fetch(gateway.url + '/me', { headers: { authorization: `Bearer ${caller}` } });
      assert.equal(res.status, 200);
      const got = backend.received.at(-1)!;
      assert.equal(got.headers.authorization, `Bearer ${caller}`);
      assert.equal(got.headers['x-identity-object-id'], alice.oid);
    } finally {
      await gateway.close();
    }
  });

  it('answers APIM\'s 500 when the backend is unreachable', async () => {
    const closed = await startRecordingBackend();
    const deadUrl = closed.url;
    await closed.close();
    const gateway = await startGateway({ port: 0, backendUrl: deadUrl + '/api', issuer, clock });
    try {
      const res = await fetch(gateway.url + '/orders', { headers: { authorization: `Bearer ${await issuer.mint({ ...alice })}` } });
      assert.equal(res.status, 500);
      const body = (await res.json()) as { statusCode: number; message: string };
      assert.equal(body.statusCode, 500);
    } finally {
      await gateway.close();
    }
  });
});
