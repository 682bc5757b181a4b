/** `apim-rls chain check` end to end: files in, findings out, the exit codes of `policy lint`. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ordersSpecInput } from '../../../rls/sample/spec.js';
import { backendResource, built, repoRoot, seed } from './fixture.js';

let dir = '';
const file = (name: string) => join(dir, name);

function cli(args: string[], env: Record<string, string> = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/cli.ts', 'chain', 'check', ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const product = () => ['--policy', file('orders-api.xml'), '--scope', file('global.xml'), '--spec', 'rls/sample/spec.ts', '--named-value', `orders-backend-resource=${backendResource}`];

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'apim-rls-chain-'));
  writeFileSync(file('orders-api.xml'), built['orders-api'] as string);
  writeFileSync(file('global.xml'), built['global'] as string);
  writeFileSync(file('renamed.xml'), seed(built['orders-api'] as string, '<set-header name="X-Identity-Object-Id" exists-action="override">', '<set-header name="X-Identity-ObjectId" exists-action="override">'));
  writeFileSync(file('broken.xml'), '<policies><inbound>');
  writeFileSync(file('named-values.json'), JSON.stringify({ 'orders-backend-resource': backendResource }));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('the product chain checks clean: exit 0', () => {
  const r = cli([...product(), '--settings', 'local.settings.example.json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '0 error(s), 0 warning(s), 0 info in the chain\n');
});

test('named values from a file, settings from the environment', () => {
  const r = cli(['--policy', file('orders-api.xml'), '--scope', file('global.xml'), '--spec', 'rls/sample/spec.ts', '--named-values', file('named-values.json'), '--format', 'json'], {
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

test('a seeded mismatch: exit 1, located at the policy line', () => {
  const r = cli(['--policy', file('renamed.xml'), '--scope', file('global.xml'), '--spec', 'rls/sample/spec.ts', '--named-value', `orders-backend-resource=${backendResource}`, '--settings', 'local.settings.example.json']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /renamed\.xml:\d+:\d+: error CHAIN101 .*X-Identity-Object-Id/);
  assert.match(r.stdout, /1 error\(s\), 0 warning\(s\), 0 info in the chain\n$/);
});

test('bad input: exit 2 with one line', () => {
  for (const args of [
    ['--policy', file('broken.xml'), '--spec', 'rls/sample/spec.ts', '--settings', 'local.settings.example.json'],
    ['--policy', file('missing.xml'), '--spec', 'rls/sample/spec.ts', '--settings', 'local.settings.example.json'],
    [...product(), '--settings', file('named-values.json')],
    [...product().slice(0, -2), '--named-value', 'no-equals', '--settings', 'local.settings.example.json'],
    ['--policy', file('orders-api.xml'), '--spec', file('missing.yaml')],
    [...product(), '--settings', 'local.settings.example.json', '--claim-map', file('named-values.json')],
  ]) {
    const r = cli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /^apim-rls: .+\n$/);
  }
});

test('--db: drift between the database and the spec is reported as CHAIN901', () => {
  const db = join(dir, 'pg');
  const sample = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/cli.ts', 'rls', 'sample', '--db', `pglite:${db}`], { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 });
  assert.equal(sample.status, 0, sample.stderr);
  const clean = cli([...product(), '--settings', 'local.settings.example.json', '--db', `pglite:${db}`]);
  assert.equal(clean.code, 0, clean.stdout + clean.stderr);
  // the same spec with one more grant than the database holds
  const drifted = structuredClone(ordersSpecInput) as { applicationRoles: { grants: { privileges: string[] }[] }[] };
  drifted.applicationRoles[0]!.grants[0]!.privileges.push('UPDATE');
  writeFileSync(file('drifted.json'), JSON.stringify(drifted));
  const r = cli(['--policy', file('orders-api.xml'), '--scope', file('global.xml'), '--spec', file('drifted.json'), '--named-value', `orders-backend-resource=${backendResource}`, '--settings', 'local.settings.example.json', '--db', `pglite:${db}`, '--format', 'json']);
  assert.equal(r.code, 1, r.stderr);
  const out = JSON.parse(r.stdout) as { findings: { id: string; message: string }[] };
  assert.ok(out.findings.length > 0 && out.findings.every((f) => f.id === 'CHAIN901'), r.stdout);
});
