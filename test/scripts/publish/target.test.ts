import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeTarget, resolveTarget, serviceProblems } from '../../../scripts/publish/target.js';

test('each selector resolves to its scope', () => {
  assert.deepEqual(resolveTarget({ global: true }), { target: { scope: 'global' } });
  assert.deepEqual(resolveTarget({ productId: 'starter' }), { target: { scope: 'product', productId: 'starter' } });
  assert.deepEqual(resolveTarget({ apiId: 'orders' }), { target: { scope: 'api', apiId: 'orders' } });
  assert.deepEqual(resolveTarget({ apiId: 'orders', operationId: 'list' }), { target: { scope: 'operation', apiId: 'orders', operationId: 'list' } });
  assert.deepEqual(resolveTarget({ fragmentId: 'auth' }), { target: { scope: 'fragment', fragmentId: 'auth' } });
});

test('no target, two targets, or an operation without its API are refused', () => {
  assert.match((resolveTarget({}) as { problems: string[] }).problems.join(), /choose one target/);
  assert.match((resolveTarget({ global: true, apiId: 'a' }) as { problems: string[] }).problems.join(), /not --global and --api/);
  assert.match((resolveTarget({ operationId: 'x', productId: 'p' }) as { problems: string[] }).problems.join(), /--operation needs --api/);
});

test('identifiers that could change the ARM path are refused', () => {
  const r = resolveTarget({ apiId: '../products/x' });
  assert.ok('problems' in r);
  assert.match(r.problems[0]!, /--api '..\/products\/x' is not a valid/);
  assert.ok('problems' in resolveTarget({ fragmentId: 'a b' }));
});

test('service reference: required parts and their shapes', () => {
  assert.deepEqual(serviceProblems({ subscriptionId: '00000000-0000-4000-8000-000000000001', resourceGroup: 'rg-1', serviceName: 'apim-1' }), []);
  const p = serviceProblems({ subscriptionId: 'not-a-uuid', serviceName: '1bad' });
  assert.equal(p.length, 3);
  assert.match(p[0]!, /not a subscription id/);
  assert.match(p[1]!, /--resource-group .* is required/);
  assert.match(p[2]!, /not a valid API Management service name/);
});

test('targets have readable labels', () => {
  assert.equal(describeTarget({ scope: 'operation', apiId: 'orders', operationId: 'list' }), 'operation orders/list');
  assert.equal(describeTarget({ scope: 'global' }), 'global policy');
});
