import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { emulate, EmulatorError, type BackendRequest, type EmulateOptions } from '../../../policies/emulator/index.js';

const doc = (sections: { inbound?: string; backend?: string; outbound?: string; onError?: string }): string =>
  `<policies><inbound>${sections.inbound ?? ''}</inbound><backend>${sections.backend ?? '<forward-request />'}</backend><outbound>${sections.outbound ?? ''}</outbound><on-error>${sections.onError ?? ''}</on-error></policies>`;

/** An in-process backend that records what it received. */
function recorder(status = 200, body = '{"ok":true}') {
  const seen: BackendRequest[] = [];
  const handler = async (req: BackendRequest) => {
    seen.push(req);
    return { status, headers: { 'Content-Type': 'application/json', Server: 'kestrel', 'X-Backend': 'yes' }, body };
  };
  return { seen, handler };
}

const url = 'https://gw.test/orders/42?b=2&a=1';

describe('pipeline', () => {
  it('runs inbound → backend → outbound and resolves <base /> along global → product → API → operation', async () => {
    const scope = (name: string, base: boolean) =>
      doc({
        inbound: `${base ? '<base />' : ''}<trace source="${name}"><message>in-${name}</message></trace>`,
        backend: base ? '<base />' : '<forward-request />',
        outbound: `<trace source="${name}"><message>out-${name}</message></trace>${base ? '<base />' : ''}`,
      });
    const b = recorder();
    const r = await emulate(scope('operation', true), { scopes: [scope('global', false), scope('product', true), scope('api', true)], backend: b.handler }).send({ url });
    assert.deepEqual(
      r.trace.map((t) => t.message),
      ['in-global', 'in-product', 'in-api', 'in-operation', 'out-operation', 'out-api', 'out-product', 'out-global'],
    );
    assert.equal(b.seen.length, 1);
  });

  it('a scope without <base /> does not inherit; a missing section inherits', async () => {
    const global = doc({ inbound: '<set-header name="X-G" exists-action="override"><value>g</value></set-header>' });
    const b = recorder();
    const noBase = await emulate(doc({ inbound: '' }), { scopes: [global], backend: b.handler }).send({ url });
    assert.equal(noBase.status, 200);
    assert.equal(b.seen[0]!.headers['X-G'], undefined);
    const missing = await emulate('<policies><backend><base /></backend></policies>', { scopes: [global], backend: b.handler }).send({ url });
    assert.equal(missing.status, 200);
    assert.equal(b.seen[1]!.headers['X-G'], 'g');
  });

  it('include-fragment runs the fragment in place; a missing fragment fails the compile', async () => {
    const b = recorder();
    const r = await emulate(doc({ inbound: '<include-fragment fragment-id="corr" />' }), {
      fragments: { corr: '<fragment><set-header name="X-Corr" exists-action="override"><value>@(context.Variables.GetValueOrDefault("none", "c-1"))</value></set-header></fragment>' },
      backend: b.handler,
    }).send({ url });
    assert.equal(r.status, 200);
    assert.equal(b.seen[0]!.headers['X-Corr'], 'c-1');
    assert.throws(() => emulate(doc({ inbound: '<include-fragment fragment-id="nope" />' })), (e: unknown) => e instanceof EmulatorError && e.code === 'INVALID_POLICY' && /nope/.test(e.message));
  });

  it('an unknown element is a clear compile error naming it and its position', () => {
    assert.throws(
      () => emulate('<policies>\n<inbound>\n  <frobnicate />\n</inbound></policies>'),
      (e: unknown) => e instanceof EmulatorError && e.code === 'UNSUPPORTED_ELEMENT' && e.message === 'unsupported element <frobnicate> at 3:3',
    );
  });

  it('an expression that throws at run time goes to on-error with ExpressionValueEvaluationFailure', async () => {
    const r = await emulate(
      doc({
        inbound: '<set-variable name="x" value="@((string)context.Variables[&quot;missing&quot;])" />',
        onError: '<set-header name="X-Err" exists-action="override"><value>@(context.LastError.Source + "/" + context.LastError.Reason)</value></set-header>',
      }),
    ).send({ url });
    assert.equal(r.status, 500);
    assert.equal(r.headers['x-err'], 'set-variable/ExpressionValueEvaluationFailure');
    assert.match(r.lastError!.message, /KeyNotFoundException: The given key 'missing'/);
    assert.equal(r.lastError!.path, 'inbound/set-variable[0]');
  });

  it('an unsupported expression construct fails the compile naming it and its position', () => {
    assert.throws(
      () => emulate(doc({ inbound: '<set-variable name="x" value="@(typeof(string).Name)" />' })),
      (e: unknown) => e instanceof EmulatorError && e.code === 'EXPR_UNSUPPORTED' && /<set-variable> .*'typeof' at expression line 1, column 3/.test(e.message),
    );
  });

  it('accepts a typed policy document', async () => {
    const { policyDocument } = await import('../../../policies/model/document.js');
    const r = await emulate(policyDocument({ inbound: [], backend: [], outbound: [], onError: [] })).send({ url });
    assert.equal(r.status, 200);
  });
  it('a result and a backend request keep their members: own, enumerable, in order; body, variables, requestId and signal made when read', async () => {
    const b = recorder(200, 'hello');
    const r = await emulate(doc({ inbound: '<set-variable name="v" value="1" />' }), { backend: b.handler }).send({ url });
    assert.deepEqual(Object.keys(r), ['status', 'reason', 'headers', 'body', 'bodyBytes', 'variables', 'trace', 'metrics', 'lastError', 'backendCalls', 'requestId', 'returnedBy', 'traceContext']);
    const copy = { ...r };
    assert.equal(copy.body, 'hello');
    assert.deepEqual(copy.variables, { v: '1' });
    assert.match(copy.requestId, /^[0-9a-f-]{36}$/);
    assert.equal(r.requestId, copy.requestId, 'the request id is made once');
    assert.equal(JSON.parse(JSON.stringify(r)).body, 'hello');
    assert.throws(() => {
      (r as { body: string }).body = 'x';
    }, TypeError);
    const req = b.seen[0]!;
    assert.deepEqual(Object.keys(req), ['method', 'url', 'headers', 'body', 'signal']);
    assert.ok(req.signal instanceof AbortSignal);
    assert.equal(req.signal, req.signal, 'one signal per request');
    assert.equal(req.signal.aborted, false);
  });
});

