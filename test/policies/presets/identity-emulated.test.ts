/**
 * The identity chain run by the emulator with real signed tokens (fixed clock): what reaches the
 * backend, and what is refused before it.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { emulate, type BackendRequest } from '../../../policies/emulator/index.js';
import { identityChain, type IdentityChainOptions } from '../../../policies/presets/identity.js';
import { policyDocument } from '../../../policies/model/document.js';
import { forwardRequest } from '../../../policies/elements/forward-request.js';

const NOW = Date.UTC(2026, 0, 1) / 1000;
const ISS = 'https://issuer.test/';
const AUD = 'api://orders';
let keys: Awaited<ReturnType<typeof generateKeyPair>>;
let jwk: JWK;

before(async () => {
  keys = await generateKeyPair('RS256', { extractable: true });
  jwk = await exportJWK(keys.publicKey);
});

const token = (claims: Record<string, unknown> = {}) =>
  new SignJWT({ iss: ISS, aud: AUD, sub: 'alice', oid: 'oid-alice', tid: 'contoso', roles: ['Orders.Read'], iat: NOW - 60, exp: NOW + 600, ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .sign(keys.privateKey);

function options(over: Partial<IdentityChainOptions> = {}): IdentityChainOptions {
  return {
    trust: { issuers: [ISS], issuerSigningKeys: [{ id: 'k1', n: jwk.n as string, e: jwk.e as string }] },
    audiences: [AUD],
    permissions: { roles: ['Orders.Read', 'Orders.Write'] },
    allowedTenants: ['contoso'],
    forwardClaims: [
      { claim: 'tid', header: 'X-Identity-Tenant-Id' },
      { claim: 'oid', header: 'X-Identity-Object-Id' },
      { claim: 'roles', header: 'X-Identity-Roles' },
    ],
    maxTokenLifetimeSeconds: 3600,
    ...over,
  };
}

async function send(auth: string | undefined, extraHeaders: Record<string, string> = {}, over: Partial<IdentityChainOptions> = {}, ipAddress?: string) {
  const received: BackendRequest[] = [];
  const doc = policyDocument({ inbound: identityChain(options(over)), backend: [forwardRequest()], outbound: [], onError: [] });
  const r = await emulate(doc, {
    now: () => NOW * 1000,
    backendUrl: 'https://backend.test/api',
    backend: async (req) => {
      received.push(req);
      return { status: 200, body: 'ok' };
    },
  }).send({ url: 'https://gw.test/orders', headers: { ...(auth ? { Authorization: auth } : {}), ...extraHeaders }, ...(ipAddress ? { ipAddress } : {}) });
  return { r, received };
}

describe('identity chain in the emulator', () => {
  it('forwards only validated claims, overwriting spoofed copies, plus a correlation id', async () => {
    const { r, received } = await send(`Bearer ${await token({ roles: ['Orders.Read', 'Orders.Write'] })}`, {
      'X-Identity-Tenant-Id': 'fabrikam',
      'X-Identity-Object-Id': 'oid-mallory',
      'X-MS-CLIENT-PRINCIPAL-ID': 'mallory',
    });
    assert.equal(r.status, 200, r.body);
    assert.equal(received.length, 1);
    const h = received[0]!.headers;
    const get = (n: string) => Object.entries(h).find(([k]) => k.toLowerCase() === n.toLowerCase())?.[1];
    assert.equal(get('X-Identity-Tenant-Id'), 'contoso');
    assert.equal(get('X-Identity-Object-Id'), 'oid-alice');
    assert.deepEqual(JSON.parse(decodeURIComponent(String(get('X-Identity-Roles')))), ['Orders.Read', 'Orders.Write']);
    assert.equal(get('X-MS-CLIENT-PRINCIPAL-ID'), undefined);
    assert.match(String(get('X-Request-Id')), /^[0-9a-f-]{36}$/);
  });

  it('a valid token without a required role, or with no roles claim at all: 403 problem+json before the backend', async () => {
    for (const [auth, why] of [
      [`Bearer ${await token({ roles: ['Other'] })}`, 'no required role'],
      [`Bearer ${await token({ roles: undefined })}`, 'no roles claim'],
    ] as const) {
      const { r, received } = await send(auth);
      assert.equal(r.status, 403, why);
      assert.equal(r.headers['content-type'], 'application/problem+json', why);
      assert.equal(JSON.parse(r.body).status, 403, why);
      assert.equal(received.length, 0, why);
    }
    assert.equal((await send(`Bearer ${await token({ roles: ['Orders.Write'] })}`)).r.status, 200, 'any one of the roles is enough');
  });

  it('roles: any of them grants; scopes with match all: every one of them is needed', async () => {
    const status = async (claims: Record<string, unknown>, over: Partial<IdentityChainOptions> = {}) => (await send(`Bearer ${await token(claims)}`, {}, over)).r.status;
    assert.equal(await status({ roles: ['Orders.Write'] }), 200);
    assert.equal(await status({ roles: ['Other', 'Orders.Read'] }), 200);
    assert.equal(await status({ roles: ['Orders.Reader'] }), 403, 'a role that only starts like a granted one');
    const allScopes: Partial<IdentityChainOptions> = { permissions: { scopes: ['orders.read', 'orders.write'], match: 'all' } };
    assert.equal(await status({ scp: 'orders.write orders.read' }, allScopes), 200);
    assert.equal(await status({ scp: 'orders.read profile' }, allScopes), 403, 'one of the two scopes');
    assert.equal(await status({}, allScopes), 403, 'no scp claim');
  });

  it('no token, a wrong tenant or a missing forwarded claim: 401 before the backend', async () => {
    for (const [auth, why] of [
      [undefined, 'no token'],
      [`Bearer ${await token({ tid: 'fabrikam' })}`, 'tenant not allowed'],
      [`Bearer ${await token({ oid: undefined })}`, 'forwarded claim missing'],
      [`Bearer ${await token({ exp: NOW - 1 })}`, 'expired'],
    ] as const) {
      const { r, received } = await send(auth);
      assert.equal(r.status, 401, why);
      assert.equal(received.length, 0, why);
    }
  });

  it('refuses tokens that live longer than the maximum, or carry no iat (fail closed)', async () => {
    const long = await send(`Bearer ${await token({ iat: NOW - 60, exp: NOW - 60 + 7200 })}`);
    assert.equal(long.r.status, 401);
    assert.equal(long.r.headers['content-type'], 'application/problem+json');
    assert.equal(JSON.parse(long.r.body).status, 401);
    assert.equal(long.received.length, 0);
    const noIat = await send(`Bearer ${await token({ iat: undefined })}`);
    assert.equal(noIat.r.status, 401);
    const ok = await send(`Bearer ${await token({ iat: NOW - 60, exp: NOW - 60 + 3600 })}`);
    assert.equal(ok.r.status, 200);
  });

  it('refuses any other header of the identity namespace with 400', async () => {
    const { r, received } = await send(`Bearer ${await token()}`, { 'x-identity-extra': 'smuggled' });
    assert.equal(r.status, 400);
    assert.equal(received.length, 0);
  });

  it('allowed caller IP ranges', async () => {
    const over = { allowedCallerIps: [{ from: '10.0.0.0', to: '10.0.0.255' }] };
    assert.equal((await send(`Bearer ${await token()}`, {}, over, '10.0.0.7')).r.status, 200);
    const outside = await send(`Bearer ${await token()}`, {}, over, '192.168.1.1');
    assert.equal(outside.r.status, 403);
    assert.equal(outside.received.length, 0);
  });
});
