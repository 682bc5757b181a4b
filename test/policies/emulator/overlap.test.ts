/**
 * validate-jwt's signature check overlaps the pure steps after it (policies/emulator/overlap.ts).
 * What callers, backends, counters and on-error see must be exactly what they would see if
 * validate-jwt had waited: these tests send tokens with a bad signature through policies whose
 * later steps change the request, set variables, trace, return, fail, count and call out.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { emulate, type EmulateOptions } from '../../../policies/emulator/index.js';
import type { Step } from '../../../policies/emulator/compile.js';
import { earlyJwtCheck, startEarly, type EarlyJwtCheck } from '../../../policies/emulator/overlap.js';

const NOW = Date.UTC(2026, 0, 1) / 1000;
const clock = (): number => NOW * 1000;
const AUD = 'api://orders';
const ISS = 'https://issuer.test/';

let signer: SigningKey;
let otherSigner: SigningKey;
let jwk: JWK;
type SigningKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

async function token(claims: Record<string, unknown> = {}, key: SigningKey = signer): Promise<string> {
  return new SignJWT({ sub: 'alice', oid: 'oid-alice', aud: AUD, iss: ISS, iat: NOW - 10, exp: NOW + 600, ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .sign(key);
}

/** A token whose signature does not verify: signed by another key under the same kid. */
const forged = (claims: Record<string, unknown> = {}): Promise<string> => token(claims, otherSigner);

function validateJwt(attrs = ''): string {
  return `<validate-jwt header-name="Authorization" require-scheme="Bearer" output-token-variable-name="jwt" ${attrs}>
      <issuer-signing-keys><key id="k1" n="${jwk.n}" e="${jwk.e}" /></issuer-signing-keys>
      <audiences><audience>${AUD}</audience></audiences>
      <issuers><issuer>${ISS}</issuer></issuers>
    </validate-jwt>`;
}

function policy(inbound: string, onError = '', backend = '<forward-request />'): string {
  return `<policies><inbound>${inbound}</inbound><backend>${backend}</backend><outbound /><on-error>${onError}</on-error></policies>`;
}

async function send(xml: string, auth: string, options: EmulateOptions = {}, extra: { url?: string; headers?: Record<string, string> } = {}) {
  return emulate(xml, { now: clock, backend: async () => ({ status: 200, body: 'from backend' }), ...options }).send({
    url: extra.url ?? 'https://gw.test/orders?page=1',
    headers: { Authorization: auth, ...extra.headers },
  });
}

function assertSignatureRefused(r: Awaited<ReturnType<typeof send>>, path = 'inbound/validate-jwt[0]'): void {
  assert.equal(r.status, 401);
  assert.equal(r.lastError?.reason, 'TokenSignatureInvalid');
  assert.equal(r.lastError?.source, 'validate-jwt');
  assert.equal(r.lastError?.path, path, 'the failure is named after validate-jwt, not a later step');
}

before(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  signer = pair.privateKey;
  jwk = await exportJWK(pair.publicKey);
  otherSigner = (await generateKeyPair('RS256')).privateKey;
});