describe('headers, query, URL and body', () => {
  it('set-header: override, skip, append, delete on the request; outbound changes the response', async () => {
    const b = recorder();
    const r = await emulate(
      doc({
        inbound: `
          <set-header name="X-Over" exists-action="override"><value>new</value></set-header>
          <set-header name="X-Skip" exists-action="skip"><value>ignored</value></set-header>
          <set-header name="X-New" exists-action="skip"><value>added</value></set-header>
          <set-header name="X-App" exists-action="append"><value>two</value></set-header>
          <set-header name="X-Del" exists-action="delete" />`,
        outbound: '<set-header name="Server" exists-action="delete" /><set-header name="X-Out" exists-action="override"><value>@(context.Response.StatusCode.ToString())</value></set-header>',
      }),
      { backend: b.handler },
    ).send({ url, headers: { 'x-over': 'old', 'X-Skip': 'kept', 'X-App': 'one', 'X-Del': 'gone' } });
    const h = b.seen[0]!.headers;
    assert.equal(h['x-over'], 'new');
    assert.equal(h['X-Skip'], 'kept');
    assert.equal(h['X-New'], 'added');
    assert.equal(h['X-App'], 'one,two');
    assert.equal(h['X-Del'], undefined);
    assert.equal(r.headers.server, undefined);
    assert.equal(r.headers['x-out'], '200');
    assert.equal(r.headers['x-backend'], 'yes');
  });

  it('set-query-parameter, set-backend-service and rewrite-uri build the backend URL', async () => {
    const b = recorder();
    await emulate(
      doc({
        inbound: `
          <set-backend-service base-url="https://backend.test/v2" />
          <rewrite-uri template="/items/{id}?mode=full" />
          <set-query-parameter name="a" exists-action="override"><value>9</value></set-query-parameter>
          <set-query-parameter name="c" exists-action="append"><value>3</value></set-query-parameter>`,
      }),
      { backend: b.handler },
    ).send({ url, matchedParameters: { id: 'ord 42' } });
    assert.equal(b.seen[0]!.url, 'https://backend.test/v2/items/ord%2042?mode=full&b=2&a=9&c=3');
  });

  it('rewrite-uri copy-unmatched-params="false" drops the caller query; the default backend URL keeps the operation path', async () => {
    const b = recorder();
    await emulate(doc({ inbound: '<rewrite-uri template="/x?q={b}" copy-unmatched-params="false" />' }), { backend: b.handler, backendUrl: 'https://svc.test/base' }).send({ url });
    assert.equal(b.seen[0]!.url, 'https://svc.test/base/x?q=2');
    await emulate(doc({}), { backend: b.handler, backendUrl: 'https://svc.test/base', apiPath: '/orders' }).send({ url });
    assert.equal(b.seen[1]!.url, 'https://svc.test/base/42?b=2&a=1');
  });

  it('set-body with an expression reading the request body as JObject; set-status; set-method', async () => {
    const b = recorder();
    const r = await emulate(
      doc({
        inbound: '<set-method>PUT</set-method><set-body>@{ var o = context.Request.Body.As&lt;JObject&gt;(preserveContent: true); o["seen"] = true; return o.ToString(Newtonsoft.Json.Formatting.None); }</set-body>',
        outbound: '<set-status code="201" reason="Created" /><set-body>@($"{context.Response.Body.As<string>()}!")</set-body>',
      }),
      { backend: b.handler },
    ).send({ url, method: 'POST', body: { id: 1 } });
    assert.equal(b.seen[0]!.method, 'PUT');
    assert.deepEqual(JSON.parse(Buffer.from(b.seen[0]!.body).toString()), { id: 1, seen: true });
    assert.equal(r.status, 201);
    assert.equal(r.reason, 'Created');
    assert.equal(r.body, '{"ok":true}!');
  });

});

