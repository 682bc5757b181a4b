import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPublicKey } from 'node:crypto';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWK } from 'jose';
import { emulate, KeyCache, type EmulateOptions } from '../../../policies/emulator/index.js';

// a fixed clock: 2026-01-01T00:00:00Z
const NOW = Date.UTC(2026, 0, 1) / 1000;
const clock = (): number => NOW * 1000;
const AUD = 'api://orders';
const ISS = 'https://issuer.test/';

type Keys = Awaited<ReturnType<typeof generateKeyPair>>;
let rsa: Keys;
let rsaJwk: JWK;

function b64url(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64url');
}

async function token(claims: Record<string, unknown> = {}, opts: { kid?: string; key?: Keys['privateKey'] | Uint8Array; alg?: string } = {}): Promise<string> {
  const alg = opts.alg ?? 'RS256';
  return new SignJWT({ tid: 'contoso', roles: ['Orders.Read'], sub: 'alice', aud: AUD, iss: ISS, iat: NOW - 10, exp: NOW + 600, ...claims })
    .setProtectedHeader(opts.kid === undefined ? { alg, kid: 'k1' } : opts.kid === '' ? { alg } : { alg, kid: opts.kid })
    .sign(opts.key ?? rsa.privateKey);
}

function policy(inner = '', attrs = ''): string {
  return `<policies><inbound>
    <validate-jwt header-name="Authorization" require-scheme="Bearer" output-token-variable-name="jwt" ${attrs}>
      <issuer-signing-keys><key id="k1" n="${rsaJwk.n}" e="${rsaJwk.e}" /></issuer-signing-keys>
      <audiences><audience>${AUD}</audience></audiences>
      <issuers><issuer>${ISS}</issuer></issuers>
      ${inner}
    </validate-jwt>
    <set-variable name="sub" value="@(((Jwt)context.Variables[&quot;jwt&quot;]).Subject)" />
    <return-response><set-status code="200" reason="OK" /><set-body>@(((Jwt)context.Variables["jwt"]).Claims.GetValueOrDefault("roles", ""))</set-body></return-response>
  </inbound><backend /><outbound /><on-error /></policies>`;
}

async function send(xml: string, auth: string | undefined, options: EmulateOptions = {}) {
  return emulate(xml, { now: clock, ...options }).send({ url: 'https://gw.test/orders', headers: auth === undefined ? {} : { Authorization: auth } });
}

async function refused(xml: string, auth: string | undefined, reason: string, message: string | RegExp, status = 401) {
  const r = await send(xml, auth);
  assert.equal(r.status, status, `status for ${reason}`);
  assert.equal(r.lastError?.reason, reason);
  assert.equal(r.lastError?.source, 'validate-jwt');
  if (typeof message === 'string') assert.equal(r.lastError?.message, message);
  else assert.match(r.lastError!.message, message);
  assert.deepEqual(JSON.parse(r.body), { statusCode: status, message: 'Unauthorized. Access token is missing or invalid.' });
  assert.equal(r.variables.jwt, undefined, 'no token variable after a refusal');
  return r;
}

before(async () => {
  rsa = await generateKeyPair('RS256', { extractable: true });
  rsaJwk = await exportJWK(rsa.publicKey);
});

