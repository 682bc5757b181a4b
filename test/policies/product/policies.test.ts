import { test } from 'node:test';
import assert from 'node:assert/strict';
import { productPolicies, ordersApiPolicy, ORDERS_ROLES } from '../../../policies/product/index.js';
import { buildPolicy, readPolicy } from '../../../policies/model/codec.js';
import { listNamedValues } from '../../../policies/model/values.js';
import type { PolicyNode } from '../../../policies/model/nodes.js';

test('the product exports a global and an API policy with unique names', () => {
  const list = productPolicies();
  assert.deepEqual(list.map((p) => [p.name, p.scope]), [['global', 'global'], ['orders-api', 'api']]);
  for (const p of list) assert.deepStrictEqual(readPolicy(buildPolicy(p.document)), p.document);
});

test('orders API: named values by default, the roles, the audience, per-caller rate limit after validation', () => {
  const doc = ordersApiPolicy();
  assert.deepEqual(listNamedValues(doc).sort(), ['entra-issuer', 'entra-openid-config', 'entra-tenant-id', 'orders-backend-resource']);
  const inbound = doc.inbound as PolicyNode[];
  assert.equal(inbound[0]?.kind, 'base');
  const kinds = inbound.map((n) => n.kind);
  assert.ok(kinds.indexOf('validate-jwt') < kinds.indexOf('rate-limit-by-key'));
  const j = inbound.find((n) => n.kind === 'validate-jwt');
  assert.ok(j?.kind === 'validate-jwt');
  assert.deepEqual(j.audiences, ['api://apim-rls-orders']);
  assert.equal(j.requiredClaims?.some((c) => c.name === 'roles'), false, 'roles are a 403 check after validation');
  const check = inbound.find((n) => n.kind === 'choose' && JSON.stringify(n).includes('"code":403'));
  assert.ok(check !== undefined && inbound.indexOf(check) > inbound.indexOf(j), 'a 403 role check after validate-jwt');
  for (const role of ORDERS_ROLES) assert.ok(JSON.stringify(check).includes(`\\"${role}\\"`), role);
  assert.match(JSON.stringify(check), /"code":403/);
  const rl = inbound.find((n) => n.kind === 'rate-limit-by-key');
  assert.ok(rl?.kind === 'rate-limit-by-key' && typeof rl.counterKey === 'object');
  assert.equal(rl.counterKey.code, '@(((Jwt)context.Variables["jwt"]).Claims.GetValueOrDefault("oid", ""))');
  for (const h of ['X-Identity-Tenant-Id', 'X-Identity-Object-Id', 'X-Identity-Roles', 'X-Request-Id']) {
    assert.ok(inbound.some((n) => n.kind === 'set-header' && n.name === h && n.existsAction === 'override'), h);
  }
});

test('orders API is parameterisable for the local gateway', () => {
  const doc = ordersApiPolicy({ openidConfigUrl: 'http://127.0.0.1:7000/.well-known/openid-configuration', issuer: 'http://127.0.0.1:7000', allowedTenants: null, backendResource: null, rateLimit: { calls: 5, renewalPeriodSeconds: 10 } });
  assert.deepEqual(listNamedValues(doc), []);
  const inbound = doc.inbound as PolicyNode[];
  assert.ok(!inbound.some((n) => n.kind === 'authentication-managed-identity'));
  const rl = inbound.find((n) => n.kind === 'rate-limit-by-key');
  assert.ok(rl?.kind === 'rate-limit-by-key');
  assert.equal(rl.calls, 5);
  assert.equal(rl.renewalPeriod, 10);
});
