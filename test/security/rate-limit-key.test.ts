/**
 * Item 4 of issue 13: the per-caller rate-limit key and the forwarded identity are the same exact
 * value. An `oid` with surrounding spaces counts in its own bucket, so it must also reach the
 * backend as its own identity: forwarded percent-encoded (ASCII only, nothing an HTTP hop trims),
 * never trimmed into the neighbour's oid. Emulator, fixed clock, real signatures.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { emulate, type BackendRequest } from '../../policies/emulator/index.js';
import { identityChain } from '../../policies/presets/identity.js';
import { policyDocument } from '../../policies/model/document.js';
import { forwardRequest } from '../../policies/elements/forward-request.js';
import { perCallerRateLimit, ORDERS_FORWARDED_CLAIMS } from '../../policies/product/orders-api.js';
import { decodeIdentityHeader } from '../../functions/identity/trust-boundary.js';

const NOW = Date.UTC(2026, 0, 1) / 1000;
const ISS = 'https://issuer.test/';
const AUD = 'api://orders';
let keys: Awaited<ReturnType<typeof generateKeyPair>>;
let jwk: JWK;
before(async () => {
  keys = await generateKeyPair('RS256', { extractable: true });
  jwk = await exportJWK(keys.publicKey);
});

const token = (oid: string) =>
  new SignJWT({ iss: ISS, aud: AUD, sub: 'alice', oid, tid: 'contoso', roles: ['Orders.Read'], iat: NOW - 60, exp: NOW + 600 })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .sign(keys.privateKey);

describe('rate-limit key and forwarded oid agree byte for byte', () => {
  it('" u1 " and "u1" are two callers: two buckets, two identities at the backend', async () => {
    const received: BackendRequest[] = [];
    const doc = policyDocument({
      inbound: [
        ...identityChain({
          trust: { issuers: [ISS], issuerSigningKeys: [{ id: 'k1', n: jwk.n as string, e: jwk.e as string }] },
          audiences: [AUD],
          permissions: { roles: ['Orders.Read'] },
          forwardClaims: ORDERS_FORWARDED_CLAIMS.map((c) => ({ ...c })),
          maxTokenLifetimeSeconds: 3600,
        }),
        perCallerRateLimit(1, 60),
      ],
      backend: [forwardRequest()],
      outbound: [],
      onError: [],
    });
    const gw = emulate(doc, {
      now: () => NOW * 1000,
      backendUrl: 'https://backend.test/api',
      backend: async (req) => {
        received.push(req);
        return { status: 200, body: 'ok' };
      },
    });
    const send = async (oid: string) => (await gw.send({ url: 'https://gw.test/orders', headers: { Authorization: `Bearer ${await token(oid)}` } })).status;
    assert.equal(await send('u1'), 200);
    assert.equal(await send(' u1 '), 200, 'its own bucket');
    assert.equal(await send('u1'), 429);
    assert.equal(await send(' u1 '), 429);
    const oids = received.map((r) => Object.entries(r.headers).find(([k]) => k.toLowerCase() === 'x-identity-object-id')?.[1]);
    assert.deepEqual(oids, ['u1', '%20u1%20']);
    for (const v of oids) assert.match(String(v), /^[\x21-\x7e]+$/, 'visible ASCII only: nothing for a hop to trim or refuse');
    assert.deepEqual(oids.map((v) => decodeIdentityHeader(String(v), 'single')), ['u1', ' u1 '], 'the backend decodes the value the bucket counted');
  });
});