describe('validate-jwt: accepted tokens', () => {
  it('accepts a valid RS256 token and exposes it to later expressions', async () => {
    const r = await send(policy(), `Bearer ${await token()}`);
    assert.equal(r.status, 200);
    assert.equal(r.body, 'Orders.Read');
    assert.equal(r.variables.sub, 'alice');
    assert.equal(r.lastError, null);
  });

  it('accepts PS256 with the same RSA key', async () => {
    const t = await token({}, { alg: 'PS256', key: (await generateKeyPair('PS256')).privateKey });
    // signed with another key: refused
    await refused(policy(), `Bearer ${t}`, 'TokenSignatureInvalid', 'Signature validation failed. Access denied.');
    const rsaPs = await generateKeyPair('PS256', { extractable: true });
    const jwk = await exportJWK(rsaPs.publicKey);
    const xml = policy().replace(`n="${rsaJwk.n}" e="${rsaJwk.e}"`, `n="${jwk.n}" e="${jwk.e}"`);
    const ok = await send(xml, `Bearer ${await token({}, { alg: 'PS256', key: rsaPs.privateKey })}`);
    assert.equal(ok.status, 200);
  });

  it('accepts HS256 only with an explicit symmetric key', async () => {
    const secret = new Uint8Array(32).fill(7);
    const xml = policy().replace(/<issuer-signing-keys>.*<\/issuer-signing-keys>/, `<issuer-signing-keys><key>${Buffer.from(secret).toString('base64')}</key></issuer-signing-keys>`);
    const r = await send(xml, `Bearer ${await token({}, { alg: 'HS256', key: secret, kid: '' })}`);
    assert.equal(r.status, 200);
    const wrong = await send(xml, `Bearer ${await token({}, { alg: 'HS256', key: new Uint8Array(32).fill(8), kid: '' })}`);
    assert.equal(wrong.lastError?.reason, 'TokenSignatureInvalid');
  });

  it('reads the token from a query parameter or an expression', async () => {
    const t = await token();
    const q = policy().replace('header-name="Authorization" require-scheme="Bearer"', 'query-parameter-name="access_token"');
    const r = await emulate(q, { now: clock }).send({ url: `https://gw.test/orders?access_token=${t}` });
    assert.equal(r.status, 200);
    const e = policy().replace('header-name="Authorization" require-scheme="Bearer"', 'token-value="@(context.Request.Headers.GetValueOrDefault(&quot;X-Token&quot;, &quot;&quot;))"');
    const r2 = await emulate(e, { now: clock }).send({ url: 'https://gw.test/orders', headers: { 'X-Token': t } });
    assert.equal(r2.status, 200);
    const r3 = await emulate(e, { now: clock }).send({ url: 'https://gw.test/orders' });
    assert.equal(r3.lastError?.reason, 'TokenNotPresent');
  });

  it('clock-skew accepts a token expired within the skew, not beyond', async () => {
    const xml = policy('', 'clock-skew="60"');
    assert.equal((await send(xml, `Bearer ${await token({ exp: NOW - 30 })}`)).status, 200);
    assert.equal((await send(xml, `Bearer ${await token({ exp: NOW - 90 })}`)).lastError?.reason, 'TokenExpired');
  });

  it('require-expiration-time="false" accepts a token without exp', async () => {
    assert.equal((await send(policy('', 'require-expiration-time="false"'), `Bearer ${await token({ exp: undefined })}`)).status, 200);
  });
});