describe('check-header', () => {
  const policy = doc({ inbound: '<check-header name="X-Api-Key" failed-check-httpcode="401" failed-check-error-message="Missing or bad key" ignore-case="true"><value>Secret-1</value><value>secret-2</value></check-header>' });
  it('missing header: status and JSON body, HeaderNotFound', async () => {
    const r = await emulate(policy).send({ url });
    assert.equal(r.status, 401);
    assert.deepEqual(JSON.parse(r.body), { statusCode: 401, message: 'Missing or bad key' });
    assert.equal(r.lastError?.reason, 'HeaderNotFound');
    assert.equal(r.lastError?.message, 'Header X-Api-Key was not found in the request. Access denied.');
  });
  it('value not allowed: HeaderValueNotAllowed; ignore-case matches', async () => {
    const bad = await emulate(policy).send({ url, headers: { 'X-Api-Key': 'nope' } });
    assert.equal(bad.lastError?.reason, 'HeaderValueNotAllowed');
    assert.equal(bad.lastError?.message, 'Header X-Api-Key value of nope is not allowed. Access denied.');
    const ok = await emulate(policy, { backend: recorder().handler }).send({ url, headers: { 'X-Api-Key': 'SECRET-1' } });
    assert.equal(ok.status, 200);
  });
});

