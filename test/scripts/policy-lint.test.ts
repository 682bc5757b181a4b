/** `apim-rls policy lint` in-process through the CLI's `main` (test/support/cli.ts); the first test spawns the process. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, spawnCli } from '../support/cli.js';

let dir = '';

const cli = (...args: string[]) => runCli(args);

const SAFE = `<policies>
    <inbound>
        <base />
        <validate-jwt header-name="Authorization" failed-validation-httpcode="401" output-token-variable-name="jwt">
            <openid-config url="https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration" />
            <audiences><audience>api://orders</audience></audiences>
            <issuers><issuer>https://login.microsoftonline.com/00000000-0000-0000-0000-000000000001/v2.0</issuer></issuers>
        </validate-jwt>
        <set-header name="X-Identity-Oid" exists-action="delete" />
        <set-header name="X-Identity-Oid" exists-action="override"><value>@(((Jwt)context.Variables["jwt"]).Claims.GetValueOrDefault("oid", ""))</value></set-header>
        <authentication-managed-identity resource="api://orders-backend" />
    </inbound>
    <backend><base /></backend>
    <outbound><base /></outbound>
    <on-error><base /></on-error>
</policies>
`;
// identity forwarded with no validation and no removal of client copies, and a base-less outbound (a warning)
const BAD = `<policies>
    <inbound>
        <base />
        <set-header name="X-Identity-Tid" exists-action="override"><value>contoso</value></set-header>
        <set-header name="X-Identity-Oid" exists-action="override"><value>@(context.Request.Headers.GetValueOrDefault("Authorization","").AsJwt()?.Claims.GetValueOrDefault("oid", ""))</value></set-header>
        <authentication-managed-identity resource="api://orders-backend" />
    </inbound>
    <backend><base /></backend>
    <outbound />
    <on-error><base /></on-error>
</policies>
`;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'apim-rls-lint-'));
  writeFileSync(join(dir, 'safe.xml'), SAFE);
  writeFileSync(join(dir, 'bad.xml'), BAD);
  writeFileSync(join(dir, 'warn.xml'), SAFE.replace('<outbound><base /></outbound>', '<outbound />'));
  writeFileSync(join(dir, 'broken.xml'), '<policies>\n  <inbound>\n    <when condition="@(a(")">\n</policies>\n');
  writeFileSync(join(dir, 'global.xml'), SAFE.replace(/<base \/>/g, ''));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('policy lint as a process: an error-level finding exits 1 (findings on stdout); unreadable input exits 2 (stderr)', async () => {
  const file = join(dir, 'bad.xml');
  const r = await spawnCli(['policy', 'lint', file]);
  assert.equal(r.code, 1, r.stderr);
  assert.ok(r.stdout.includes(`${file}:4:9: error APIM201 `), r.stdout);
  assert.match(r.stdout, /4 error\(s\), 1 warning\(s\), 0 info in 1 file\(s\)\n$/);
  assert.equal(r.stderr, '');
  const missing = await spawnCli(['policy', 'lint', join(dir, 'nope.xml'), join(dir, 'safe.xml')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^apim-rls: cannot read .*nope\.xml: ENOENT\n$/);
  assert.equal(missing.stdout, '0 error(s), 0 warning(s), 0 info in 1 file(s); 1 file(s) could not be read or parsed (above)\n');
});

test('policy lint: a clean file exits 0', async () => {
  const r = await cli('policy', 'lint', join(dir, 'safe.xml'));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^0 error\(s\), 0 warning\(s\), 0 info in 1 file\(s\)\n$/);
});

test('policy lint: an error-level finding exits 1 and is printed with file:line:column', async () => {
  const file = join(dir, 'bad.xml');
  const r = await cli('policy', 'lint', file);
  assert.equal(r.code, 1);
  assert.ok(r.stdout.includes(`${file}:4:9: error APIM201 `), r.stdout);
  assert.ok(r.stdout.includes(`${file}:5:9: error APIM203 `), r.stdout);
  assert.ok(r.stdout.includes('[policies/inbound/set-header[2]]'));
  assert.ok(r.stdout.includes(`${file}:9:5: warning APIM401 `), r.stdout);
  assert.match(r.stdout, /4 error\(s\), 1 warning\(s\)/);
});

test('policy lint: warnings alone exit 0', async () => {
  const r = await cli('policy', 'lint', join(dir, 'warn.xml'));
  assert.equal(r.code, 0);
  assert.match(r.stdout, /warning APIM401/);
});

test('policy lint --format json: findings per file and a summary', async () => {
  const r = await cli('policy', 'lint', '--format', 'json', join(dir, 'safe.xml'), join(dir, 'bad.xml'));
  assert.equal(r.code, 1);
  const out = JSON.parse(r.stdout) as { results: Array<{ file: string; findings: Array<{ ruleId: string; severity: string; location: { path: string; line: number; column: number } }> }>; summary: Record<string, number> };
  assert.deepEqual(out.results.map((x) => x.findings.map((f) => f.ruleId)), [[], ['APIM201', 'APIM203', 'APIM201', 'APIM203', 'APIM401']]);
  assert.deepEqual(out.results[1]?.findings[2]?.location, { path: 'policies/inbound/set-header[2]', line: 5, column: 9 });
  assert.deepEqual(out.summary, { files: 2, errors: 4, warnings: 1, infos: 0, unreadable: 0 });
});

test('policy lint: malformed or unreadable input exits 2 with file:line:column', async () => {
  const broken = join(dir, 'broken.xml');
  const r = await cli('policy', 'lint', broken, join(dir, 'safe.xml'));
  assert.equal(r.code, 2);
  assert.ok(r.stderr.includes(`apim-rls: ${broken}:3:22: `), r.stderr);
  assert.match(r.stderr, /ERR_XML_UNTERMINATED_EXPRESSION/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  const missing = await cli('policy', 'lint', join(dir, 'nope.xml'));
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read .*nope\.xml: ENOENT/);
  // the summary says a file was not linted, instead of a clean-looking "0 error(s) ... in 0 file(s)"
  assert.equal(missing.stdout, '0 error(s), 0 warning(s), 0 info in 0 file(s); 1 file(s) could not be read or parsed (above)\n');
  const json = await cli('policy', 'lint', '--format', 'json', broken);
  assert.equal(json.code, 2);
  const out = JSON.parse(json.stdout) as { results: Array<{ error: { code: string; line: number; column: number } }> };
  assert.deepEqual(out.results[0]?.error && [out.results[0].error.code, out.results[0].error.line, out.results[0].error.column], ['ERR_XML_UNTERMINATED_EXPRESSION', 3, 22]);
});

test('policy lint: options --scope, --disable, bad --format', async () => {
  assert.equal((await cli('policy', 'lint', '--disable', 'APIM201,APIM203', join(dir, 'bad.xml'))).code, 0);
  assert.equal((await cli('policy', 'lint', '--disable', 'APIM201', '--disable', 'apim203', join(dir, 'bad.xml'))).code, 0);
  assert.equal((await cli('policy', 'lint', '--disable', 'APIM201', join(dir, 'bad.xml'))).code, 1);
  // an id that names no rule is refused, not ignored (regression: it was accepted silently)
  const unknown = await cli('policy', 'lint', '--disable', 'APIM201,APIM999', join(dir, 'bad.xml'));
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /--disable names no lint rule: APIM999/);
  // with only X-ACME- as the identity namespace, X-Identity-* headers are ordinary headers
  const acme = await cli('policy', 'lint', '--identity-prefix', 'X-ACME-', '--identity-prefix', 'X-Other-', join(dir, 'bad.xml'));
  assert.equal(acme.code, 0, acme.stdout);
  // global.xml has no <base />: fine at global scope (inferred from the name), warned at api scope
  assert.equal((await cli('policy', 'lint', join(dir, 'global.xml'))).stdout.includes('APIM401'), false);
  assert.ok((await cli('policy', 'lint', '--scope', 'api', join(dir, 'global.xml'))).stdout.includes('APIM401'));
  assert.equal((await cli('policy', 'lint', '--format', 'yaml', join(dir, 'safe.xml'))).code, 2);
  assert.equal((await cli('policy', 'lint', '--max-clock-skew', 'soon', join(dir, 'safe.xml'))).code, 2);
});