describe('validate-jwt: every refusal with APIM reason, message and status', () => {
  it('no token', async () => {
    await refused(policy(), undefined, 'TokenNotPresent', 'JWT not present.');
  });
  it('missing scheme', async () => {
    await refused(policy(), await token(), 'TokenNotPresent', 'JWT not present.');
    await refused(policy(), `Basic ${await token()}`, 'TokenNotPresent', 'JWT not present.');
  });
  it('expired', async () => {
    await refused(policy(), `Bearer ${await token({ exp: NOW - 1 })}`, 'TokenExpired', 'Token is expired. Access denied.');
  });
  it('no exp while require-expiration-time', async () => {
    await refused(policy(), `Bearer ${await token({ exp: undefined })}`, 'TokenExpired', /missing an Expiration Time/);
  });
  it('nbf in the future', async () => {
    await refused(policy(), `Bearer ${await token({ nbf: NOW + 300 })}`, 'TokenNotYetValid', 'Token is not valid yet. Access denied.');
  });
  it('wrong audience', async () => {
    await refused(policy(), `Bearer ${await token({ aud: 'api://other' })}`, 'TokenAudienceNotAllowed', 'Audience api://other is not allowed. Access denied.');
  });
  it('wrong issuer', async () => {
    await refused(policy(), `Bearer ${await token({ iss: 'https://evil.test/' })}`, 'TokenIssuerNotAllowed', 'Issuer https://evil.test/ is not allowed. Access denied.');
  });
  it('alg none', async () => {
    const t = `${b64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${b64url(JSON.stringify({ sub: 'alice', aud: AUD, iss: ISS, exp: NOW + 60, tid: 'contoso' }))}.`;
    await refused(policy(), `Bearer ${t}`, 'TokenSignatureInvalid', /not signed/);
  });
  it('RS256 → HS256 key confusion (HMAC with the RSA public key bytes)', async () => {
    const pem = await exportSPKI(rsa.publicKey);
    const der = createPublicKey(pem).export({ type: 'spki', format: 'der' });
    for (const secret of [new TextEncoder().encode(pem), new Uint8Array(der)]) {
      const t = await token({}, { alg: 'HS256', key: secret });
      await refused(policy(), `Bearer ${t}`, 'TokenSignatureInvalid', /algorithm HS256 is not allowed/);
    }
  });
  it('unknown kid', async () => {
    await refused(policy(), `Bearer ${await token({}, { kid: 'nope' })}`, 'TokenSignatureKeyNotFound', 'Signature key for ID nope was not found. Access denied.');
  });
  it('tampered payload', async () => {
    const [h, , s] = (await token()).split('.');
    const forged = b64url(JSON.stringify({ tid: 'contoso', roles: ['Orders.Admin'], sub: 'mallory', aud: AUD, iss: ISS, exp: NOW + 600 }));
    await refused(policy(), `Bearer ${h}.${forged}.${s}`, 'TokenSignatureInvalid', 'Signature validation failed. Access denied.');
  });
  it('tampered signature', async () => {
    const t = await token();
    const last = t.at(-2) === 'A' ? 'B' : 'A';
    await refused(policy(), `Bearer ${t.slice(0, -2)}${last}${t.at(-1)}`, 'TokenSignatureInvalid', 'Signature validation failed. Access denied.');
  });
  it('malformed token', async () => {
    await refused(policy(), 'Bearer not-a-jwt', 'JwtInvalid', 'JWT is not well formed. Access denied.');
    await refused(policy(), 'Bearer a.b.c', 'JwtInvalid', 'JWT is not well formed. Access denied.');
    await refused(policy(), `Bearer ${b64url('{"alg":"RS256"}')}.${b64url('[1]')}.sig`, 'JwtInvalid', 'JWT is not well formed. Access denied.');
  });
  it('missing required claim (every missing claim named)', async () => {
    const xml = policy('<required-claims><claim name="tid" /><claim name="oid" /><claim name="sub" /></required-claims>');
    await refused(xml, `Bearer ${await token({ tid: undefined })}`, 'TokenClaimNotFound', 'JWT token is missing the following claims: tid, oid. Access denied.');
  });
  it('mismatched required claim', async () => {
    const xml = policy('<required-claims><claim name="tid"><value>contoso</value></claim></required-claims>');
    await refused(xml, `Bearer ${await token({ tid: 'fabrikam' })}`, 'TokenClaimValueNotAllowed', 'Claim tid value of fabrikam is not allowed. Access denied.');
  });
  it('failed-validation-httpcode and failed-validation-error-message', async () => {
    const r = await send(policy('', 'failed-validation-httpcode="403" failed-validation-error-message="Nope"'), undefined);
    assert.equal(r.status, 403);
    assert.deepEqual(JSON.parse(r.body), { statusCode: 403, message: 'Nope' });
  });
  it('the failure reaches on-error with LastError', async () => {
    const xml = policy().replace('<on-error />', '<on-error><set-header name="X-Reason" exists-action="override"><value>@(context.LastError.Reason)</value></set-header></on-error>');
    const r = await send(xml, `Bearer ${await token({ exp: NOW - 5 })}`);
    assert.equal(r.status, 401);
    assert.equal(r.headers['x-reason'], 'TokenExpired');
  });
});

