import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emulate, KeyCache, type BackendRequest, type Emulator } from '../../../policies/emulator/index.js';
import { productPolicies, ORDERS_AUDIENCE } from '../../../policies/product/index.js';
import { startDevIssuer, type DevIssuer } from '../../../local/issuer/index.js';

// The product's own identity chain (global + orders-api, typed documents) in the emulator,
// with real tokens from the local OpenID issuer.
describe("the product's identity chain in the emulator", () => {
  let issuer: DevIssuer;
  let keyDir: string;
  let emulator: Emulator;
  let keyCache: KeyCache;
  const seen: BackendRequest[] = [];

  before(async () => {
    keyDir = mkdtempSync(join(tmpdir(), 'apim-rls-emulator-issuer-'));
    issuer = await startDevIssuer({ port: 0, keyDir });
    keyCache = new KeyCache();
    const [global, api] = productPolicies();
    emulator = emulate(api!.document, {
      scopes: [global!.document],
      namedValues: { 'entra-openid-config': issuer.discoveryUrl, 'entra-issuer': issuer.issuer, 'entra-tenant-id': 'contoso', 'orders-backend-resource': 'api://orders-backend' },
      keyCache,
      credential: issuer.credential('gateway'),
      backendUrl: 'http://functions.test/api',
      apiPath: '/orders',
      backend: async (req) => {
        seen.push(req);
        return { status: 200, headers: { 'Content-Type': 'application/json', Server: 'Kestrel', 'X-Powered-By': 'x' }, body: '[]' };
      },
    });
  });
  after(async () => {
    await issuer.close();
    rmSync(keyDir, { recursive: true, force: true });
  });

  const call = (headers: Record<string, string>) => emulator.send({ url: 'https://gw.test/orders/7', headers });

  it('forwards the verified identity, strips client-sent identity headers, adds the managed identity token', async () => {
    const token = await issuer.mint({ sub: 'alice', tid: 'contoso', roles: ['Orders.Read'], aud: ORDERS_AUDIENCE });
    const r = await call({ Authorization: `Bearer ${token}` });
    assert.equal(r.status, 200, JSON.stringify(r.lastError));
    const h = seen.at(-1)!.headers;
    assert.equal(seen.at(-1)!.url, 'http://functions.test/api/7');
    assert.equal(h['X-Identity-Tenant-Id'], 'contoso');
    assert.equal(h['X-Identity-Subject'], 'alice');
    assert.equal(h['X-Identity-Roles'], encodeURIComponent('["Orders.Read"]'), 'a JSON array, percent-encoded');
    assert.match(h.Authorization!, /^Bearer ey/);
    assert.notEqual(h.Authorization, `Bearer ${token}`, 'the caller token is replaced by the gateway identity');
    assert.equal(r.headers.server, undefined, 'outbound strips Server');
    assert.equal(r.headers['x-powered-by'], undefined);
  });

  it('refuses a request carrying a reserved identity header (400) after validation', async () => {
    const token = await issuer.mint({ sub: 'alice', tid: 'contoso', roles: ['Orders.Read'], aud: ORDERS_AUDIENCE });
    const before = seen.length;
    // the global scope deletes the known names; an unknown X-Identity-* name is refused
    const r = await call({ Authorization: `Bearer ${token}`, 'X-Identity-Extra': 'admin' });
    assert.equal(r.status, 400);
    assert.equal(JSON.parse(r.body).detail, 'The request carries a reserved identity header.');
    assert.equal(seen.length, before, 'the backend is not called');
  });

  it('refuses other tenants, missing roles, other audiences and long-lived tokens', async () => {
    const cases: [Parameters<DevIssuer['mint']>[0], number, string | null][] = [
      [{ sub: 'eve', tid: 'fabrikam', roles: ['Orders.Read'], aud: ORDERS_AUDIENCE }, 401, 'TokenClaimValueNotAllowed'],
      // a valid token without an Orders role is authenticated but not permitted: 403 from the role check, no LastError
      [{ sub: 'eve', tid: 'contoso', roles: ['Other'], aud: ORDERS_AUDIENCE }, 403, null],
      [{ sub: 'eve', tid: 'contoso', aud: ORDERS_AUDIENCE }, 403, null],
      [{ sub: 'eve', tid: 'contoso', roles: ['Orders.Read'], aud: 'api://other' }, 401, 'TokenAudienceNotAllowed'],
      [{ sub: 'eve', tid: 'contoso', roles: ['Orders.Read'], aud: ORDERS_AUDIENCE, ttlSeconds: 7200 }, 401, null],
    ];
    for (const [claims, status, reason] of cases) {
      const r = await call({ Authorization: `Bearer ${await issuer.mint(claims)}` });
      assert.equal(r.status, status, JSON.stringify(claims));
      assert.equal(r.lastError?.reason ?? null, reason, JSON.stringify(claims));
    }
    assert.equal((await call({})).lastError?.reason, 'TokenNotPresent');
  });

  it('accepts tokens signed after a key rotation with one more JWKS fetch, then none', async () => {
    await call({ Authorization: `Bearer ${await issuer.mint({ sub: 'alice', tid: 'contoso', roles: ['Orders.Read'], aud: ORDERS_AUDIENCE })}` });
    const fetches = issuer.stats.jwksFetches;
    await issuer.rotate();
    const token = await issuer.mint({ sub: 'bob', tid: 'contoso', roles: ['Orders.Read'], aud: ORDERS_AUDIENCE });
    for (let i = 0; i < 5; i++) assert.equal((await call({ Authorization: `Bearer ${token}` })).status, 200);
    assert.equal(issuer.stats.jwksFetches - fetches, 1);
  });
});