describe('rate-limit-by-key and quota-by-key', () => {
  it('429 with Retry-After once the calls are used, per key, renewed after the period', async () => {
    let now = Date.UTC(2026, 0, 1);
    const em = emulate(doc({ inbound: '<rate-limit-by-key calls="2" renewal-period="60" counter-key="@(context.Request.Headers.GetValueOrDefault(&quot;X-Caller&quot;, &quot;anon&quot;))" remaining-calls-header-name="X-Remaining" />' }), {
      now: () => now,
      backend: recorder().handler,
    });
    const call = (caller: string) => em.send({ url, headers: { 'X-Caller': caller } });
    const first = await call('alice');
    assert.equal(first.status, 200);
    assert.equal(first.headers['x-remaining'], '1');
    assert.equal((await call('alice')).status, 200);
    now += 15_000;
    const limited = await call('alice');
    assert.equal(limited.status, 429);
    assert.equal(limited.headers['retry-after'], '45');
    assert.deepEqual(JSON.parse(limited.body), { statusCode: 429, message: 'Rate limit is exceeded. Try again in 45 seconds.' });
    assert.equal(limited.lastError?.reason, 'RateLimitExceeded');
    assert.equal((await call('bob')).status, 200, 'another key has its own counter');
    now += 45_000;
    assert.equal((await call('alice')).status, 200, 'a new window after the renewal period');
  });

  it('quota-by-key: 403 "Out of call volume quota" with Retry-After', async () => {
    let now = Date.UTC(2026, 0, 1);
    const em = emulate(doc({ inbound: '<quota-by-key calls="1" renewal-period="3600" counter-key="@(context.Request.IpAddress)" />' }), { now: () => now, backend: recorder().handler });
    assert.equal((await em.send({ url, ipAddress: '10.0.0.1' })).status, 200);
    now += 600_000;
    const r = await em.send({ url, ipAddress: '10.0.0.1' });
    assert.equal(r.status, 403);
    assert.equal(r.headers['retry-after'], '3000');
    assert.deepEqual(JSON.parse(r.body), { statusCode: 403, message: 'Out of call volume quota. Quota will be replenished in 00:50:00.' });
    assert.equal(r.lastError?.reason, 'QuotaExceeded');
  });

  it('increment-condition counts only matching responses', async () => {
    const em = emulate(doc({ inbound: '<rate-limit-by-key calls="1" renewal-period="60" counter-key="k" increment-condition="@(context.Request.Method == &quot;POST&quot;)" />' }), { backend: recorder().handler, now: () => 0 });
    for (let i = 0; i < 3; i++) assert.equal((await em.send({ url })).status, 200);
    assert.equal((await em.send({ url, method: 'POST' })).status, 200);
    assert.equal((await em.send({ url, method: 'POST' })).status, 429);
  });
});