describe('validate-jwt: required-claims semantics', () => {
  const claimPolicy = (claim: string) => policy(`<required-claims>${claim}</required-claims>`);
  it('match="all" needs every value, match="any" one of them', async () => {
    const all = claimPolicy('<claim name="roles" match="all"><value>Orders.Read</value><value>Orders.Write</value></claim>');
    const any = claimPolicy('<claim name="roles" match="any"><value>Orders.Read</value><value>Orders.Write</value></claim>');
    const readOnly = `Bearer ${await token({ roles: ['Orders.Read'] })}`;
    const both = `Bearer ${await token({ roles: ['Orders.Read', 'Orders.Write'] })}`;
    assert.equal((await send(all, readOnly)).lastError?.reason, 'TokenClaimValueNotAllowed');
    assert.equal((await send(all, both)).status, 200);
    assert.equal((await send(any, readOnly)).status, 200);
    assert.equal((await send(any, `Bearer ${await token({ roles: ['Other'] })}`)).lastError?.message, 'Claim roles value of Other is not allowed. Access denied.');
  });
  it('separator splits a string claim', async () => {
    const xml = claimPolicy('<claim name="scp" match="any" separator=" "><value>orders.read</value></claim>');
    assert.equal((await send(xml, `Bearer ${await token({ scp: 'profile orders.read' })}`)).status, 200);
    const noSep = claimPolicy('<claim name="scp" match="any"><value>orders.read</value></claim>');
    assert.equal((await send(noSep, `Bearer ${await token({ scp: 'profile orders.read' })}`)).lastError?.reason, 'TokenClaimValueNotAllowed');
  });
});

// ---- OpenID discovery -------------------------------------------------------------------------

