import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileRoutes, ordersApi } from '../../../local/gateway/routes.js';

describe('gateway routes', () => {
  const router = compileRoutes(ordersApi);

  it('matches the orders API operations with their parameters', () => {
    const cases: [string, string, string, Record<string, string>][] = [
      ['GET', '/orders', 'list-orders', {}],
      ['POST', '/orders', 'create-order', {}],
      ['GET', '/orders/42', 'get-order', { id: '42' }],
      ['PATCH', '/orders/42', 'update-order', { id: '42' }],
      ['DELETE', '/orders/42/', 'delete-order', { id: '42' }],
      ['get', '/ME', 'get-me', {}],
      ['GET', '/health', 'health', {}],
      ['GET', '/orders/a%20b', 'get-order', { id: 'a b' }],
    ];
    for (const [method, path, id, params] of cases) {
      const r = router.match(method, path);
      assert.equal(r.kind, 'operation', `${method} ${path}`);
      if (r.kind !== 'operation') continue;
      assert.equal(r.match.operation.id, id);
      assert.deepEqual(r.match.params, params);
      assert.equal(r.match.operationPath, path);
    }
  });

  it('tells a path without the method apart from an unknown path', () => {
    assert.deepEqual(router.match('OPTIONS', '/orders'), { kind: 'path-only', operationPath: '/orders' });
    assert.deepEqual(router.match('PUT', '/orders/1'), { kind: 'path-only', operationPath: '/orders/1' });
    assert.deepEqual(router.match('GET', '/orders/1/items'), { kind: 'none' });
    assert.deepEqual(router.match('GET', '/ordersx'), { kind: 'none' });
    assert.deepEqual(router.match('GET', '/'), { kind: 'none' });
    assert.deepEqual(router.match('GET', '/orders/%E0%A4%A'), { kind: 'none' }, 'malformed escapes do not match');
  });

  it('strips an API suffix and routes only under it', () => {
    const r = compileRoutes({ name: 'x', path: 'shop/v1', operations: [{ id: 'get', method: 'GET', urlTemplate: '/items/{itemId}' }] });
    const hit = r.match('GET', '/Shop/V1/items/7');
    assert.equal(hit.kind, 'operation');
    if (hit.kind === 'operation') {
      assert.equal(hit.match.operationPath, '/items/7');
      assert.deepEqual(hit.match.params, { itemId: '7' });
    }
    assert.equal(r.match('GET', '/items/7').kind, 'none');
    assert.equal(r.match('GET', '/shop/v1x/items/7').kind, 'none');
  });

  it('refuses malformed definitions', () => {
    assert.throws(() => compileRoutes({ name: 'x', path: 'a b', operations: [] }), TypeError);
    assert.throws(() => compileRoutes({ name: 'x', path: '', operations: [{ id: 'o', method: 'GET', urlTemplate: 'no-slash' }] }), TypeError);
  });
});
