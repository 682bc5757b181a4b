/**
 * validate-jwt and validate-azure-ad-token as their references document them
 * (docs/gateway-fidelity.md names each source): require-scheme, the key cache's refresh and
 * unknown-kid windows, validate-azure-ad-token's attributes and reasons.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { emulate, EmulatorError, KeyCache, type FetchLike } from '../../../policies/emulator/index.js';

const NOW = Date.UTC(2026, 0, 1);
const AUD = 'api://orders';
const ISS = 'https://issuer.test/';
const TENANT = '11111111-1111-1111-1111-111111111111';
const url = 'https://gw.test/orders';

type Keys = Awaited<ReturnType<typeof generateKeyPair>>;
let k1: Keys;
let k2: Keys;
let jwk1: JWK;
let jwk2: JWK;
before(async () => {
  k1 = await generateKeyPair('RS256', { extractable: true });
  k2 = await generateKeyPair('RS256', { extractable: true });
  jwk1 = { ...(await exportJWK(k1.publicKey)), kid: 'k1', use: 'sig' };
  jwk2 = { ...(await exportJWK(k2.publicKey)), kid: 'k2', use: 'sig' };
});

const sign = (claims: Record<string, unknown>, key: Keys, kid: string, nowMs = NOW): Promise<string> =>
  new SignJWT({ aud: AUD, iss: ISS, iat: nowMs / 1000 - 10, exp: nowMs / 1000 + 3000, sub: 'alice', ...claims }).setProtectedHeader({ alg: 'RS256', kid }).sign(key.privateKey);

/** An OpenID issuer whose JWKS the test changes, failing on demand; counts fetches. */
function issuer(issuerName = ISS) {
  const state = { keys: [] as JWK[], down: false, fetches: 0 };
  const fetch: FetchLike = async (u) => {
    state.fetches++;
    if (state.down) throw new Error('connection refused');
    const body = u.endsWith('/keys') ? { keys: state.keys } : { issuer: issuerName, jwks_uri: 'https://issuer.test/keys' };
    return { ok: true, status: 200, json: async () => body };
  };
  return { state, fetch };
}

const oidcPolicy = (attrs: string) => `<policies><inbound>
  <validate-jwt ${attrs}><openid-config url="https://issuer.test/.well-known/openid-configuration" /><audiences><audience>${AUD}</audience></audiences></validate-jwt>
  <return-response><set-status code="204" reason="No Content" /></return-response>
</inbound><backend /><outbound /><on-error /></policies>`;

describe('validate-jwt: require-scheme applies to the Authorization header only', () => {
  it('a custom header-name carries the bare token: require-scheme is ignored there', async () => {
    const iss = issuer();
    iss.state.keys = [jwk1];
    const em = emulate(oidcPolicy('header-name="X-Api-Token" require-scheme="Bearer"'), { now: () => NOW, keyCache: new KeyCache({ now: () => NOW, fetch: iss.fetch }) });
    const t = await sign({}, k1, 'k1');
    const r = await em.send({ url, headers: { 'X-Api-Token': t } });
    assert.equal(r.status, 204, `${r.lastError?.reason ?? ''}: before, the scheme was required in X-Api-Token and the token was "not present"`);
  });

  it('on the Authorization header the scheme is still required', async () => {
    const iss = issuer();
    iss.state.keys = [jwk1];
    const em = emulate(oidcPolicy('header-name="Authorization" require-scheme="Bearer"'), { now: () => NOW, keyCache: new KeyCache({ now: () => NOW, fetch: iss.fetch }) });
    const t = await sign({}, k1, 'k1');
    assert.equal((await em.send({ url, headers: { Authorization: t } })).lastError?.reason, 'TokenNotPresent');
    assert.equal((await em.send({ url, headers: { Authorization: `bearer ${t}` } })).status, 204);
  });
});

