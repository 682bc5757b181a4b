/**
 * The backend's signing keys when the issuer is away or rotates (issue 15, item 3), against the
 * local issuer over real HTTP on 127.0.0.1. Token times use a fixed clock; the key cache's age
 * uses a controllable clock (node:test's Date mock, so the same test also ran against the jose
 * `createRemoteJWKSet` version this replaced, where it failed).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { HttpError } from '../../../functions/errors.js';
import { createOpenIdKeySource, type JwksCacheEvent, type OpenIdKeySourceOptions } from '../../../functions/identity/keys.js';
import { createTrustBoundary, type HeaderGetter, type TrustBoundary } from '../../../functions/identity/trust-boundary.js';
import { startDevIssuer, type DevIssuer } from '../../../local/issuer/index.js';
import { fixedNow, fixedNowMs, testConfig } from '../support/issuer.js';

const bearer = (token: string): HeaderGetter => (name) => (name.toLowerCase() === 'authorization' ? `Bearer ${token}` : null);

async function refused(p: Promise<unknown>, code: string, status: number): Promise<HttpError> {
  let caught: HttpError | undefined;
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof HttpError, String(e));
    assert.equal(e.code, code);
    assert.equal(e.status, status);
    caught = e;
    return true;
  });
  return caught!;
}

/** Polls (bounded) until a background fetch has settled. */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(check(), `timed out waiting for ${what}`);
}

