/**
 * The overlapped signature check against the reference: random policies (a seeded generator)
 * built from steps before and after validate-jwt, each run by two emulators — one overlapping
 * the signature check with the run (the default), one where validate-jwt waits in place
 * (`overlapSignatureCheck: false`) — on the same sequence of requests with valid, forged,
 * expired, foreign and missing tokens. Every answer, variable, trace entry, backend call,
 * counter and credential call must be the same.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { emulate, type BackendRequest, type EmulateOptions, type EmulatorResult } from '../../../policies/emulator/index.js';

const NOW = Date.UTC(2026, 0, 1) / 1000;
const AUD = 'api://orders';
const ISS = 'https://issuer.test/';
const POLICIES = 150;

type SigningKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
let jwk: JWK;
const tokens: Record<string, string> = {};

async function sign(key: SigningKey, claims: Record<string, unknown>): Promise<string> {
  return new SignJWT({ sub: 'alice', oid: 'oid-alice', aud: AUD, iss: ISS, iat: NOW - 10, exp: NOW + 600, ...claims }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(key);
}

before(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  jwk = await exportJWK(pair.publicKey);
  const other = (await generateKeyPair('RS256')).privateKey;
  tokens.alice = await sign(pair.privateKey, {});
  tokens.bob = await sign(pair.privateKey, { sub: 'bob', oid: 'oid-bob' });
  tokens.forged = await sign(other, {});
  tokens.forgedBob = await sign(other, { sub: 'bob', oid: 'oid-bob' });
  tokens.expired = await sign(pair.privateKey, { iat: NOW - 1000, exp: NOW - 500 });
  tokens.forgedExpired = await sign(other, { iat: NOW - 1000, exp: NOW - 500 });
  tokens.foreign = await sign(pair.privateKey, { aud: 'api://elsewhere' });
});

/** mulberry32: a small seeded generator, so a failure names a reproducible case. */
function generator(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const jwtVar = (name = 'jwt') => `((Jwt)context.Variables[&quot;${name}&quot;])`;

function validateJwt(variable = 'jwt'): string {
  return `<validate-jwt header-name="Authorization" require-scheme="Bearer" output-token-variable-name="${variable}">
      <issuer-signing-keys><key id="k1" n="${jwk.n}" e="${jwk.e}" /></issuer-signing-keys>
      <audiences><audience>${AUD}</audience></audiences>
      <issuers><issuer>${ISS}</issuer></issuers>
    </validate-jwt>`;
}

// steps ahead of validate-jwt: some keep the early start possible, some do not
const BEFORE = [
  '<set-header name="X-Identity-Subject" exists-action="delete" />',
  '<set-header name="X-Gateway" exists-action="override"><value>gw</value></set-header>',
  '<set-variable name="list" value="@{ var l = new List&lt;string&gt;(); l.Add(&quot;a&quot;); return l; }" />',
  '<trace source="before">before</trace>',
];

// steps after it: pure ones, ones that settle first, ones that wait, ones that fail or return
const AFTER = [
  `<set-header name="X-Sub" exists-action="override"><value>@(((Jwt)context.Variables["jwt"]).Subject)</value></set-header>`,
  '<set-header name="X-Caller" exists-action="delete" />',
  `<set-variable name="v" value="@(${jwtVar()}.Claims.GetValueOrDefault(&quot;oid&quot;, &quot;&quot;))" />`,
  '<set-query-parameter name="page" exists-action="override"><value>2</value></set-query-parameter>',
  '<rewrite-uri template="/rewritten" />',
  '<set-method>PUT</set-method>',
  '<set-body>changed</set-body>',
  '<trace source="after">after</trace>',
  '<emit-metric name="m" value="1" />',
  `<choose><when condition="@(${jwtVar()}.Subject == &quot;bob&quot;)"><return-response><set-status code="202" reason="Accepted" /></return-response></when></choose>`,
  '<choose><when condition="@(context.Request.Headers.ContainsKey(&quot;X-Flag&quot;))"><set-header name="X-Flagged" exists-action="override"><value>yes</value></set-header></when></choose>',
  '<set-variable name="boom" value="@(context.Request.Headers.ContainsKey(&quot;X-Boom&quot;) ? int.Parse(&quot;x&quot;) : 1)" />',
  `<rate-limit-by-key calls="2" renewal-period="60" counter-key="@(${jwtVar()}.Subject)" remaining-calls-header-name="X-Remaining" />`,
  '<authentication-managed-identity resource="api://backend" />',
  '<check-header name="X-Required" failed-check-httpcode="400" failed-check-error-message="missing" />',
  '<ip-filter action="forbid"><address>10.9.9.9</address></ip-filter>',
  '<set-variable name="added" value="@{ var l = (List&lt;string&gt;)context.Variables[&quot;list&quot;]; l.Add(&quot;x&quot;); return l.Count; }" />',
  '<mock-response status-code="203" content-type="text/plain" />',
  'SECOND_VALIDATE_JWT',
];

const ON_ERROR = [
  '',
  '<set-header name="X-Seen" exists-action="override"><value>@(context.Request.Headers.GetValueOrDefault("X-Sub", "none") + "|" + context.Variables.ContainsKey("v") + "|" + context.Request.Url.Path)</value></set-header>',
  '<return-response><set-status code="418" reason="Teapot" /><set-body>@(context.LastError.Reason + "|" + context.Request.Method + "|" + context.Variables.ContainsKey("jwt"))</set-body></return-response>',
];

// each policy answers this sequence of requests, in order, on one emulator (counters carry over)
const REQUESTS: { token?: string; headers?: Record<string, string>; ipAddress?: string }[] = [
  { token: 'alice', headers: { 'X-Caller': 'me', 'X-Required': '1' } },
  { token: 'forged', headers: { 'X-Flag': '1', 'X-Required': '1' } },
  { token: 'bob', headers: { 'X-Required': '1' } },
  { token: 'forgedBob', headers: { 'X-Boom': '1' } },
  { token: 'alice', headers: { 'X-Boom': '1', 'X-Required': '1' } },
  { token: 'expired', headers: { 'X-Required': '1' } },
  { token: 'forgedExpired' },
  { token: 'foreign', headers: { 'X-Required': '1' } },
  { headers: { 'X-Required': '1' } },
  { token: 'alice', headers: { 'X-Required': '1' }, ipAddress: '10.9.9.9' },
  { token: 'forged', ipAddress: '10.9.9.9' },
  { token: 'alice', headers: { 'X-Flag': '1', 'X-Required': '1' } },
];

function pick<T>(next: () => number, items: readonly T[], count: number): T[] {
  return Array.from({ length: count }, () => items[Math.floor(next() * items.length)]!);
}

function randomPolicy(seed: number): string {
  const next = generator(seed);
  const before = pick(next, BEFORE, Math.floor(next() * 3));
  const after = pick(next, AFTER, 1 + Math.floor(next() * 5)).map((s) => (s === 'SECOND_VALIDATE_JWT' ? validateJwt('jwt2') : s));
  const onError = ON_ERROR[Math.floor(next() * ON_ERROR.length)]!;
  return `<policies><inbound>${before.join('')}${validateJwt()}${after.join('')}</inbound><backend><forward-request /></backend><outbound><set-header name="X-Out" exists-action="override"><value>@(context.Response.StatusCode.ToString())</value></set-header></outbound><on-error>${onError}</on-error></policies>`;
}

/** One emulator and everything it did outside itself. */
function harness(xml: string, overlap: boolean) {
  const effects: string[] = [];
  const options: EmulateOptions = {
    now: () => NOW * 1000,
    overlapSignatureCheck: overlap,
    credential: {
      getToken: async (scope) => {
        effects.push(`credential ${String(scope)}`);
        return { token: 'mi-token', expiresOnTimestamp: 0 };
      },
    },
    backend: async (req: BackendRequest) => {
      effects.push(`backend ${req.method} ${req.url} ${JSON.stringify(req.headers)} ${Buffer.from(req.body).toString()}`);
      return { status: 200, body: 'ok' };
    },
  };
  return { emulator: emulate(xml, options), effects };
}

/** What a caller and a test can see of one result (a token variable compared by its payload). */
function visible(r: EmulatorResult) {
  const variables = Object.fromEntries(Object.entries(r.variables).map(([k, v]) => [k, v !== null && typeof v === 'object' && 'payload' in v ? (v as { payload: unknown }).payload : v]));
  return { status: r.status, reason: r.reason, headers: r.headers, body: r.body, variables, trace: r.trace, metrics: r.metrics, lastError: r.lastError, backendCalls: r.backendCalls };
}

describe('overlapped signature check vs validate-jwt waiting in place', () => {
  it(`${POLICIES} random policies answer ${REQUESTS.length} requests identically, with identical effects`, async () => {
    let refusedBySignature = 0;
    for (let seed = 1; seed <= POLICIES; seed++) {
      const xml = randomPolicy(seed);
      const overlapped = harness(xml, true);
      const reference = harness(xml, false);
      for (const [i, req] of REQUESTS.entries()) {
        const request = {
          url: 'https://gw.test/orders?page=1',
          headers: { ...(req.token ? { Authorization: `Bearer ${tokens[req.token]}` } : {}), ...req.headers },
          ...(req.ipAddress ? { ipAddress: req.ipAddress } : {}),
        };
        const a = visible(await overlapped.emulator.send(request));
        const b = visible(await reference.emulator.send(request));
        assert.deepEqual(a, b, `seed ${seed}, request ${i} (${req.token ?? 'no token'}):\n${xml}`);
        if (a.lastError?.reason === 'TokenSignatureInvalid') refusedBySignature++;
      }
      assert.deepEqual(overlapped.effects, reference.effects, `seed ${seed}: effects outside the run\n${xml}`);
    }
    // the cases that matter were reached: forged tokens refused while later steps had run
    assert.ok(refusedBySignature > POLICIES, `forged tokens refused ${refusedBySignature} times`);
  });
});