describe('validate-jwt: the OpenID key cache', () => {
  it('a failed scheduled refresh keeps serving the cached keys', async () => {
    let now = NOW;
    const iss = issuer();
    iss.state.keys = [jwk1];
    const em = emulate(oidcPolicy('header-name="Authorization"'), { now: () => now, keyCache: new KeyCache({ now: () => now, fetch: iss.fetch }) });
    const call = async () => em.send({ url, headers: { Authorization: `Bearer ${await sign({}, k1, 'k1', now)}` } });
    assert.equal((await call()).status, 204);
    const loaded = iss.state.fetches;
    iss.state.down = true;
    now += 61 * 60_000; // past the hour: the refresh is due and fails
    const r = await call();
    assert.equal(r.status, 204, `${r.lastError?.reason ?? ''}: before, the failed refresh refused every token`);
    assert.equal(iss.state.fetches, loaded + 1, 'one refresh attempt');
    for (let i = 0; i < 3; i++) assert.equal((await call()).status, 204);
    assert.equal(iss.state.fetches, loaded + 1, 'no fetch per request while the issuer is down');
  });

  it('one probe with an unknown kid delays a key rotated right after it by up to the 5-minute window (as APIM)', async () => {
    let now = NOW;
    const iss = issuer();
    iss.state.keys = [jwk1];
    const em = emulate(oidcPolicy('header-name="Authorization"'), { now: () => now, keyCache: new KeyCache({ now: () => now, fetch: iss.fetch }) });
    const send = (t: string) => em.send({ url, headers: { Authorization: `Bearer ${t}` } });
    assert.equal((await send(await sign({}, k1, 'k1', now))).status, 204);
    const probe = await send(await sign({}, k2, 'random-kid-9f2c', now));
    assert.equal(probe.lastError?.reason, 'TokenSignatureKeyNotFound');
    // the issuer rotates to k2 a second later
    now += 1000;
    iss.state.keys = [jwk1, jwk2];
    const fetches = iss.state.fetches;
    const early = await send(await sign({}, k2, 'k2', now));
    assert.equal(early.status, 401, 'within the window of the probe\'s refetch, the new kid is not fetched');
    assert.equal(early.lastError?.reason, 'TokenSignatureKeyNotFound');
    assert.equal(iss.state.fetches, fetches);
    now = NOW + 5 * 60_000; // the window since the probe is over
    assert.equal((await send(await sign({}, k2, 'k2', now))).status, 204, 'the next refetch picks the rotated key up');
    assert.equal(iss.state.fetches, fetches + 2, 'discovery and JWKS, once');
  });
});

describe('validate-azure-ad-token as documented', () => {
  const v2Issuer = `https://login.microsoftonline.com/${TENANT}/v2.0`;
  const adPolicy = (inner: string, attrs = '') => `<policies><inbound>
    <validate-azure-ad-token tenant-id="${TENANT}" ${attrs}>${inner}<audiences><audience>${AUD}</audience></audiences></validate-azure-ad-token>
    <return-response><set-status code="204" reason="No Content" /></return-response>
  </inbound><backend /><outbound /><on-error /></policies>`;
  const clients = '<client-application-ids><application-id>client-1</application-id></client-application-ids>';
  const setup = () => {
    const iss = issuer(v2Issuer);
    iss.state.keys = [jwk1];
    return { now: () => NOW, keyCache: new KeyCache({ now: () => NOW, fetch: iss.fetch }), azureAdOpenIdConfigUrl: () => 'https://issuer.test/.well-known/openid-configuration' };
  };
  const invalid = (xml: string, message: RegExp) =>
    assert.throws(
      () => emulate(xml, setup()),
      (e: unknown) => e instanceof EmulatorError && e.code === 'INVALID_POLICY' && message.test(e.message),
    );

  it('client-application-ids is required, with at least one application-id', () => {
    invalid(adPolicy(''), /needs <client-application-ids> with at least one <application-id>/);
    invalid(adPolicy('<client-application-ids />'), /needs <client-application-ids>/);
  });

  it('refuses attributes and elements the reference does not document', () => {
    invalid(adPolicy(clients, 'clock-skew="300"'), /clock-skew is not an attribute of validate-azure-ad-token/);
    invalid(adPolicy(clients, 'require-scheme="Bearer"'), /require-scheme is not an attribute/);
    invalid(adPolicy(clients + '<issuers><issuer>x</issuer></issuers>'), /<issuers> is not an element of validate-azure-ad-token/);
  });

  it('a client application outside the list is refused with a documented reason', async () => {
    const em = emulate(adPolicy(clients), setup());
    const tok = (claims: Record<string, unknown>) => sign({ iss: v2Issuer, ...claims }, k1, 'k1');
    assert.equal((await em.send({ url, headers: { Authorization: `Bearer ${await tok({ azp: 'client-1' })}` } })).status, 204);
    const other = await em.send({ url, headers: { Authorization: `Bearer ${await tok({ azp: 'client-2' })}` } });
    assert.equal(other.status, 401);
    assert.equal(other.lastError?.reason, 'TokenClaimValueNotAllowed');
    assert.equal(other.lastError?.message, 'Claim azp value of client-2 is not allowed. Access denied.');
    const none = await em.send({ url, headers: { Authorization: `Bearer ${await tok({})}` } });
    assert.equal(none.lastError?.reason, 'TokenClaimNotFound');
    const v1 = await em.send({ url, headers: { Authorization: `Bearer ${await tok({ appid: 'client-3' })}` } });
    assert.equal(v1.lastError?.message, 'Claim appid value of client-3 is not allowed. Access denied.');
  });

  it('a token not yet valid is JwtInvalid ("other validation failures"), not an undocumented reason', async () => {
    const em = emulate(adPolicy(clients), setup());
    const early = await sign({ iss: v2Issuer, azp: 'client-1', nbf: NOW / 1000 + 600 }, k1, 'k1');
    const r = await em.send({ url, headers: { Authorization: `Bearer ${early}` } });
    assert.equal(r.status, 401);
    assert.equal(r.lastError?.reason, 'JwtInvalid');
  });
});