describe('signing keys when the issuer is away or rotates', () => {
  let keyDir: string;
  let issuer: DevIssuer;
  let port: number;
  let running: boolean;
  const events: JwksCacheEvent[] = [];

  async function startIssuer(): Promise<void> {
    issuer = await startDevIssuer({ port, keyDir, clock: () => fixedNowMs });
    port = Number(new URL(issuer.url).port);
    running = true;
  }
  async function stopIssuer(): Promise<void> {
    await issuer.close();
    running = false;
  }

  const alice = () => issuer.mint({ sub: 'alice', oid: 'oid-a1', tid: 'contoso', roles: ['Orders.Read'] });

  function boundary(options: Partial<OpenIdKeySourceOptions> = {}): { trust: TrustBoundary; keys: ReturnType<typeof createOpenIdKeySource> } {
    const config = testConfig(issuer);
    const keys = createOpenIdKeySource({ openidConfigUrl: config.openidConfigUrl, timeoutInMs: 2000, ...options, jwks: { onEvent: (e) => events.push(e), ...options.jwks } });
    // verifiedCacheInMs 0: every request looks its key up (the verified-token cache would hide the key cache)
    return { trust: createTrustBoundary({ config, keys, now: fixedNow, verifiedCacheInMs: 0 }), keys };
  }

  /** A token with the issuer's claims, signed by a key the issuer never published, naming `kid`. */
  let strangerKey: CryptoKey | undefined;
  async function madeUpToken(kid: string): Promise<string> {
    strangerKey ??= (await generateKeyPair('RS256')).privateKey;
    const now = Math.floor(fixedNowMs / 1000);
    return new SignJWT({ sub: 'mallory', oid: 'oid-m', tid: 'contoso' })
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
      .setIssuer(issuer.issuer)
      .setAudience('api://apim-rls-orders')
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(strangerKey);
  }

  beforeEach(async () => {
    keyDir = mkdtempSync(join(tmpdir(), 'apim-rls-jwks-'));
    port = 0;
    events.length = 0;
    await startIssuer();
  });
  afterEach(async () => {
    mock.timers.reset();
    if (running) await stopIssuer();
    rmSync(keyDir, { recursive: true, force: true });
  });

  it('issuer stopped past the cache age: tokens signed with the cached key are still accepted, the outage logged once, recovery logged', async () => {
    mock.timers.enable({ apis: ['Date'], now: fixedNowMs });
    const { trust, keys } = boundary();
    await trust.authenticate(bearer(await alice()));
    assert.equal(issuer.stats.jwksFetches, 1);
    const signer = issuer;
    await stopIssuer();

    // past jose's 10-minute cacheMaxAge (where the old cache refetched, failed and answered 503),
    // past this cache's 1-hour refresh, several refresh attempts apart
    for (const minutes of [11, 61, 62, 90, 120, 23 * 60]) {
      mock.timers.setTime(fixedNowMs + minutes * 60_000);
      const id = await trust.authenticate(bearer(await signer.mint({ sub: 'alice', oid: 'oid-a1', tid: 'contoso' })));
      assert.equal(id.claims['oid'], 'oid-a1', `accepted ${minutes} min after the last fetch`);
      await until(() => keys.jwksStats!()!.fetches === keys.jwksStats!()!.failures + 1, 'the background refresh to fail');
    }
    const failed = events.filter((e) => e.event === 'keys_refresh_failed');
    assert.equal(failed.length, 1, 'one line per failure episode, however many attempts failed');
    assert.ok(keys.jwksStats!()!.failures >= 4, 'the refresh was retried');
    assert.equal(failed[0]!.event === 'keys_refresh_failed' && failed[0]!.servingKeysAgeMs, 61 * 60_000);
    assert.doesNotMatch(JSON.stringify(events), /eyJ|"n":|"d":/, 'no token or key material in the log');

    // past the 24-hour bound: no keys left → 503 with Retry-After, never 401
    mock.timers.setTime(fixedNowMs + 25 * 3_600_000);
    const e = await refused(trust.authenticate(bearer(await signer.mint({ sub: 'alice', oid: 'oid-a1', tid: 'contoso' }))), 'FN_503_UNAVAILABLE', 503);
    assert.ok((e.retryAfterSeconds ?? 0) > 0);
    assert.ok(events.some((x) => x.event === 'keys_expired'));

    await startIssuer();
    const id = await trust.authenticate(bearer(await alice()));
    assert.equal(id.claims['oid'], 'oid-a1');
    const recovered = events.filter((x) => x.event === 'keys_refresh_recovered');
    assert.equal(recovered.length, 1);
  });

  it('a rotated key is accepted on the first request that names it (one refetch, no cooldown)', async () => {
    const { trust } = boundary();
    await trust.authenticate(bearer(await alice()));
    await issuer.rotate();
    const id = await trust.authenticate(bearer(await alice()));
    assert.equal(id.claims['oid'], 'oid-a1');
    assert.equal(issuer.stats.jwksFetches, 2);
    // the next token with that kid needs no fetch
    await trust.authenticate(bearer(await alice()));
    assert.equal(issuer.stats.jwksFetches, 2);
  });

  it('a made-up kid is refused (401) and does not delay a real rotation; repeating it costs no fetch', async () => {
    const { trust } = boundary();
    await trust.authenticate(bearer(await alice()));
    await refused(trust.authenticate(bearer(await madeUpToken('made-up-kid'))), 'FN_201_INVALID_TOKEN', 401);
    assert.equal(issuer.stats.jwksFetches, 2, 'the unknown kid was looked up once');
    await refused(trust.authenticate(bearer(await madeUpToken('made-up-kid'))), 'FN_201_INVALID_TOKEN', 401);
    assert.equal(issuer.stats.jwksFetches, 2, 'the same made-up kid within its cooldown costs no fetch');

    await issuer.rotate();
    const id = await trust.authenticate(bearer(await alice()));
    assert.equal(id.claims['oid'], 'oid-a1', 'the real rotated key right after the made-up one');
    assert.equal(issuer.stats.jwksFetches, 3);
  });

  it('a caller cycling made-up kids cannot make the backend fetch faster than burst + one per interval; a real rotation still gets through', async () => {
    let now = fixedNowMs;
    let slept = 0;
    const { trust } = boundary({ jwks: { now: () => now, sleep: async (ms) => { slept += ms; now += ms; }, unknownKidFetchBurst: 3, unknownKidFetchIntervalInMs: 5000, maxTrackedKids: 10 } });
    await trust.authenticate(bearer(await alice()));
    const base = issuer.stats.jwksFetches;

    // concurrent made-up kids share one fetch
    const together = await Promise.all(Array.from({ length: 20 }, (_, i) => madeUpToken(`together-${i}`)));
    await Promise.all(together.map((token) => refused(trust.authenticate(bearer(token)), 'FN_201_INVALID_TOKEN', 401)));
    assert.equal(issuer.stats.jwksFetches - base, 1);

    // one after another: each needs its own fetch, paced by the bucket
    for (let i = 0; i < 12; i++) await refused(trust.authenticate(bearer(await madeUpToken(`cycle-${i}`))), 'FN_201_INVALID_TOKEN', 401);
    const fetched = issuer.stats.jwksFetches - base;
    assert.ok(fetched <= 3 + Math.floor(slept / 5000) + 1, `${fetched} fetches in ${slept} ms of waiting`);
    assert.ok(slept >= (12 - 2) * 5000 - 5000, 'the bucket made the cycling caller wait');

    // at most 10 absent kids remembered: the oldest (cycle-0) costs a fetch again, the newest does not
    const before = issuer.stats.jwksFetches;
    await refused(trust.authenticate(bearer(await madeUpToken('cycle-11'))), 'FN_201_INVALID_TOKEN', 401);
    assert.equal(issuer.stats.jwksFetches, before);
    await refused(trust.authenticate(bearer(await madeUpToken('cycle-0'))), 'FN_201_INVALID_TOKEN', 401);
    assert.equal(issuer.stats.jwksFetches, before + 1);

    await issuer.rotate();
    const id = await trust.authenticate(bearer(await alice()));
    assert.equal(id.claims['oid'], 'oid-a1');
  });

  it('an unknown kid the cache has no budget to look up in time → 503 with Retry-After, not 401', async () => {
    // a frozen clock never refills the bucket
    const { trust } = boundary({ jwks: { now: () => fixedNowMs, sleep: async () => undefined, unknownKidFetchBurst: 1 } });
    await trust.authenticate(bearer(await alice()));
    await refused(trust.authenticate(bearer(await madeUpToken('first'))), 'FN_201_INVALID_TOKEN', 401);
    await issuer.rotate();
    const e = await refused(trust.authenticate(bearer(await alice())), 'FN_503_UNAVAILABLE', 503);
    assert.ok((e.retryAfterSeconds ?? 0) > 0);
  });

  it('issuer down + a token naming an unknown kid → 503 with Retry-After, not 401; accepted once the issuer is back', async () => {
    const { trust } = boundary();
    await trust.authenticate(bearer(await alice()));
    const signer = issuer;
    await stopIssuer();
    await signer.rotate(); // persisted in the key folder: the restarted issuer publishes it
    const token = await signer.mint({ sub: 'alice', oid: 'oid-a1', tid: 'contoso' });
    const e = await refused(trust.authenticate(bearer(token)), 'FN_503_UNAVAILABLE', 503);
    assert.ok((e.retryAfterSeconds ?? 0) > 0);
    await startIssuer();
    const id = await trust.authenticate(bearer(token));
    assert.equal(id.claims['oid'], 'oid-a1');
  });

  it('a JWKS endpoint that redirects is not followed (a failed fetch, 503)', async () => {
    const { createServer } = await import('node:http');
    const server = createServer((req, res) => {
      if (req.url === '/.well-known/openid-configuration') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ issuer: issuer.issuer, jwks_uri: `http://127.0.0.1:${(server.address() as { port: number }).port}/keys` }));
        return;
      }
      res.writeHead(302, { location: issuer.jwksUri });
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const config = testConfig(issuer, { APIM_RLS_OPENID_CONFIG_URL: `http://127.0.0.1:${(server.address() as { port: number }).port}/.well-known/openid-configuration` });
      const keys = createOpenIdKeySource({ openidConfigUrl: config.openidConfigUrl, timeoutInMs: 2000, jwks: { onEvent: () => undefined } });
      const trust = createTrustBoundary({ config, keys, now: fixedNow });
      await refused(trust.authenticate(bearer(await alice())), 'FN_503_UNAVAILABLE', 503);
      assert.equal(issuer.stats.jwksFetches, 0);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