describe('cors', () => {
  const policy = doc({
    inbound: `<cors allow-credentials="true">
      <allowed-origins><origin>https://app.test</origin></allowed-origins>
      <allowed-methods preflight-result-max-age="300"><method>GET</method><method>POST</method></allowed-methods>
      <allowed-headers><header>Authorization</header><header>Content-Type</header></allowed-headers>
      <expose-headers><header>X-Request-Id</header></expose-headers>
    </cors>`,
  });
  it('answers an allowed preflight without calling the backend', async () => {
    const b = recorder();
    const r = await emulate(policy, { backend: b.handler }).send({ url, method: 'OPTIONS', headers: { Origin: 'https://app.test', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization, content-type' } });
    assert.equal(r.status, 200);
    assert.equal(r.headers['access-control-allow-origin'], 'https://app.test');
    assert.equal(r.headers['access-control-allow-credentials'], 'true');
    assert.equal(r.headers['access-control-allow-methods'], 'GET,POST');
    assert.equal(r.headers['access-control-allow-headers'], 'authorization,content-type');
    assert.equal(r.headers['access-control-max-age'], '300');
    assert.equal(b.seen.length, 0);
  });
  it('refuses a preflight from another origin or for another method (200, no CORS headers)', async () => {
    for (const headers of <Record<string, string>[]>[
      { Origin: 'https://evil.test', 'Access-Control-Request-Method': 'GET' },
      { Origin: 'https://app.test', 'Access-Control-Request-Method': 'DELETE' },
      { Origin: 'https://app.test', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'x-other' },
    ]) {
      const r = await emulate(policy).send({ url, method: 'OPTIONS', headers });
      assert.equal(r.status, 200);
      assert.equal(r.headers['access-control-allow-origin'], undefined);
    }
  });
  it('adds CORS headers to an actual request from an allowed origin', async () => {
    const r = await emulate(policy, { backend: recorder().handler }).send({ url, headers: { Origin: 'https://app.test' } });
    assert.equal(r.status, 200);
    assert.equal(r.headers['access-control-allow-origin'], 'https://app.test');
    assert.equal(r.headers['access-control-expose-headers'], 'X-Request-Id');
    const other = await emulate(policy, { backend: recorder().handler }).send({ url, headers: { Origin: 'https://evil.test' } });
    assert.equal(other.headers['access-control-allow-origin'], undefined);
  });
});

describe('flow elements', () => {
  it('choose/when/otherwise, set-variable, return-response', async () => {
    const policy = doc({
      inbound: `<set-variable name="n" value="@(context.Request.Url.Query.GetValueOrDefault(&quot;n&quot;, &quot;0&quot;))" />
        <choose>
          <when condition="@(int.Parse((string)context.Variables[&quot;n&quot;]) &gt; 10)"><return-response><set-status code="400" reason="Bad Request" /><set-header name="X-Why" exists-action="override"><value>big</value></set-header><set-body>too big</set-body></return-response></when>
          <otherwise><set-variable name="small" value="@(true)" /></otherwise>
        </choose>`,
      outbound: '<set-header name="X-Outbound" exists-action="override"><value>ran</value></set-header>',
    });
    const b = recorder();
    const big = await emulate(policy, { backend: b.handler }).send({ url: 'https://gw.test/x?n=11' });
    assert.equal(big.status, 400);
    assert.equal(big.body, 'too big');
    assert.equal(big.headers['x-why'], 'big');
    assert.equal(big.headers['x-outbound'], undefined, 'return-response skips outbound');
    assert.equal(b.seen.length, 0);
    const small = await emulate(policy, { backend: b.handler }).send({ url: 'https://gw.test/x?n=3' });
    assert.equal(small.status, 200);
    assert.equal(small.variables.small, true);
    assert.equal(small.variables.n, '3');
    assert.equal(small.headers['x-outbound'], 'ran');
  });

  it('mock-response answers without the backend', async () => {
    const b = recorder();
    const r = await emulate(doc({ inbound: '<mock-response status-code="202" content-type="application/json" />' }), { backend: b.handler }).send({ url });
    assert.equal(r.status, 202);
    assert.equal(r.headers['content-type'], 'application/json');
    assert.equal(b.seen.length, 0);
  });

  it('ip-filter allow and forbid, addresses and ranges (403 CallerIpNotAllowed)', async () => {
    const allow = doc({ inbound: '<ip-filter action="allow"><address>192.0.2.7</address><address-range from="10.0.0.0" to="10.0.0.255" /></ip-filter>' });
    const ok = { backend: recorder().handler };
    assert.equal((await emulate(allow, ok).send({ url, ipAddress: '10.0.0.200' })).status, 200);
    assert.equal((await emulate(allow, ok).send({ url, ipAddress: '::ffff:192.0.2.7' })).status, 200);
    const denied = await emulate(allow, ok).send({ url, ipAddress: '10.0.1.1' });
    assert.equal(denied.status, 403);
    assert.equal(denied.lastError?.reason, 'CallerIpNotAllowed');
    assert.equal(denied.lastError?.message, 'Caller IP address 10.0.1.1 is not allowed. Access denied.');
    const forbid = doc({ inbound: '<ip-filter action="forbid"><address>192.0.2.7</address></ip-filter>' });
    assert.equal((await emulate(forbid, ok).send({ url, ipAddress: '192.0.2.7' })).status, 403);
    assert.equal((await emulate(forbid, ok).send({ url, ipAddress: '192.0.2.8' })).status, 200);
  });

  it('trace and emit-metric are collected', async () => {
    const r = await emulate(
      doc({
        inbound: '<trace source="orders" severity="information"><message>@("m=" + context.Request.Method)</message><metadata name="k" value="v" /></trace><emit-metric name="calls" value="2" namespace="ns"><dimension name="API ID" /><dimension name="Caller" value="@(context.Request.IpAddress)" /></emit-metric>',
      }),
      { backend: recorder().handler, context: { api: { id: 'orders-api' } } },
    ).send({ url, ipAddress: '10.1.1.1' });
    assert.deepEqual(r.trace, [{ source: 'orders', severity: 'information', message: 'm=GET', metadata: { k: 'v' } }]);
    assert.deepEqual(r.metrics, [{ name: 'calls', namespace: 'ns', value: 2, dimensions: { 'API ID': 'orders-api', Caller: '10.1.1.1' } }]);
  });

  it('retry re-runs its policies while the condition holds, up to count, with first-fast-retry', async () => {
    let calls = 0;
    const waits: number[] = [];
    const backend = async () => ({ status: ++calls < 3 ? 503 : 200, body: String(calls) });
    const policy = doc({ backend: '<retry condition="@(context.Response.StatusCode == 503)" count="5" interval="2" first-fast-retry="true"><forward-request /></retry>' });
    const r = await emulate(policy, { backend, sleep: async (ms) => void waits.push(ms) }).send({ url });
    assert.equal(r.status, 200);
    assert.equal(r.body, '3');
    assert.deepEqual(waits, [2000], 'first retry immediate, then the interval');
    calls = -10;
    const capped = await emulate(doc({ backend: '<retry condition="@(context.Response.StatusCode == 503)" count="2" interval="1"><forward-request /></retry>' }), { backend, sleep: async () => undefined }).send({ url });
    assert.equal(capped.status, 503);
    assert.equal(calls, -7, 'one call plus two retries');
  });

  it('limit-concurrency answers 429 while max-count requests are in flight', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const backend = async () => {
      await gate;
      return { status: 200 };
    };
    const em = emulate(doc({ backend: '<limit-concurrency key="k" max-count="1"><forward-request /></limit-concurrency>' }), { backend });
    const first = em.send({ url });
    await new Promise((r) => setImmediate(r));
    const second = await em.send({ url });
    assert.equal(second.status, 429);
    release();
    assert.equal((await first).status, 200);
    assert.equal((await em.send({ url })).status, 200, 'the slot is free again');
  });

  it('authentication-managed-identity sets Authorization from the credential, or a variable', async () => {
    const scopes: string[] = [];
    const credential = { getToken: async (s: string | string[]) => (scopes.push(String(s)), { token: 'mi-token', expiresOnTimestamp: 0 }) };
    const b = recorder();
    await emulate(doc({ inbound: '<authentication-managed-identity resource="api://backend" />' }), { credential, backend: b.handler }).send({ url, headers: { Authorization: 'Bearer caller' } });
    assert.equal(b.seen[0]!.headers.Authorization, 'Bearer mi-token');
    assert.deepEqual(scopes, ['api://backend/.default']);
    const v = await emulate(doc({ inbound: '<authentication-managed-identity resource="https://storage.azure.com/" output-token-variable-name="t" />' }), { credential, backend: b.handler }).send({ url });
    assert.equal(v.variables.t, 'mi-token');
    const none = await emulate(doc({ inbound: '<authentication-managed-identity resource="api://backend" />' })).send({ url });
    assert.equal(none.status, 500);
    assert.equal(none.lastError?.source, 'authentication-managed-identity');
  });

  it('authentication-managed-identity reuses a token until five minutes before it expires', async () => {
    let now = Date.UTC(2026, 0, 1);
    let issued = 0;
    const credential = { getToken: async () => ({ token: `mi-token-${++issued}`, expiresOnTimestamp: now + 60 * 60_000 }) };
    const b = recorder();
    const em = emulate(doc({ inbound: '<authentication-managed-identity resource="api://backend" />' }), { credential, backend: b.handler, now: () => now });
    await em.send({ url });
    now += 54 * 60_000;
    await em.send({ url });
    assert.equal(issued, 1, 'the fresh token is reused');
    now += 2 * 60_000;
    await em.send({ url });
    assert.equal(issued, 2, 'within five minutes of expiry a new token is fetched');
    assert.deepEqual(
      b.seen.map((r) => r.headers.Authorization),
      ['Bearer mi-token-1', 'Bearer mi-token-1', 'Bearer mi-token-2'],
    );
  });
});

describe('forward-request over real HTTP', () => {
  let server: Server;
  let base: string;
  before(async () => {
    server = createServer((req, res) => {
      if (req.url?.startsWith('/slow')) {
        setTimeout(() => res.end('late'), 1500);
        return;
      }
      res.setHeader('content-type', 'text/plain');
      res.setHeader('x-seen-auth', String(req.headers['x-forwarded-thing'] ?? ''));
      res.end(`${req.method} ${req.url}`);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });

  it('sends the built request to the backend URL and returns its response', async () => {
    const r = await emulate(doc({ inbound: '<set-header name="X-Forwarded-Thing" exists-action="override"><value>1</value></set-header>' }), { backendUrl: `${base}/api` }).send({ url });
    assert.equal(r.status, 200);
    assert.equal(r.body, 'GET /api/orders/42?b=2&a=1');
    assert.equal(r.headers['x-seen-auth'], '1');
  });

  it('a timeout goes to on-error with 504', async () => {
    const opts: EmulateOptions = { backendUrl: `${base}/slow` };
    const r = await emulate(doc({ backend: '<forward-request timeout="1" />', onError: '<set-header name="X-Err" exists-action="override"><value>@(context.LastError.Reason)</value></set-header>' }), opts).send({ url });
    assert.equal(r.status, 504);
    assert.equal(r.headers['x-err'], 'Timeout');
    assert.equal(r.lastError?.source, 'forward-request');
  });

  it('an unreachable backend is BackendConnectionFailure', async () => {
    const r = await emulate(doc({}), { backendUrl: 'http://127.0.0.1:1' }).send({ url });
    assert.equal(r.status, 500);
    assert.equal(r.lastError?.reason, 'BackendConnectionFailure');
  });
});

describe('send-request', () => {
  it('sends a new request, stores the response, and later expressions read it', async () => {
    const calls: BackendRequest[] = [];
    const backend = async (req: BackendRequest) => {
      calls.push(req);
      if (req.url.startsWith('https://auth.test/')) return { status: 200, headers: { 'Content-Type': 'application/json' }, body: '{"access_token":"tok-1"}' };
      return { status: 200, body: 'backend' };
    };
    const r = await emulate(
      doc({
        inbound: `<send-request mode="new" response-variable-name="auth" timeout="5" ignore-error="false">
            <set-url>https://auth.test/token</set-url>
            <set-method>POST</set-method>
            <set-header name="Content-Type" exists-action="override"><value>application/x-www-form-urlencoded</value></set-header>
            <set-body>@("grant_type=client_credentials&amp;scope=" + context.Request.Url.Query.GetValueOrDefault("scope", "x"))</set-body>
          </send-request>
          <set-header name="Authorization" exists-action="override"><value>@("Bearer " + (string)((IResponse)context.Variables["auth"]).Body.As&lt;JObject&gt;()["access_token"])</value></set-header>`,
      }),
      { backend },
    ).send({ url: 'https://gw.test/x?scope=orders' });
    assert.equal(r.status, 200);
    assert.equal(calls[0]!.method, 'POST');
    assert.equal(calls[0]!.url, 'https://auth.test/token');
    assert.equal(Buffer.from(calls[0]!.body).toString(), 'grant_type=client_credentials&scope=orders');
    assert.equal(calls[0]!.headers['Content-Type'], 'application/x-www-form-urlencoded');
    assert.equal(calls[1]!.headers.Authorization, 'Bearer tok-1');
  });

  it('ignore-error leaves the variable null; without it the failure reaches on-error; return-response can return the stored response', async () => {
    const failing = async () => {
      throw new Error('down');
    };
    const ignored = await emulate(doc({ inbound: '<send-request mode="new" response-variable-name="r" ignore-error="true"><set-url>https://x.test/</set-url></send-request><return-response><set-body>@(context.Variables["r"] == null ? "none" : "some")</set-body></return-response>' }), { backend: failing }).send({ url });
    assert.equal(ignored.body, 'none');
    const failed = await emulate(doc({ inbound: '<send-request mode="new" response-variable-name="r"><set-url>https://x.test/</set-url></send-request>' }), { backend: failing }).send({ url });
    assert.equal(failed.lastError?.source, 'send-request');
    assert.equal(failed.lastError?.reason, 'BackendConnectionFailure');
    const ok = async () => ({ status: 418, body: 'teapot' });
    const returned = await emulate(doc({ inbound: '<send-request mode="copy" response-variable-name="r"><set-url>https://x.test/</set-url></send-request><return-response response-variable-name="r"><set-header name="X-Via" exists-action="override"><value>gw</value></set-header></return-response>' }), { backend: ok }).send({ url });
    assert.equal(returned.status, 418);
    assert.equal(returned.body, 'teapot');
    assert.equal(returned.headers['x-via'], 'gw');
  });
});

describe('send-one-way-request', () => {
  it('sends the request it builds and goes on without waiting for the answer; its failure never reaches the caller', async () => {
    const calls: BackendRequest[] = [];
    let answer!: () => void;
    const backend = async (req: BackendRequest) => {
      calls.push(req);
      if (req.url.startsWith('https://log.test/')) {
        // the log endpoint never answers before the caller has its response, then fails
        await new Promise<void>((resolve) => (answer = resolve));
        throw new Error('log endpoint down');
      }
      return { status: 200, body: 'backend' };
    };
    const r = await emulate(
      doc({
        inbound: `<send-one-way-request mode="new">
            <set-url>https://log.test/save</set-url>
            <set-method>POST</set-method>
            <set-body>@("called " + context.Request.Url.Path)</set-body>
          </send-one-way-request>`,
      }),
      { backend },
    ).send({ url: 'https://gw.test/orders' });
    assert.equal(r.status, 200);
    assert.equal(r.body, 'backend');
    assert.equal(calls[0]!.url, 'https://log.test/save');
    assert.equal(Buffer.from(calls[0]!.body).toString(), 'called /orders');
    assert.deepEqual(r.backendCalls.map((c) => c.url), ['https://log.test/save', `${calls[1]!.url}`]);
    answer();
    await new Promise((resolve) => setImmediate(resolve));
  });

  it('a URL that is not absolute is a policy failure', async () => {
    const r = await emulate(doc({ inbound: '<send-one-way-request mode="new"><set-url>/relative</set-url></send-one-way-request>' })).send({ url });
    assert.equal(r.status, 500);
    assert.equal(r.lastError?.source, 'send-one-way-request');
    assert.equal(r.lastError?.reason, 'InvalidUrl');
  });
});

describe('find-and-replace', () => {
  it('replaces every occurrence in the body of the message in scope', async () => {
    const r = await emulate(doc({ outbound: '<find-and-replace from="internal.test" to="@(context.Request.OriginalUrl.Host)" />' }), {
      backend: async () => ({ status: 200, body: 'see https://internal.test/a and https://internal.test/b' }),
    }).send({ url });
    assert.equal(r.body, 'see https://gw.test/a and https://gw.test/b');
  });
});
