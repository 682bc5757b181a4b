/**
 * `apim-rls policy emulate` in-process through the CLI's `main` (test/support/cli.ts); the first
 * test runs it as a spawned process.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli as cli, spawnCli } from '../../support/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'apim-rls-emulate-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
}

const global = file('global.xml', '<policies><inbound><set-header name="X-Scope" exists-action="append"><value>global</value></set-header></inbound><backend><forward-request /></backend><outbound /><on-error /></policies>');
const api = file(
  'api.xml',
  `<policies><inbound><base /><include-fragment fragment-id="f" />
    <check-header name="X-Key" failed-check-httpcode="401" failed-check-error-message="no key" />
    <return-response><set-status code="200" reason="OK" /><set-body>@(context.Request.Headers.GetValueOrDefault("X-Scope", "") + "|" + context.Variables["env"])</set-body></return-response>
  </inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>`,
);
const fragment = file('f.xml', '<fragment><set-variable name="env" value="{{env}}" /><trace source="t"><message>hi</message></trace></fragment>');

test('as a process: the response as JSON on stdout (exit 0); a missing named value is exit 2 with one line on stderr', async () => {
  const req = file('req-spawned.json', JSON.stringify({ method: 'GET', url: 'https://gw.test/orders', headers: { 'X-Key': 'k' } }));
  const r = await spawnCli(['policy', 'emulate', api, '--request', req, '--scope', global, '--fragment', `f=${fragment}`, '--named-value', 'env=dev']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).body, 'global|dev');
  assert.equal(r.stderr, '');
  const bad = await spawnCli(['policy', 'emulate', api, '--request', req, '--scope', global, '--fragment', `f=${fragment}`]);
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr, 'apim-rls: named values not given: env (pass --named-value NAME=VALUE for each)\n');
  assert.equal(bad.stdout, '');
});

test('--scope, --fragment and --named-value take one value each, so the policy FILE may follow them (regression: --scope swallowed it)', async () => {
  const req = file('req-order.json', JSON.stringify({ method: 'GET', url: 'https://gw.test/orders', headers: { 'X-Key': 'k' } }));
  const r = await cli(['policy', 'emulate', '--request', req, '--scope', global, '--fragment', `f=${fragment}`, '--named-value', 'env=dev', api]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).body, 'global|dev');
});

test('prints the response, variables and (with --trace) the trace as JSON', async () => {
  const req = file('req.json', JSON.stringify({ method: 'GET', url: 'https://gw.test/orders', headers: { 'X-Key': 'k' } }));
  const r = await cli(['policy', 'emulate', api, '--request', req, '--scope', global, '--fragment', `f=${fragment}`, '--named-value', 'env=dev', '--trace']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.status, 200);
  assert.equal(out.body, 'global|dev');
  assert.deepEqual(out.variables, { env: 'dev' });
  assert.deepEqual(out.trace, [{ source: 't', severity: 'verbose', message: 'hi' }]);
  assert.equal(out.lastError, null);
});

test('a policy failure is a normal result (exit 0) with lastError', async () => {
  const req = file('nokey.json', JSON.stringify({ url: 'https://gw.test/orders' }));
  const r = await cli(['policy', 'emulate', api, '--request', req, '--scope', global, '--fragment', `f=${fragment}`, '--named-value', 'env=dev']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.status, 401);
  assert.deepEqual(JSON.parse(out.body), { statusCode: 401, message: 'no key' });
  assert.equal(out.lastError.reason, 'HeaderNotFound');
  assert.equal(out.trace, undefined);
});

test('bad input exits 2 with one message and no stack trace', async () => {
  const req = file('ok.json', JSON.stringify({ url: 'https://gw.test/orders' }));
  const cases: [string[], RegExp][] = [
    [['policy', 'emulate', join(tmp, 'missing.xml'), '--request', req], /cannot read policy .*missing\.xml: ENOENT/],
    [['policy', 'emulate', file('bad.xml', '<policies><inbound>'), '--request', req], /bad\.xml:\d+:\d+/],
    [['policy', 'emulate', file('unk.xml', '<policies><inbound><frobnicate /></inbound></policies>'), '--request', req], /unsupported element <frobnicate> at 1:20 \(UNSUPPORTED_ELEMENT\)/],
    [['policy', 'emulate', api, '--request', req, '--scope', global, '--fragment', `f=${fragment}`], /named values not given: env \(pass --named-value NAME=VALUE for each\)/],
    [['policy', 'emulate', global, '--request', file('badreq.json', '{"url": "not a url"}')], /badreq\.json: url/],
    [['policy', 'emulate', global, '--request', file('notjson.json', '{')], /is not JSON/],
    [['policy', 'emulate', global, '--request', req, '--named-value', 'oops'], /--named-value expects NAME=VALUE/],
  ];
  for (const [args, message] of cases) {
    const r = await cli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});

test("the product's own policy: every missing named value in one message; with --managed-identity the local issuer's stand-in proves the gateway (regression: 500 ManagedIdentityTokenNotAvailable)", async () => {
  const { startDevIssuer } = await import('../../../local/issuer/index.js');
  const keyDir = join(tmp, 'issuer-keys');
  const issuer = await startDevIssuer({ port: 0, keyDir });
  try {
    const out = join(tmp, 'built');
    assert.equal((await cli(['policy', 'build', '--out', out])).code, 0);
    const token = await issuer.mint({ sub: 'alice', tid: 'contoso', roles: ['Orders.Read'] });
    const req = file('product-req.json', JSON.stringify({ method: 'GET', url: 'https://gw.test/orders', headers: { Authorization: `Bearer ${token}` } }));
    const policy = join(out, 'orders-api.xml');
    const scope = ['--scope', join(out, 'global.xml')];
    const none = await cli(['policy', 'emulate', policy, '--request', req, ...scope]);
    assert.equal(none.code, 2);
    assert.equal(none.stderr, 'apim-rls: named values not given: entra-issuer, entra-openid-config, entra-tenant-id, orders-backend-resource (pass --named-value NAME=VALUE for each)\n');
    const named = ['entra-openid-config=' + issuer.discoveryUrl, 'entra-issuer=' + issuer.issuer, 'entra-tenant-id=contoso', 'orders-backend-resource=api://orders-backend'].flatMap((nv) => ['--named-value', nv]);
    const without = await cli(['policy', 'emulate', policy, '--request', req, ...scope, ...named]);
    assert.equal(without.code, 0, without.stderr);
    assert.equal(JSON.parse(without.stdout).lastError?.reason, 'ManagedIdentityTokenNotAvailable');
    const withMi = await cli(['policy', 'emulate', policy, '--request', req, ...scope, ...named, '--managed-identity', 'gateway-client', '--issuer-dir', keyDir, '--trace']);
    assert.equal(withMi.code, 0, withMi.stderr);
    const result = JSON.parse(withMi.stdout) as { status: number; lastError: unknown; backendCalls: unknown[] };
    assert.equal(result.status, 200, withMi.stdout);
    assert.equal(result.lastError, null);
    assert.equal(result.backendCalls.length, 1);
  } finally {
    await issuer.close();
  }
});

test('an issuer that cannot be reached: lastError stays APIM\'s TokenSignatureKeyNotFound, stderr and the trace say why (regression: an empty trace)', async () => {
  const xml = file('oidc.xml', '<policies><inbound><validate-jwt header-name="Authorization"><openid-config url="http://127.0.0.1:1/.well-known/openid-configuration" /></validate-jwt></inbound><backend><forward-request /></backend><outbound /><on-error /></policies>');
  const jwt = `${Buffer.from('{"alg":"RS256","kid":"k1"}').toString('base64url')}.${Buffer.from('{"sub":"a"}').toString('base64url')}.c2ln`;
  const req = file('req-oidc.json', JSON.stringify({ url: 'https://gw.test/orders', headers: { Authorization: `Bearer ${jwt}` } }));
  const r = await cli(['policy', 'emulate', xml, '--request', req, '--trace']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.status, 401);
  assert.equal(out.lastError.reason, 'TokenSignatureKeyNotFound');
  assert.equal(out.lastError.message, 'Signature key for ID k1 was not found. Access denied.');
  assert.match(out.trace[0].message, /^signing keys could not be loaded: could not fetch http:\/\/127\.0\.0\.1:1\/\.well-known\/openid-configuration: fetch failed/);
  assert.match(r.stderr, /^apim-rls: validate-jwt: signing keys could not be loaded: could not fetch http:\/\/127\.0\.0\.1:1\/\.well-known\/openid-configuration: fetch failed \(.+\)\n$/);
  assert.doesNotMatch(r.stderr, new RegExp(jwt.split('.')[0]!), 'no token in the message');
});

