/**
 * `apim-rls chain check` end to end: files in, findings out, the exit codes of `policy lint`.
 * In-process through the CLI's `main` (test/support/cli.ts); the first test spawns the process.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ordersSpecInput } from '../../../rls/sample/spec.js';
import { backendResource, built, seed } from './fixture.js';
import { loadChainInput, type ChainCheckFlags } from '../../../scripts/commands/chain.js';
import { CliError } from '../../../scripts/exit-codes.js';
import { runCli, spawnCli } from '../../support/cli.js';

let dir = '';
const file = (name: string) => join(dir, name);

const cli = (args: string[], env: Record<string, string> = {}) => runCli(['chain', 'check', ...args], { env });

const product = () => ['--policy', file('orders-api.xml'), '--scope', file('global.xml'), '--spec', 'rls/sample/spec.ts', '--named-value', `orders-backend-resource=${backendResource}`];

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'apim-rls-chain-'));
  writeFileSync(file('orders-api.xml'), built['orders-api'] as string);
  writeFileSync(file('global.xml'), built['global'] as string);
  writeFileSync(file('renamed.xml'), seed(built['orders-api'] as string, '<set-header name="X-Identity-Object-Id" exists-action="override">', '<set-header name="X-Identity-ObjectId" exists-action="override">'));
  writeFileSync(file('broken.xml'), '<policies><inbound>');
  writeFileSync(file('fragment.xml'), '<fragment><set-header name="X-Identity-Subject" exists-action="delete" /></fragment>');
  writeFileSync(file('named-values.json'), JSON.stringify({ 'orders-backend-resource': backendResource }));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('as a process: the product chain checks clean (exit 0); a policy that does not parse is exit 2 with one line on stderr', async () => {
  const r = await spawnCli(['chain', 'check', ...product(), '--settings', 'local.settings.example.json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '0 error(s), 0 warning(s), 0 info in the chain\n');
  assert.equal(r.stderr, '');
  const bad = await spawnCli(['chain', 'check', '--policy', file('broken.xml'), '--spec', 'rls/sample/spec.ts', '--settings', 'local.settings.example.json']);
  assert.equal(bad.code, 2, bad.stdout + bad.stderr);
  assert.match(bad.stderr, /^apim-rls: .*broken\.xml:1:\d+: [^\n]+\n$/);
  assert.equal(bad.stdout, '');
});

test('the product chain checks clean: exit 0', async () => {
  const r = await cli([...product(), '--settings', 'local.settings.example.json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '0 error(s), 0 warning(s), 0 info in the chain\n');
});

test('named values from a file, settings from the environment', async () => {
  const r = await cli(['--policy', file('orders-api.xml'), '--scope', file('global.xml'), '--spec', 'rls/sample/spec.ts', '--named-values', file('named-values.json'), '--format', 'json'], {
    APIM_RLS_DB: 'pglite:memory',
    APIM_RLS_AUTH_MODE: 'gateway-token',
    APIM_RLS_OPENID_CONFIG_URL: 'https://login.microsoftonline.com/contoso/v2.0/.well-known/openid-configuration',
    APIM_RLS_AUDIENCE: 'api://apim-rls-orders',
    APIM_RLS_GATEWAY_AUDIENCE: 'api://apim-rls-orders-backen',
    APIM_RLS_GATEWAY_CLIENT_IDS: 'gw',
  });
  assert.equal(r.code, 1, r.stderr);
  const out = JSON.parse(r.stdout) as { findings: { id: string }[]; summary: { errors: number } };
  assert.deepEqual(out.findings.map((f) => f.id), ['CHAIN107']);
  assert.equal(out.summary.errors, 1);
});

test('fragments are included where include-fragment names them', async () => {
  // the object id is forwarded by a fragment the API includes
  const forward = /<set-header name="X-Identity-Object-Id" exists-action="override">[\s\S]*?<\/set-header>/.exec(built['orders-api'] as string)![0];
  writeFileSync(file('oid.xml'), `<fragment>${forward}</fragment>`);
  writeFileSync(file('with-fragment.xml'), seed(built['orders-api'] as string, forward, '<include-fragment fragment-id="forward-oid" />'));
  const args = ['--policy', file('with-fragment.xml'), '--scope', file('global.xml'), '--spec', 'rls/sample/spec.ts', '--named-value', `orders-backend-resource=${backendResource}`, '--settings', 'local.settings.example.json'];
  const r = await cli([...args, '--fragment', `forward-oid=${file('oid.xml')}`]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  // without it, the claim is not forwarded
  const without = await cli(args);
  assert.equal(without.code, 1, without.stderr);
  assert.match(without.stdout, /error CHAIN302 .*"oid"/);
});

test('a seeded mismatch: exit 1, located at the policy line', async () => {
  const r = await cli(['--policy', file('renamed.xml'), '--scope', file('global.xml'), '--spec', 'rls/sample/spec.ts', '--named-value', `orders-backend-resource=${backendResource}`, '--settings', 'local.settings.example.json']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /renamed\.xml:\d+:\d+: error CHAIN101 .*X-Identity-Object-Id/);
  assert.match(r.stdout, /1 error\(s\), 0 warning\(s\), 0 info in the chain\n$/);
});

test('bad input: exit 2 with one line', async () => {
  for (const args of [
    ['--policy', file('broken.xml'), '--spec', 'rls/sample/spec.ts', '--settings', 'local.settings.example.json'],
    [...product().slice(0, -2), '--named-value', 'no-equals', '--settings', 'local.settings.example.json'],
  ]) {
    const r = await cli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /^apim-rls: .+\n$/);
  }
});

test('every input that cannot be read is a CliError with exit 2', async () => {
  const flags = (over: Partial<ChainCheckFlags>): ChainCheckFlags => ({ policy: file('orders-api.xml'), scope: [file('global.xml')], spec: 'rls/sample/spec.ts', settings: 'local.settings.example.json', format: 'text', ...over });
  for (const [over, message] of [
    [{ policy: file('broken.xml') }, /broken\.xml:1:\d+: /],
    [{ policy: file('missing.xml') }, /cannot read policy .*missing\.xml: ENOENT/],
    [{ policy: file('fragment.xml') }, /root is <fragment>, expected <policies> \(a fragment goes in with --fragment/],
    [{ fragment: [`strip=${file('global.xml')}`] }, /root is <policies>, expected <fragment>/],
    [{ settings: file('named-values.json') }, /has no "Values" object/],
    [{ namedValue: ['no-equals'] }, /--named-value expects NAME=VALUE/],
    [{ namedValues: file('global.xml') }, /is not JSON/],
    [{ spec: file('missing.yaml') }, /cannot read .*missing\.yaml/],
    [{ claimMap: file('named-values.json') }, /a claim map is a list/],
  ] as const) {
    await assert.rejects(loadChainInput(flags(over as Partial<ChainCheckFlags>), {}), (err: unknown) => {
      assert.ok(err instanceof CliError, String(err));
      assert.equal(err.exitCode, 2);
      assert.match(err.message, message);
      return true;
    });
  }
});

test('without --settings, the APIM_RLS_* environment and nothing else', async () => {
  const input = await loadChainInput({ policy: file('orders-api.xml'), spec: 'rls/sample/spec.ts', format: 'text' }, { APIM_RLS_AUDIENCE: 'api://x', PATH: '/bin', OTHER: 'y' });
  assert.deepEqual(input.settings, { APIM_RLS_AUDIENCE: 'api://x' });
});

test('--db: drift between the database and the spec is reported as CHAIN901', async () => {
  const db = join(dir, 'pg');
  const sample = await runCli(['rls', 'sample', '--db', `pglite:${db}`]);
  assert.equal(sample.code, 0, sample.stderr);
  const clean = await cli([...product(), '--settings', 'local.settings.example.json', '--db', `pglite:${db}`]);
  assert.equal(clean.code, 0, clean.stdout + clean.stderr);
  // the same spec with one more grant than the database holds
  const drifted = structuredClone(ordersSpecInput) as { applicationRoles: { grants: { privileges: string[] }[] }[] };
  drifted.applicationRoles[0]!.grants[0]!.privileges.push('UPDATE');
  writeFileSync(file('drifted.json'), JSON.stringify(drifted));
  const r = await cli(['--policy', file('orders-api.xml'), '--scope', file('global.xml'), '--spec', file('drifted.json'), '--named-value', `orders-backend-resource=${backendResource}`, '--settings', 'local.settings.example.json', '--db', `pglite:${db}`, '--format', 'json']);
  assert.equal(r.code, 1, r.stderr);
  const out = JSON.parse(r.stdout) as { findings: { id: string; message: string }[] };
  assert.ok(out.findings.length > 0 && out.findings.every((f) => f.id === 'CHAIN901'), r.stdout);
});