describe('validate-jwt: the steps after it run while the signature is checked, and a bad signature undoes them', () => {
  // every change a pure step can make to the run, after validate-jwt
  const changes = `
    <set-variable name="seen" value="@(((Jwt)context.Variables[&quot;jwt&quot;]).Subject)" />
    <set-header name="X-Identity-Subject" exists-action="override"><value>@((string)context.Variables["seen"])</value></set-header>
    <set-header name="X-Caller" exists-action="delete" />
    <set-query-parameter name="page" exists-action="override"><value>2</value></set-query-parameter>
    <rewrite-uri template="/changed" />
    <set-method>DELETE</set-method>
    <set-body>changed body</set-body>
    <set-backend-service base-url="https://elsewhere.test" />
    <trace source="test">speculative</trace>
    <emit-metric name="m" value="1" />`;
  // on-error reports what it sees of the request and variables
  const report = `<return-response>
      <set-status code="401" reason="Unauthorized" />
      <set-body>@(string.Join("|", context.Request.Method, context.Request.Url.Path, context.Request.Url.Query.GetValueOrDefault("page", "none"), context.Request.Headers.GetValueOrDefault("X-Identity-Subject", "none"), context.Request.Headers.GetValueOrDefault("X-Caller", "none"), context.Request.Url.Host, context.Request.Body.As<string>(true), context.Variables.ContainsKey("seen"), context.Variables.ContainsKey("jwt")))</set-body>
    </return-response>`;

  it('a valid token: every step ran and the backend got the changed request', async () => {
    const calls: { method: string; url: string; headers: Record<string, string> }[] = [];
    const r = await send(policy(validateJwt() + changes, report), `Bearer ${await token()}`, {
      backend: async (req) => {
        calls.push({ method: req.method, url: req.url, headers: req.headers });
        return { status: 200, body: 'ok' };
      },
    }, { headers: { 'X-Caller': 'me' } });
    assert.equal(r.status, 200);
    assert.equal(r.variables.seen, 'alice');
    assert.equal(calls.length, 1);
    assert.equal(calls[0]!.method, 'DELETE');
    assert.equal(calls[0]!.url, 'https://elsewhere.test/changed?page=2');
    assert.equal(calls[0]!.headers['X-Identity-Subject'], 'alice');
    assert.equal(calls[0]!.headers['X-Caller'], undefined);
    assert.deepEqual(r.trace.map((t) => t.message), ['speculative']);
    assert.equal(r.metrics.length, 1);
  });

  it('a forged token: the request, variables, trace and metrics are as they were before validate-jwt, and no backend is called', async () => {
    let backendCalls = 0;
    const r = await send(policy(validateJwt() + changes, report), `Bearer ${await forged()}`, {
      backend: async () => {
        backendCalls++;
        return { status: 200 };
      },
    }, { headers: { 'X-Caller': 'me' } });
    assertSignatureRefused(r);
    assert.equal(r.body, 'GET|/orders|1|none|me|gw.test||False|False');
    assert.deepEqual(r.variables, {});
    assert.deepEqual(r.trace, []);
    assert.deepEqual(r.metrics, []);
    assert.equal(backendCalls, 0);
    assert.deepEqual(r.backendCalls, []);
  });

  it('a forged token: a return-response after validate-jwt gives way to the signature failure', async () => {
    const xml = policy(`${validateJwt()}<return-response><set-status code="200" reason="OK" /><set-body>returned</set-body></return-response>`);
    const ok = await send(xml, `Bearer ${await token()}`);
    assert.equal(ok.status, 200);
    assert.equal(ok.body, 'returned');
    assertSignatureRefused(await send(xml, `Bearer ${await forged()}`));
  });

  it('a forged token: a later step that fails gives way to the signature failure', async () => {
    const xml = policy(`${validateJwt()}<set-variable name="n" value="@(int.Parse(&quot;not a number&quot;))" />`);
    const ok = await send(xml, `Bearer ${await token()}`);
    assert.equal(ok.status, 500);
    assert.equal(ok.lastError?.reason, 'ExpressionValueEvaluationFailure');
    assertSignatureRefused(await send(xml, `Bearer ${await forged()}`));
  });

  it('a forged token: a choose whose branch returns gives way to the signature failure', async () => {
    const xml = policy(`${validateJwt()}<choose><when condition="@(true)"><return-response><set-status code="204" reason="No Content" /></return-response></when></choose>`);
    assert.equal((await send(xml, `Bearer ${await token()}`)).status, 204);
    assertSignatureRefused(await send(xml, `Bearer ${await forged()}`));
  });

  it('failed-validation-error-message is evaluated against the request as it was at validate-jwt', async () => {
    const xml = policy(`${validateJwt('failed-validation-error-message="@(context.Request.Headers.GetValueOrDefault(&quot;X-Caller&quot;, &quot;none&quot;))"')}<set-header name="X-Caller" exists-action="override"><value>changed</value></set-header>`);
    const r = await send(xml, `Bearer ${await forged()}`, {}, { headers: { 'X-Caller': 'me' } });
    assertSignatureRefused(r);
    assert.deepEqual(JSON.parse(r.body), { statusCode: 401, message: 'me' });
  });
});

