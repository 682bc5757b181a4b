/**
 * The package's entry points (exports/*.ts, the `exports` map of package.json): the root is the
 * policy toolkit without this product's own policies, and every subpath maps to a file that exists.
 * test/package/ installs the packed tarball and imports each entry like a user.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const repoRoot = join(import.meta.dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  main: string;
  exports: Record<string, string | { types: string; default: string }>;
  files: string[];
  sideEffects: boolean;
};

test('the root entry exports what policies/index.ts exports, minus policies/product', async () => {
  const root = await import('../../exports/index.js');
  const policies = await import('../../policies/index.js');
  const product = await import('../../policies/product/index.js');
  const productNames = new Set(Object.keys(product));
  const expected = Object.keys(policies).filter((k) => !productNames.has(k)).sort();
  assert.deepEqual(Object.keys(root).sort(), expected);
  for (const name of ['productPolicies', 'ordersApiPolicy']) assert.ok(!(name in root), `${name} is the app's own code`);
  for (const name of ['policyDocument', 'identityChain', 'emitPolicy', 'parsePolicyXml', 'writePolicyXml', 'lintPolicy', 'expr']) assert.ok(name in root, name);
});

test('the functions entry holds the trust boundary, claim map and sessions, not the orders app', async () => {
  const fn = await import('../../exports/functions.js');
  for (const name of ['createTrustBoundary', 'mapClaims', 'claimMapFromSpec', 'createPgSession', 'createPGliteSession', 'createMssqlSession', 'sql']) assert.ok(name in fn, name);
  for (const name of ['registerFunctions', 'createHandlers', 'ordersClaimMap', 'postgresOrdersQueries', 'loadConfig']) assert.ok(!(name in fn), `${name} is not exported`);
});

test('the rls entry does not carry the orders sample', async () => {
  const rls = await import('../../exports/rls.js');
  for (const name of ['ordersSpec', 'sampleUsers', 'setupSampleDatabase']) assert.ok(!(name in rls), name);
  assert.ok('parseSpec' in rls && 'applySpec' in rls);
});

test('package.json: one exports entry per exports/*.ts with types, main stays the Functions entry, no test files shipped', () => {
  const subpaths = Object.keys(pkg.exports).filter((k) => k !== './package.json').sort();
  assert.deepEqual(subpaths, ['.', './emulator', './functions', './issuer', './publish', './rls']);
  for (const key of subpaths) {
    const entry = pkg.exports[key];
    assert.ok(typeof entry === 'object');
    const base = entry.default.replace(/^\.\/dist\//, '').replace(/\.js$/, '');
    assert.equal(entry.types, `./dist/${base}.d.ts`);
    assert.ok(existsSync(join(repoRoot, `${base}.ts`)), `${base}.ts exists`);
  }
  assert.equal(pkg.main, 'dist/functions/app.js');
  assert.equal(pkg.sideEffects, false);
  assert.ok(pkg.files.every((f) => !/test|bench|\.ci/.test(f)));
});