describe('validate-jwt: OpenID discovery and key caching', () => {
  let server: Server;
  let base: string;
  let jwks: JWK[] = [];
  let jwksFetches = 0;
  let configFetches = 0;
  let k1: Keys;
  let k2: Keys;
  let ec: Keys;

  before(async () => {
    k1 = await generateKeyPair('RS256', { extractable: true });
    k2 = await generateKeyPair('RS256', { extractable: true });
    ec = await generateKeyPair('ES256', { extractable: true });
    jwks = [{ ...(await exportJWK(k1.publicKey)), kid: 'k1', use: 'sig' }, { ...(await exportJWK(ec.publicKey)), kid: 'ec1', use: 'sig' }];
    server = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/.well-known/openid-configuration') {
        configFetches++;
        res.end(JSON.stringify({ issuer: ISS, jwks_uri: `${base}/keys` }));
      } else if (req.url === '/keys') {
        jwksFetches++;
        // a slow JWKS makes concurrent callers overlap
        setTimeout(() => res.end(JSON.stringify({ keys: jwks })), 20);
      } else {
        res.statusCode = 404;
        res.end('{}');
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  const oidcPolicy = (): string => `<policies><inbound>
      <validate-jwt header-name="Authorization" require-scheme="Bearer">
        <openid-config url="{{oidc}}" />
        <audiences><audience>${AUD}</audience></audiences>
      </validate-jwt>
      <return-response><set-status code="204" reason="No Content" /></return-response>
    </inbound><backend /><outbound /><on-error /></policies>`;

  it('fetches once, shares the fetch between concurrent requests, then serves from cache; rotation is picked up within the bounds', async () => {
    let now = NOW * 1000;
    const keyCache = new KeyCache({ now: () => now });
    const em = emulate(oidcPolicy(), { now: () => now, keyCache, namedValues: { oidc: `${base}/.well-known/openid-configuration` } });
    const send1 = async (t: string) => em.send({ url: 'https://gw.test/x', headers: { Authorization: `Bearer ${t}` } });
    const before = jwksFetches;
    const good = await token({ iat: NOW, exp: NOW + 7200 }, { key: k1.privateKey, kid: 'k1' });
    const results = await Promise.all(Array.from({ length: 20 }, () => send1(good)));
    assert.deepEqual(new Set(results.map((r) => r.status)), new Set([204]));
    assert.equal(jwksFetches - before, 1, 'concurrent requests share one JWKS fetch');
    for (let i = 0; i < 10; i++) assert.equal((await send1(good)).status, 204);
    assert.equal(jwksFetches - before, 1, 'never a fetch per request');

    // ES256 key from the same JWKS
    assert.equal((await send1(await token({ exp: NOW + 7200 }, { alg: 'ES256', key: ec.privateKey, kid: 'ec1' }))).status, 204);

    // the issuer from discovery is enforced
    assert.equal((await send1(await token({ iss: 'https://evil.test/', exp: NOW + 7200 }, { key: k1.privateKey, kid: 'k1' }))).lastError?.reason, 'TokenIssuerNotAllowed');

    // rotation: a token with a new kid triggers one refetch
    jwks = [...jwks, { ...(await exportJWK(k2.publicKey)), kid: 'k2', use: 'sig' }];
    const rotated = await token({ exp: NOW + 7200 }, { key: k2.privateKey, kid: 'k2' });
    assert.equal((await send1(rotated)).status, 204);
    assert.equal(jwksFetches - before, 2, 'unknown kid refetched once');

    // unknown kids: one refetch per five minutes at most
    const stranger = await token({ exp: NOW + 7200 }, { key: k2.privateKey, kid: 'k9' });
    now += 1000;
    assert.equal((await send1(stranger)).lastError?.reason, 'TokenSignatureKeyNotFound');
    assert.equal(jwksFetches - before, 2, 'within 5 minutes of the last refetch: no fetch');
    for (let i = 0; i < 5; i++) await send1(stranger);
    assert.equal(jwksFetches - before, 2);
    now += 5 * 60 * 1000;
    await send1(stranger);
    assert.equal(jwksFetches - before, 3, 'after 5 minutes one more refetch');
    await send1(stranger);
    assert.equal(jwksFetches - before, 3);

    // keys are kept for an hour, then reloaded
    now += 30 * 60 * 1000;
    await send1(good);
    assert.equal(jwksFetches - before, 3);
    now += 31 * 60 * 1000;
    await send1(good);
    assert.equal(jwksFetches - before, 4, 'reloaded after an hour');
    assert.ok(configFetches >= 4);
  });

  it('an unreachable issuer refuses tokens (fail closed) without a fetch per request', async () => {
    let now = NOW * 1000;
    let calls = 0;
    const keyCache = new KeyCache({
      now: () => now,
      fetch: async () => {
        calls++;
        throw new Error('connection refused');
      },
    });
    const em = emulate(oidcPolicy(), { now: () => now, keyCache, namedValues: { oidc: 'http://127.0.0.1:1/.well-known/openid-configuration' } });
    const t = await token({}, { key: k1.privateKey, kid: 'k1' });
    for (let i = 0; i < 5; i++) {
      const r = await em.send({ url: 'https://gw.test/x', headers: { Authorization: `Bearer ${t}` } });
      assert.equal(r.status, 401);
      assert.equal(r.lastError?.reason, 'TokenSignatureKeyNotFound');
    }
    assert.equal(calls, 1);
    now += 4 * 60_000;
    await em.send({ url: 'https://gw.test/x', headers: { Authorization: `Bearer ${t}` } });
    assert.equal(calls, 1, 'a failed retrieval is retried at most once per 5 minutes (validate-jwt reference)');
    now += 60_000;
    await em.send({ url: 'https://gw.test/x', headers: { Authorization: `Bearer ${t}` } });
    assert.equal(calls, 2, 'retried after the back-off');
  });
});

// ---- a discovery document or JWKS that cannot be loaded ----------------------------------------

describe('validate-jwt: why the signing keys are missing goes into the trace (regression: only TokenSignatureKeyNotFound, empty trace)', () => {
  let server: Server;
  let base: string;
  let jwksAnswer: 'ok' | 'bad-json' = 'ok';
  before(async () => {
    rsa ??= await generateKeyPair('RS256', { extractable: true });
    const jwk = { ...(await exportJWK(rsa.publicKey)), kid: 'k1', use: 'sig' };
    server = createServer((req, res) => {
      if (req.url === '/500/.well-known/openid-configuration') {
        res.statusCode = 500;
        res.end('{}');
      } else if (req.url === '/not-json/.well-known/openid-configuration') {
        res.setHeader('content-type', 'text/html');
        res.end('<html>maintenance</html>');
      } else if (req.url === '/ok/.well-known/openid-configuration') {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ issuer: ISS, jwks_uri: `${base}/ok/keys` }));
      } else if (req.url === '/ok/keys') {
        res.setHeader('content-type', 'application/json');
        res.end(jwksAnswer === 'ok' ? JSON.stringify({ keys: [jwk] }) : '{"keys": [');
      } else {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  const xml = `<policies><inbound>
      <validate-jwt header-name="Authorization" require-scheme="Bearer"><openid-config url="{{oidc}}" /></validate-jwt>
      <return-response><set-status code="204" reason="No Content" /></return-response>
    </inbound><backend /><outbound /><on-error /></policies>`;

  async function refusedWith(oidc: string, kid = 'k1', em = emulate(xml, { now: clock, namedValues: { oidc } })) {
    const r = await em.send({ url: 'https://gw.test/x', headers: { Authorization: `Bearer ${await token({}, { kid })}` } });
    assert.equal(r.status, 401);
    // context.LastError stays APIM's own reason and message
    assert.equal(r.lastError?.reason, 'TokenSignatureKeyNotFound');
    assert.equal(r.lastError?.message, `Signature key for ID ${kid} was not found. Access denied.`);
    const entries = r.trace.filter((t) => t.metadata?.['reason'] === 'KeyFetchFailed');
    assert.equal(entries.length, 1, JSON.stringify(r.trace));
    assert.equal(entries[0]!.source, 'validate-jwt');
    assert.equal(entries[0]!.severity, 'error');
    return entries[0]!.message;
  }

  it('a discovery document answering 500 names the URL and the status', async () => {
    assert.equal(await refusedWith(`${base}/500/.well-known/openid-configuration`), `signing keys could not be loaded: fetching ${base}/500/.well-known/openid-configuration answered 500`);
  });

  it('a discovery document that is not JSON says so', async () => {
    assert.equal(await refusedWith(`${base}/not-json/.well-known/openid-configuration`), `signing keys could not be loaded: ${base}/not-json/.well-known/openid-configuration did not answer JSON`);
  });

  it('an issuer that is down: the connection error, with its cause', async () => {
    const down = createServer();
    await new Promise<void>((r) => down.listen(0, '127.0.0.1', r));
    const port = (down.address() as AddressInfo).port;
    await new Promise<void>((r) => down.close(() => r()));
    const message = await refusedWith(`http://127.0.0.1:${port}/.well-known/openid-configuration`);
    assert.match(message, new RegExp(`^signing keys could not be loaded: could not fetch http://127\\.0\\.0\\.1:${port}/\\.well-known/openid-configuration: fetch failed \\(ECONNREFUSED\\)$`));
  });

  it('an unknown kid whose refetch fails (a JWKS that is not JSON) says why; a known kid is still served from the cache', async () => {
    jwksAnswer = 'ok';
    const em = emulate(xml, { now: clock, namedValues: { oidc: `${base}/ok/.well-known/openid-configuration` } });
    const good = await em.send({ url: 'https://gw.test/x', headers: { Authorization: `Bearer ${await token({}, { kid: 'k1' })}` } });
    assert.equal(good.status, 204);
    jwksAnswer = 'bad-json';
    try {
      assert.equal(await refusedWith(`${base}/ok/.well-known/openid-configuration`, 'rotated', em), `signing keys could not be loaded: ${base}/ok/keys did not answer JSON`);
      const again = await em.send({ url: 'https://gw.test/x', headers: { Authorization: `Bearer ${await token({}, { kid: 'k1' })}` } });
      assert.equal(again.status, 204);
      assert.deepEqual(again.trace, []);
    } finally {
      jwksAnswer = 'ok';
    }
  });
});
