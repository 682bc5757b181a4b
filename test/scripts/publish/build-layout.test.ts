/**
 * `policy build --layout apiops`: this product's policies land in an estate folder in APIOps's
 * layout next to hand-written ones, and the estate reader and planner take them together.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiopsPath, buildPolicies } from '../../../scripts/commands/policy-build.js';
import { CliError } from '../../../scripts/exit-codes.js';
import { readEstateFolder } from '../../../scripts/publish/estate/read-folder.js';
import { planEstate } from '../../../scripts/publish/estate/plan.js';
import { lintAtScope } from '../../../scripts/publish/lint.js';
import { publishCodec } from '../../../scripts/publish/policy-xml.js';
import { referencedNamedValues } from '../../../scripts/publish/named-values.js';
import { productPolicies } from '../../../policies/product/index.js';
import { emitPolicy } from '../../../policies/model/text.js';

test('build --layout apiops writes policy.xml and apis/<id>/policy.xml in the raw form; a hand-written product policy publishes with them', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'build-apiops-'));
  try {
    mkdirSync(join(dir, 'products/partners'), { recursive: true });
    writeFileSync(join(dir, 'products/partners/policy.xml'), '<policies><inbound><base /></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>\n');
    const built = buildPolicies({ outDir: dir, form: 'xml', layout: 'apiops' });
    assert.deepEqual(built.map((b) => b.path.slice(dir.length + 1)).sort(), ['apis/orders/policy.xml', 'policy.xml']);
    // raw form, as APIOps extracts (even without --raw)
    const orders = productPolicies().find((p) => p.name === 'orders-api')!;
    assert.equal(readFileSync(join(dir, 'apis/orders/policy.xml'), 'utf8').trimEnd(), emitPolicy(orders.document, { form: 'raw' }).trimEnd());
    const local = await readEstateFolder(dir);
    assert.deepEqual(local.resources.map((r) => r.path).sort(), ['apis/orders/policies/policy', 'policies/policy', 'products/partners/policies/policy']);
    // every policy lints clean at its scope and plans as a create, with its references resolved
    const names = new Set(local.resources.flatMap((r) => (r.kind === 'namedValue' ? [] : referencedNamedValues(publishCodec.parse(r.text)))));
    const plan = planEstate(local, { entries: new Map(), parents: new Set(['apis/orders', 'products/partners']), namedValueDisplayNames: names, fragmentIds: new Set() }, { codec: publishCodec, lint: lintAtScope });
    assert.deepEqual(plan.items.map((i) => `${i.action} ${i.path}`), ['create policies/policy', 'create products/partners/policies/policy', 'create apis/orders/policies/policy']);
    assert.deepEqual(plan.items.flatMap((i) => i.findings.filter((f) => f.severity === 'error')), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--id places a policy; an id ARM refuses or an operation without API/OPERATION is refused', () => {
  const api = { name: 'orders-api', scope: 'api' as const, document: { kind: 'policy' } };
  assert.equal(apiopsPath(api), 'apis/orders/policy.xml');
  assert.equal(apiopsPath(api, { 'orders-api': 'orders;rev=3' }), 'apis/orders;rev=3/policy.xml');
  assert.equal(apiopsPath({ name: 'auth', scope: 'api', document: { kind: 'fragment' } }), 'policy fragments/auth/policy.xml');
  assert.equal(apiopsPath({ name: 'list', scope: 'operation', document: { kind: 'policy' } }, { list: 'orders/list' }), 'apis/orders/operations/list/policy.xml');
  assert.throws(() => apiopsPath(api, { 'orders-api': 'a/b' }), (e: unknown) => e instanceof CliError && /not a valid API Management identifier/.test(e.message));
  assert.throws(() => apiopsPath({ name: 'list', scope: 'operation', document: { kind: 'policy' } }), (e: unknown) => e instanceof CliError && /API\/OPERATION/.test(e.message));
});
