/** `apim-rls policy build`: the library calls, the command in-process through the CLI's `main` (test/support/cli.ts), and once as a spawned process. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPolicies, missingNamedValues, readNamedValueNames } from '../../../scripts/commands/policy-build.js';
import { productPolicies } from '../../../policies/product/index.js';
import { parsePolicy } from '../../../policies/model/text.js';
import { parsePolicyXml } from '../../../policies/xml/parse.js';
import { lintPolicy } from '../../../policies/lint/index.js';
import { CliError } from '../../../scripts/exit-codes.js';
import { runCli as cli, spawnCli } from '../../support/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'apim-rls-build-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('writes one XML file per product policy that parses back to the same model', () => {
  for (const form of ['xml', 'raw'] as const) {
    const out = join(tmp, form);
    const built = buildPolicies({ outDir: out, form });
    assert.deepEqual(readdirSync(out).sort(), productPolicies().map((p) => `${p.name}.xml`).sort());
    for (const p of productPolicies()) {
      const b = built.find((x) => x.name === p.name);
      assert.ok(b);
      assert.deepStrictEqual(parsePolicy(readFileSync(b.path, 'utf8')), p.document);
    }
    assert.deepEqual(built.find((b) => b.name === 'orders-api')?.namedValues, ['entra-issuer', 'entra-openid-config', 'entra-tenant-id', 'orders-backend-resource']);
  }
});

test('the build output lints clean (no error- or warning-level findings) at its scope', () => {
  const built = buildPolicies({ outDir: join(tmp, 'lint'), form: 'raw' });
  for (const b of built) {
    const findings = lintPolicy(parsePolicyXml(readFileSync(b.path, 'utf8')), { scope: b.scope });
    assert.deepEqual(findings.filter((f) => f.severity !== 'info'), [], b.name);
  }
});

test('an output path that cannot be created is a runtime failure (exit 3), not a stack trace', () => {
  const file = join(tmp, 'a-file');
  writeFileSync(file, 'x');
  assert.throws(() => buildPolicies({ outDir: join(file, 'sub'), form: 'xml' }), (e: unknown) => e instanceof CliError && e.exitCode === 3);
});

test('as a process: apim-rls policy build --out DIR --raw prints what it wrote (exit 0); an output path that cannot be created is exit 3', async () => {
  const out = join(tmp, 'cli');
  const r = await spawnCli(['policy', 'build', '--out', out, '--raw']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /wrote .*orders-api\.xml \(api; named values: entra-issuer, entra-openid-config, entra-tenant-id, orders-backend-resource\)/);
  assert.match(r.stdout, /wrote .*global\.xml \(global\)/);
  assert.ok(readFileSync(join(out, 'orders-api.xml'), 'utf8').includes('Claims.GetValueOrDefault("oid", "")'), 'raw form keeps quotes verbatim');
  const bad = await spawnCli(['policy', 'build', '--out', join(tmp, 'a-file', 'x')]);
  assert.equal(bad.code, 3);
  assert.match(bad.stderr, /^apim-rls: cannot create [^\n]+\n$/);
  assert.equal(bad.stdout, '');
});

test('--named-values: every referenced {{name}} must exist, else exit 1 and nothing written', async () => {
  const all = ['entra-issuer', 'entra-openid-config', 'entra-tenant-id', 'orders-backend-resource'];
  assert.deepEqual(missingNamedValues(new Set(all)), []);
  assert.deepEqual(missingNamedValues(new Set(all.slice(1))), ['orders-api: {{entra-issuer}}']);
  const listFile = join(tmp, 'nv.json');
  writeFileSync(listFile, JSON.stringify({ 'entra-openid-config': 'x', 'entra-tenant-id': 'y' }));
  assert.deepEqual([...readNamedValueNames(listFile)], ['entra-openid-config', 'entra-tenant-id']);
  const out = join(tmp, 'nv-out');
  const r = await cli(['policy', 'build', '--out', out, '--named-values', listFile]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /missing named value orders-api: \{\{entra-issuer\}\}/);
  assert.match(r.stderr, /missing named value orders-api: \{\{orders-backend-resource\}\}/);
  assert.throws(() => readdirSync(out), /ENOENT/, 'nothing written');
  const badFile = join(tmp, 'bad.json');
  writeFileSync(badFile, '{not json');
  assert.throws(() => readNamedValueNames(badFile), (e: unknown) => e instanceof CliError && e.exitCode === 2);
  writeFileSync(badFile, '[1, 2]');
  assert.throws(() => readNamedValueNames(badFile), (e: unknown) => e instanceof CliError && e.exitCode === 2);
  assert.throws(() => readNamedValueNames(join(tmp, 'absent.json')), (e: unknown) => e instanceof CliError && e.exitCode === 2);
  writeFileSync(listFile, JSON.stringify(all));
  const ok = await cli(['policy', 'build', '--out', out, '--named-values', listFile]);
  assert.equal(ok.code, 0, ok.stderr);
});
