/**
 * `apim-rls chain check --prove` end to end: the static check, then the proof; exit 0 clean, 1 on
 * a mismatch, 2 without cases. In-process through the CLI's `main` (test/support/cli.ts): what the
 * proof starts (database, issuer, hosts) must be closed when main returns, or this file does not
 * end. `chain check` as a spawned process is tested in cli.test.ts.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sampleCases } from '../../../rls/sample/index.js';
import { issuerOfDiscoveryUrl } from '../../../scripts/chain/prove/identity-provider.js';
import type { ProveReport } from '../../../scripts/chain/prove/index.js';
import { backendResource, built, exampleSettings, seed } from './fixture.js';
import { runCli } from '../../support/cli.js';

let dir = '';
const file = (name: string) => join(dir, name);

const cli = (args: string[]) => runCli(['chain', 'check', ...args]);

const discovery = exampleSettings['APIM_RLS_OPENID_CONFIG_URL'] as string;
const chain = (policy: string) => [
  '--policy', file(policy), '--scope', file('global.xml'), '--spec', 'rls/sample/spec.ts', '--settings', 'local.settings.example.json',
  '--named-value', `orders-backend-resource=${backendResource}`, '--named-value', `entra-openid-config=${discovery}`,
  '--named-value', `entra-issuer=${issuerOfDiscoveryUrl(discovery)}`, '--named-value', 'entra-tenant-id=contoso',
];

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'apim-rls-prove-cli-'));
  writeFileSync(file('orders-api.xml'), built['orders-api'] as string);
  writeFileSync(file('global.xml'), built['global'] as string);
  const tenantHeader = '<set-header name="X-Identity-Tenant-Id" exists-action="override">\n            <value>@(Uri.EscapeDataString(((Jwt)context.Variables["jwt"]).Claims.GetValueOrDefault("tid", "")))</value>';
  writeFileSync(file('tenant-from-oid.xml'), seed(built['orders-api'] as string, tenantHeader, tenantHeader.replace('"tid"', '"oid"')));
  writeFileSync(file('alice.json'), JSON.stringify({ cases: sampleCases.filter((c) => c.name.startsWith('alice (Orders.Read, Orders.Write)')) }));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('the product chain checks clean and proves clean: exit 0', async () => {
  const r = await cli([...chain('orders-api.xml'), '--prove', '--cases', 'rls/sample/cases.ts']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /^0 error\(s\), 0 warning\(s\), 0 info in the chain\n/);
  assert.match(r.stdout, /\d+ checks: \d+ agree, 0 mismatch, \d+ not reachable through the API, \d+ refused by the gateway\n$/);
});

test('a proof mismatch is a finding: exit 1, the layer named; --format json carries the proof', async () => {
  const r = await cli([...chain('tenant-from-oid.xml'), '--prove', '--cases', file('alice.json'), '--format', 'json']);
  assert.equal(r.code, 1, r.stderr);
  const out = JSON.parse(r.stdout) as { proof: ProveReport };
  const orders = out.proof.rows.find((x) => x.kind === 'rows' && x.subject === 'app.orders');
  assert.deepEqual({ truth: orders?.truth, api: orders?.api, layer: orders?.layer }, { truth: '3', api: '0', layer: 'gateway' });
  assert.equal(out.proof.cases[0]?.forwarded?.headers['x-identity-tenant-id'], '00000000-0000-0000-0000-0000000000a1');
});

test('--prove without --cases, or with cases that do not parse: exit 2', async () => {
  const none = await cli([...chain('orders-api.xml'), '--prove']);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /--prove needs the verify cases: --cases FILE/);
  const stray = await cli([...chain('orders-api.xml'), '--cases', 'rls/sample/cases.ts']);
  assert.equal(stray.code, 2);
  assert.match(stray.stderr, /--cases is read only with --prove/);
  writeFileSync(file('bad-cases.json'), JSON.stringify({ cases: [] }));
  const bad = await cli([...chain('orders-api.xml'), '--prove', '--cases', file('bad-cases.json')]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /invalid verify cases/);
});

test('settings the backend would not start with: the static findings are printed, the proof cannot run (exit 2)', async () => {
  writeFileSync(file('bad.settings.json'), JSON.stringify({ Values: { ...exampleSettings, APIM_RLS_AUDIENCE: '' } }));
  const args = chain('orders-api.xml');
  args[args.indexOf('local.settings.example.json')] = file('bad.settings.json');
  const r = await cli([...args, '--prove', '--cases', 'rls/sample/cases.ts']);
  assert.equal(r.code, 2);
  assert.match(r.stdout, /error CHAIN001 .*APIM_RLS_AUDIENCE/);
  assert.match(r.stderr, /the backend settings are not valid: APIM_RLS_AUDIENCE/);
});
