import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HttpError } from '../../../functions/errors.js';
import { createOpenIdKeySource, type OpenIdKeySource } from '../../../functions/identity/keys.js';
import { createTrustBoundary, type HeaderGetter, type TrustBoundary } from '../../../functions/identity/trust-boundary.js';
import { fixedNow, fixedNowMs, gatewayClientId, startTestIssuer, testConfig, type TestIssuer } from '../support/issuer.js';

function headers(h: Record<string, string>): HeaderGetter {
  const lower = new Map(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
  return (name) => lower.get(name.toLowerCase()) ?? null;
}

async function refused(p: Promise<unknown>, code: string, status: number): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof HttpError, String(e));
    assert.equal(e.code, code);
    assert.equal(e.status, status);
    return true;
  });
}

describe('trust boundary', () => {
  let t: TestIssuer;
  const boundary = (mode: 'caller-token' | 'gateway-token' | 'either'): TrustBoundary => {
    const config = testConfig(t.issuer, { APIM_RLS_AUTH_MODE: mode });
    return createTrustBoundary({ config, keys: createOpenIdKeySource({ openidConfigUrl: config.openidConfigUrl }), now: fixedNow });
  };
  const aliceToken = () => t.issuer.mint({ sub: 'alice', oid: 'oid-a1', tid: 'contoso', roles: ['Orders.Read'] });

  before(async () => {
    t = await startTestIssuer();
  });
  after(async () => {
    await t.close();
  });

  describe('caller-token mode (the default)', () => {
    it('is the default mode', () => {
      assert.equal(testConfig(t.issuer).authMode, 'caller-token');
    });

    it("accepts the caller's JWT verified through discovery + JWKS, and returns its claims", async () => {
      const id = await boundary('caller-token').authenticate(headers({ authorization: `Bearer ${await aliceToken()}` }));
      assert.equal(id.source, 'caller-token');
      assert.equal(id.claims['oid'], 'oid-a1');
      assert.equal(id.claims['tid'], 'contoso');
      assert.deepEqual(id.claims['roles'], ['Orders.Read']);
    });

    it('fetches discovery and keys once, not per request (cached)', async () => {
      const b = boundary('caller-token');
      const before = { ...t.issuer.stats };
      const token = await aliceToken();
      for (let i = 0; i < 50; i++) await b.authenticate(headers({ authorization: `Bearer ${token}` }));
      assert.equal(t.issuer.stats.discoveryFetches - before.discoveryFetches, 1);
      assert.equal(t.issuer.stats.jwksFetches - before.jwksFetches, 1);
    });

    it('verifies tokens signed with a rotated key without a restart (after the JWKS cooldown)', async () => {
      const config = testConfig(t.issuer);
      // the dev issuer signs with a new key at once; Entra pre-publishes keys, so the 30 s default cooldown rarely matters
      const b = createTrustBoundary({ config, keys: createOpenIdKeySource({ openidConfigUrl: config.openidConfigUrl, cooldownInMs: 0 }), now: fixedNow });
      await b.authenticate(headers({ authorization: `Bearer ${await aliceToken()}` }));
      await t.issuer.rotate();
      const id = await b.authenticate(headers({ authorization: `Bearer ${await aliceToken()}` }));
      assert.equal(id.claims['oid'], 'oid-a1');
    });

    it('no token → 401 FN_200', async () => {
      await refused(boundary('caller-token').authenticate(headers({})), 'FN_200_UNAUTHENTICATED', 401);
    });

    it('identity headers without proof → 401 FN_202', async () => {
      const cases: Record<string, string>[] = [{ 'X-Identity-Object-Id': 'oid-a1' }, { 'X-Identity-Tenant-Id': 'contoso' }, { 'X-Identity-Roles': 'Orders.Admin' }, { 'X-MS-CLIENT-PRINCIPAL-ID': 'x' }];
      for (const h of cases) {
        await refused(boundary('caller-token').authenticate(headers(h)), 'FN_202_UNPROVEN_IDENTITY_HEADERS', 401);
        await refused(boundary('gateway-token').authenticate(headers(h)), 'FN_202_UNPROVEN_IDENTITY_HEADERS', 401);
      }
    });

    it('a malformed Authorization header → 401 FN_201', async () => {
      for (const a of ['Basic dXNlcjpwdw==', 'Bearer not-a-jwt', `bearer ${await aliceToken()}`, 'Bearer a.b.c d']) {
        await refused(boundary('caller-token').authenticate(headers({ authorization: a })), 'FN_201_INVALID_TOKEN', 401);
      }
    });

    it('wrong audience, expired, not yet valid, tampered, or from another issuer → 401 FN_201', async () => {
      const b = boundary('caller-token');
      const wrongAud = await t.issuer.mint({ sub: 'alice', tid: 'contoso', aud: 'api://other' });
      const expired = await t.issuer.mint({ sub: 'alice', tid: 'contoso', iat: fixedNowMs / 1000 - 7200, ttlSeconds: 600 });
      const future = await t.issuer.mint({ sub: 'alice', tid: 'contoso', iat: fixedNowMs / 1000 + 3600, nbf: fixedNowMs / 1000 + 3600 });
      const otherIssuer = await t.issuer.mint({ sub: 'alice', tid: 'contoso', extra: { iss: 'https://evil.example/' } });
      const good = await aliceToken();
      const [h, p, s] = good.split('.');
      const payload = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
      payload['tid'] = 'fabrikam';
      const tampered = `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
      for (const token of [wrongAud, expired, future, otherIssuer, tampered]) {
        await refused(b.authenticate(headers({ authorization: `Bearer ${token}` })), 'FN_201_INVALID_TOKEN', 401);
      }
    });

    it('forwarded identity headers that disagree with the token → 401; headers never add claims', async () => {
      const token = await aliceToken();
      await refused(boundary('caller-token').authenticate(headers({ authorization: `Bearer ${token}`, 'X-Identity-Tenant-Id': 'fabrikam' })), 'FN_202_UNPROVEN_IDENTITY_HEADERS', 401);
      const id = await boundary('caller-token').authenticate(headers({ authorization: `Bearer ${token}`, 'X-Identity-Tenant-Id': 'contoso', 'X-Identity-Roles': 'Orders.Admin' }));
      assert.deepEqual(id.claims['roles'], ['Orders.Read'], 'roles come from the token only');
    });

    it('a gateway token is not a caller identity in caller-token mode', async () => {
      const gw = await t.issuer.credential(gatewayClientId).getToken('api://apim-rls-orders/.default');
      const id = await boundary('caller-token').authenticate(headers({ authorization: `Bearer ${gw!.token}`, 'X-Identity-Object-Id': 'oid-a1' })).catch((e: unknown) => e);
      // the app-only token has no oid: the header cannot match it
      assert.ok(id instanceof HttpError && id.status === 401);
    });
  });

  describe('gateway-token mode', () => {
    it("accepts the gateway's managed-identity token and takes identity from the forwarded headers", async () => {
      const gw = await t.issuer.credential(gatewayClientId).getToken('api://apim-rls-orders/.default');
      const id = await boundary('gateway-token').authenticate(headers({
        authorization: `Bearer ${gw!.token}`,
        'X-Identity-Object-Id': 'oid-c1',
        'X-Identity-Tenant-Id': 'fabrikam',
        'X-Identity-Roles': encodeURIComponent('["Orders.Read","Orders.Write"]'),
      }));
      assert.equal(id.source, 'gateway-token');
      assert.equal(id.gatewayClientId, gatewayClientId);
      assert.deepEqual(id.claims, { oid: 'oid-c1', tid: 'fabrikam', roles: ['Orders.Read', 'Orders.Write'] });
    });

    it('accepts roles only as the percent-encoded JSON array the identity chain sends', async () => {
      const gw = await t.issuer.credential(gatewayClientId).getToken('api://apim-rls-orders/.default');
      const id = await boundary('gateway-token').authenticate(headers({ authorization: `Bearer ${gw!.token}`, 'X-Identity-Roles': '%5B%22Orders.Admin%22%5D' }));
      assert.deepEqual(id.claims['roles'], ['Orders.Admin']);
    });

    it('a managed identity that is not in the allow-list → 401 FN_203', async () => {
      const other = await t.issuer.credential('some-other-app').getToken('api://apim-rls-orders/.default');
      await refused(boundary('gateway-token').authenticate(headers({ authorization: `Bearer ${other!.token}`, 'X-Identity-Object-Id': 'x' })), 'FN_203_GATEWAY_NOT_ALLOWED', 401);
    });

    it("a caller's own token is not gateway proof", async () => {
      await refused(boundary('gateway-token').authenticate(headers({ authorization: `Bearer ${await aliceToken()}`, 'X-Identity-Roles': 'Orders.Admin' })), 'FN_203_GATEWAY_NOT_ALLOWED', 401);
    });

    it('a gateway token for another audience → 401 FN_201', async () => {
      const gw = await t.issuer.credential(gatewayClientId).getToken('api://another-app/.default');
      await refused(boundary('gateway-token').authenticate(headers({ authorization: `Bearer ${gw!.token}` })), 'FN_201_INVALID_TOKEN', 401);
    });
  });

  describe('either mode', () => {
    it('treats an allowed gateway token as gateway proof and any other verified token as the caller', async () => {
      const b = boundary('either');
      const gw = await t.issuer.credential(gatewayClientId).getToken('api://apim-rls-orders/.default');
      assert.equal((await b.authenticate(headers({ authorization: `Bearer ${gw!.token}`, 'X-Identity-Object-Id': 'o' }))).source, 'gateway-token');
      const caller = await b.authenticate(headers({ authorization: `Bearer ${await aliceToken()}` }));
      assert.equal(caller.source, 'caller-token');
      assert.equal(caller.claims['oid'], 'oid-a1');
    });
  });

  describe('verified-token cache', () => {
    const counting = (config: ReturnType<typeof testConfig>) => {
      const inner = createOpenIdKeySource({ openidConfigUrl: config.openidConfigUrl });
      const keys: { calls: number } & OpenIdKeySource = {
        calls: 0,
        issuer: () => inner.issuer(),
        getKey: ((...a: Parameters<typeof inner.getKey>) => {
          keys.calls++;
          return inner.getKey(...a);
        }) as OpenIdKeySource['getKey'],
      };
      return keys;
    };

    it('checks the signature once per token, not per request; a different token is verified', async () => {
      const config = testConfig(t.issuer);
      const keys = counting(config);
      const b = createTrustBoundary({ config, keys, now: fixedNow });
      const token = await aliceToken();
      for (let i = 0; i < 20; i++) await b.authenticate(headers({ authorization: `Bearer ${token}` }));
      assert.equal(keys.calls, 1);
      await b.authenticate(headers({ authorization: `Bearer ${await t.issuer.mint({ sub: 'bob', oid: 'oid-b1', tid: 'contoso' })}` }));
      assert.equal(keys.calls, 2);
      const off = counting(config);
      const nocache = createTrustBoundary({ config, keys: off, now: fixedNow, verifiedCacheInMs: 0 });
      for (let i = 0; i < 5; i++) await nocache.authenticate(headers({ authorization: `Bearer ${token}` }));
      assert.equal(off.calls, 5);
    });

    it('never serves a token past its exp (+ clock tolerance)', async () => {
      const config = testConfig(t.issuer);
      let now = fixedNowMs;
      const b = createTrustBoundary({ config, keys: createOpenIdKeySource({ openidConfigUrl: config.openidConfigUrl }), now: () => new Date(now), verifiedCacheInMs: 24 * 3600_000 });
      const token = await t.issuer.mint({ sub: 'alice', oid: 'oid-a1', tid: 'contoso', ttlSeconds: 600 });
      await b.authenticate(headers({ authorization: `Bearer ${token}` }));
      now = fixedNowMs + (600 + config.clockToleranceSeconds - 1) * 1000;
      await b.authenticate(headers({ authorization: `Bearer ${token}` }));
      now = fixedNowMs + (600 + config.clockToleranceSeconds + 1) * 1000;
      await refused(b.authenticate(headers({ authorization: `Bearer ${token}` })), 'FN_201_INVALID_TOKEN', 401);
    });

    it('keeps at most the configured number of tokens', async () => {
      const config = testConfig(t.issuer);
      const keys = counting(config);
      const b = createTrustBoundary({ config, keys, now: fixedNow, verifiedCacheMaxEntries: 2 });
      const tokens = await Promise.all(['a', 'b', 'c'].map((sub) => t.issuer.mint({ sub, oid: `oid-${sub}`, tid: 'contoso' })));
      for (const tok of tokens) await b.authenticate(headers({ authorization: `Bearer ${tok}` }));
      assert.equal(keys.calls, 3);
      await b.authenticate(headers({ authorization: `Bearer ${tokens[0]!}` }));
      assert.equal(keys.calls, 4, 'the oldest was dropped');
      await b.authenticate(headers({ authorization: `Bearer ${tokens[2]!}` }));
      assert.equal(keys.calls, 4);
    });
  });

  it('an unreachable OpenID configuration → 503 with Retry-After (fail closed), retried on the next request', async () => {
    const config = testConfig(t.issuer, { APIM_RLS_OPENID_CONFIG_URL: 'http://127.0.0.1:9/.well-known/openid-configuration' });
    const b = createTrustBoundary({ config, keys: createOpenIdKeySource({ openidConfigUrl: config.openidConfigUrl, timeoutInMs: 2000 }), now: fixedNow });
    for (let i = 0; i < 2; i++) {
      await assert.rejects(b.authenticate(headers({ authorization: `Bearer ${await aliceToken()}` })), (e: unknown) => e instanceof HttpError && e.status === 503 && e.retryAfterSeconds !== undefined);
    }
  });
});