describe('validate-jwt: steps with an effect outside the run wait for the signature', () => {
  it('a forged token never counts against the caller’s rate limit', async () => {
    const xml = policy(`${validateJwt()}<rate-limit-by-key calls="1" renewal-period="60" counter-key="@(((Jwt)context.Variables[&quot;jwt&quot;]).Claims.GetValueOrDefault(&quot;oid&quot;, &quot;&quot;))" />`);
    const emulator = emulate(xml, { now: clock, backend: async () => ({ status: 200 }) });
    const call = async (t: string) => emulator.send({ url: 'https://gw.test/orders', headers: { Authorization: `Bearer ${t}` } });
    assertSignatureRefused(await call(await forged()));
    assertSignatureRefused(await call(await forged()));
    assert.equal((await call(await token())).status, 200, 'the forged calls were not counted');
    assert.equal((await call(await token())).status, 429, 'the limit itself still works');
  });

  it('a forged token never fetches a managed identity token', async () => {
    let fetched = 0;
    const xml = policy(`${validateJwt()}<authentication-managed-identity resource="api://backend" />`);
    const credential = {
      getToken: async () => {
        fetched++;
        return { token: 'mi-token', expiresOnTimestamp: clock() + 3600_000 };
      },
    };
    assertSignatureRefused(await send(xml, `Bearer ${await forged()}`, { credential }));
    assert.equal(fetched, 0);
    assert.equal((await send(xml, `Bearer ${await token()}`, { credential })).status, 200);
    assert.equal(fetched, 1);
  });

  it('a step that changes an object in place waits for the signature (putting the run back could not undo it)', async () => {
    const xml = policy(
      `<set-variable name="arr" value="@(new string[] { &quot;before&quot; })" />
      ${validateJwt()}
      <set-variable name="y" value="@{ var a = (string[])context.Variables[&quot;arr&quot;]; a[0] = &quot;changed&quot;; return &quot;x&quot;; }" />`,
      `<return-response><set-status code="401" reason="Unauthorized" /><set-body>@(((string[])context.Variables["arr"])[0])</set-body></return-response>`,
    );
    const r = await send(xml, `Bearer ${await forged()}`);
    assertSignatureRefused(r, 'inbound/validate-jwt[1]');
    assert.equal(r.body, 'before');
  });

  it('so does a step that adds to a list a variable holds', async () => {
    const xml = policy(
      `<set-variable name="list" value="@{ var l = new List&lt;string&gt;(); l.Add(&quot;before&quot;); return l; }" />
      ${validateJwt()}
      <set-variable name="y" value="@{ ((List&lt;string&gt;)context.Variables[&quot;list&quot;]).Add(&quot;changed&quot;); return &quot;x&quot;; }" />`,
      `<return-response><set-status code="401" reason="Unauthorized" /><set-body>@(string.Join(",", (List<string>)context.Variables["list"]))</set-body></return-response>`,
    );
    const r = await send(xml, `Bearer ${await forged()}`);
    assertSignatureRefused(r, 'inbound/validate-jwt[1]');
    assert.equal(r.body, 'before');
  });

  it('inside retry, validate-jwt fails in place, so retry sees the failure', async () => {
    let sleeps = 0;
    const xml = policy(`<retry condition="@(context.LastError != null)" count="2" interval="1">${validateJwt()}</retry>`);
    const r = await send(xml, `Bearer ${await forged()}`, {
      sleep: async () => {
        sleeps++;
      },
    });
    assert.equal(r.status, 401);
    assert.equal(r.lastError?.reason, 'TokenSignatureInvalid');
    assert.equal(sleeps, 2, 'two retries after the first failure');
  });
});

