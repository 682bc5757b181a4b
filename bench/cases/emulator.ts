/**
 * `npm run bench -- emulator`: the product's full identity-chain policy (global + orders-api:
 * validate-jwt, lifetime check, strip, forward identity, managed identity, rate limit, forward,
 * outbound strip) run in-process by the emulator, against a bare `jose.jwtVerify` loop on the
 * same token. Target: ratio ≥ 0.8 — everything besides the signature check costs less than a
 * quarter of it.
 */
import { exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT } from 'jose';
import { emulate, KeyCache } from '../../policies/emulator/index.js';
import { productPolicies } from '../../policies/product/index.js';
import { interleavedRounds, median, type BenchResult } from '../result.js';

export default async function emulatorBench(): Promise<BenchResult[]> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', use: 'sig' };
  const issuer = 'https://issuer.bench/';
  const configUrl = 'https://issuer.bench/.well-known/openid-configuration';
  // discovery served from memory: fetched once, then cached (counted below)
  let fetches = 0;
  const fakeFetch = async (url: string) => {
    fetches++;
    const body = url === configUrl ? { issuer, jwks_uri: 'https://issuer.bench/keys' } : { keys: [jwk] };
    return { ok: true, status: 200, json: async () => body };
  };
  const keyCache = new KeyCache({ fetch: fakeFetch });
  const [global, api] = productPolicies();
  let clockShift = 0;
  const emulator = emulate(api!.document, {
    now: () => Date.now() + clockShift,
    scopes: [global!.document],
    namedValues: { 'entra-openid-config': configUrl, 'entra-issuer': issuer, 'entra-tenant-id': 'contoso', 'orders-backend-resource': 'api://orders-backend' },
    keyCache,
    credential: { getToken: async () => ({ token: 'managed-identity-token', expiresOnTimestamp: Date.now() + 3600_000 }) },
    backend: async () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: '[]' }),
  });
  // one token per caller (distinct oid), so the per-caller rate limit (100/min) never trips;
  // the bare loop verifies the same tokens in the same order
  const tokens: string[] = [];
  for (let i = 0; i < 512; i++) {
    tokens.push(
      await new SignJWT({ tid: 'contoso', oid: `oid-${i}`, roles: ['Orders.Read'] })
        .setProtectedHeader({ alg: 'RS256', kid: 'bench' })
        .setSubject(`user-${i}`)
        .setIssuer(issuer)
        .setAudience('api://apim-rls-orders')
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(privateKey),
    );
  }
  // the Authorization values made once, as a gateway receives them (not concatenated per request)
  const authorization = tokens.map((t) => `Bearer ${t}`);
  let n = 0;
  let m = 0;
  const first = await emulator.send({ url: 'https://gw.bench/orders', headers: { Authorization: `Bearer ${tokens[0]}` } });
  if (first.status !== 200) throw new Error(`identity chain answered ${first.status}: ${first.lastError?.reason ?? ''} ${first.lastError?.message ?? ''}`);
  const key = await importJWK(jwk, 'RS256');
  const emulatedOnce = async () => {
    const r = await emulator.send({ url: 'https://gw.bench/orders', headers: { Authorization: authorization[n++ & 511]! } });
    if (r.status !== 200) throw new Error(`identity chain answered ${r.status}: ${r.lastError?.reason ?? ''}`);
  };
  const bareOnce = () => jwtVerify(tokens[m++ & 511]!, key, { issuer, audience: 'api://apim-rls-orders' });
  // short interleaved rounds (a burst of load hits both alike); the ratio is the median of the per-round ratios
  const rounds = await interleavedRounds(
    { emulated: emulatedOnce, bare: bareOnce },
    {
      rounds: 15,
      roundMs: 400,
      // each round starts a new rate-limit window (the policy allows 100 calls per caller per minute)
      beforeRound: () => (clockShift += 61_000),
    },
  );
  return [
    {
      name: 'emulator: identity chain vs bare jwtVerify',
      ratio: median(rounds.map((r) => r.emulated / r.bare)),
      target: 0.8,
      emulatedPerSecond: Math.round(median(rounds.map((r) => r.emulated))),
      jwtVerifyPerSecond: Math.round(median(rounds.map((r) => r.bare))),
      rounds: rounds.length,
      discoveryFetches: fetches,
    },
  ];
}