describe('validate-jwt: the check starts when the request arrives', () => {
  it('behind steps that only set other request headers: the same answers for valid and forged tokens', async () => {
    const xml = policy(`<set-header name="X-Identity-Subject" exists-action="delete" />
      <set-header name="X-Gateway" exists-action="override"><value>apim</value></set-header>
      ${validateJwt()}
      <set-header name="X-Identity-Subject" exists-action="override"><value>@(((Jwt)context.Variables["jwt"]).Subject)</value></set-header>`);
    const seen: Record<string, string>[] = [];
    const options: EmulateOptions = { backend: async (req) => (seen.push(req.headers), { status: 200 }) };
    const ok = await send(xml, `Bearer ${await token()}`, options, { headers: { 'X-Identity-Subject': 'spoofed' } });
    assert.equal(ok.status, 200);
    assert.equal(seen[0]!['X-Identity-Subject'], 'alice');
    assert.equal(seen[0]!['X-Gateway'], 'apim');
    assertSignatureRefused(await send(xml, `Bearer ${await forged()}`, options), 'inbound/validate-jwt[2]');
    assert.equal(seen.length, 1);
  });

  it('a step ahead of validate-jwt that replaces the token: the replaced token is the one checked', async () => {
    const good = await token();
    const xml = policy(`<set-header name="Authorization" exists-action="override"><value>Bearer ${good}</value></set-header>${validateJwt()}`);
    assert.equal((await send(xml, `Bearer ${await forged()}`)).status, 200);
    const bad = policy(`<set-header name="Authorization" exists-action="override"><value>Bearer ${await forged()}</value></set-header>${validateJwt()}`);
    assertSignatureRefused(await send(bad, `Bearer ${good}`), 'inbound/validate-jwt[1]');
  });

  it('never loads keys ahead of the steps before validate-jwt (a request they refuse costs no fetch)', async () => {
    let fetches = 0;
    const configUrl = 'https://issuer.test/.well-known/openid-configuration';
    const fetch = (async (url: string) => {
      fetches++;
      const body = url === configUrl ? { issuer: ISS, jwks_uri: 'https://issuer.test/keys' } : { keys: [{ ...jwk, kid: 'k1' }] };
      return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
    }) as typeof globalThis.fetch;
    const xml = `<policies><inbound>
      <set-header name="X-Fails" exists-action="override"><value>@(int.Parse("not a number").ToString())</value></set-header>
      <validate-jwt header-name="Authorization" require-scheme="Bearer"><openid-config url="${configUrl}" /><audiences><audience>${AUD}</audience></audiences></validate-jwt>
    </inbound><backend /><outbound /><on-error /></policies>`;
    const r = await emulate(xml, { now: clock, fetch }).send({ url: 'https://gw.test/orders', headers: { Authorization: `Bearer ${await token()}` } });
    assert.equal(r.status, 500);
    assert.equal(r.lastError?.reason, 'ExpressionValueEvaluationFailure');
    assert.equal(fetches, 0);
  });
});

describe('overlap: which checks may start early', () => {
  const step = (extra: Partial<Step>): Step => Object.assign(() => undefined, extra);
  const check: EarlyJwtCheck = { header: 'authorization', start: (value) => ({ check, value, token: value, validation: new Promise(() => undefined) }) };

  it('validate-jwt behind steps that only set other request headers, and nothing else', () => {
    assert.equal(earlyJwtCheck([step({ early: check })]), check);
    assert.equal(earlyJwtCheck([step({ setsRequestHeader: 'x-a' }), step({ setsRequestHeader: 'x-b' }), step({ early: check })]), check);
    assert.equal(earlyJwtCheck([step({ setsRequestHeader: 'authorization' }), step({ early: check })]), null, 'a step sets the token header');
    assert.equal(earlyJwtCheck([step({}), step({ early: check })]), null, 'a step that may do anything');
    assert.equal(earlyJwtCheck([step({ setsRequestHeader: 'x-a' })]), null, 'no validate-jwt');
  });

  it('reads the first value of the token header, whatever its case', () => {
    assert.equal(startEarly(check, { AUTHORIZATION: ['first', 'second'] }, 0)?.token, 'first');
    assert.equal(startEarly(check, { authorization: [], Authorization: 'next' }, 0)?.token, 'next');
    assert.equal(startEarly(check, { 'X-Other': 'x' }, 0), null);
    assert.equal(startEarly(check, undefined, 0), null);
  });
});
