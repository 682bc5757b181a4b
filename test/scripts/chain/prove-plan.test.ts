/** Which API operation expresses each verify check (scripts/chain/prove/plan.ts), and which none does. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCases, type WriteProbe } from '../../../rls/cases.js';
import { ordersSpec, sampleUsers } from '../../../rls/sample/index.js';
import { planCase, planRead, planWrite } from '../../../scripts/chain/prove/plan.js';

const { alice, bob } = sampleUsers;
const [c] = parseCases({ cases: [{ name: 'alice', claims: { tid: alice.tid, oid: alice.oid, roles: ['Orders.Write'] } }] }).cases;
const plan = (probe: WriteProbe) => planWrite(ordersSpec, c!, probe);
const order = (tenant: string, owner: string, extra: Record<string, unknown> = {}) => ({ tenant_id: tenant, owner_oid: owner, item: 'x', quantity: 1, ...extra });

test('reads: orders by GET /orders, the own tenant row by GET /me, other tables by nothing', () => {
  assert.deepEqual(planRead('app.orders'), { kind: 'list-orders', operation: 'GET /orders' });
  assert.deepEqual(planRead('app.tenants'), { kind: 'me-tenant', operation: 'GET /me' });
  assert.equal(planRead('app.audit').kind, 'unreachable');
});

test("an insert as the caller is POST /orders with item and quantity only; the tenant and owner are the caller's", () => {
  assert.deepEqual(plan({ op: 'insert', table: 'app.orders', values: order(alice.tid, alice.oid), expect: 'allowed' }), {
    kind: 'call',
    operation: 'POST /orders',
    call: { method: 'POST', body: { item: 'x', quantity: 1 } },
  });
});

test('an insert as someone else is not reachable; the attempt names them in the body (for the API to refuse)', () => {
  for (const values of [order(alice.tid, bob.oid), order('fabrikam', alice.oid)]) {
    const p = plan({ op: 'insert', table: 'app.orders', values, expect: 'blocked' });
    assert.equal(p.kind, 'unreachable');
    assert.deepEqual(p.kind === 'unreachable' ? p.attempt : undefined, { operation: 'POST /orders', call: { method: 'POST', body: { item: 'x', quantity: 1, tenantId: values.tenant_id, ownerOid: values.owner_oid } } });
  }
  // a column the API does not take, or no tenant/owner at all: not reachable, nothing to attempt
  assert.deepEqual(plan({ op: 'insert', table: 'app.orders', values: order(alice.tid, alice.oid, { status: 'shipped' }), expect: 'blocked' }), { kind: 'unreachable', why: 'POST /orders takes no status' });
  assert.equal(plan({ op: 'insert', table: 'app.orders', values: { item: 'x', quantity: 1 }, expect: 'blocked' }).kind, 'unreachable');
  assert.equal(plan({ op: 'insert', table: 'app.tenants', values: { id: 'x', name: 'X' }, expect: 'blocked' }).kind, 'unreachable');
});

test('update and delete address the one row `where` picks; moving a row to another tenant or owner is not reachable', () => {
  assert.deepEqual(plan({ op: 'update', table: 'app.orders', set: { quantity: 9, status: 'shipped' }, where: { item: 'alice-1' }, expect: 'allowed' }), {
    kind: 'call',
    operation: 'PATCH /orders/{id}',
    call: { method: 'PATCH', where: { item: 'alice-1' }, body: { quantity: 9, status: 'shipped' } },
  });
  assert.deepEqual(plan({ op: 'delete', table: 'app.orders', where: { item: 'alice-1' }, expect: 'allowed' }), {
    kind: 'call',
    operation: 'DELETE /orders/{id}',
    call: { method: 'DELETE', where: { item: 'alice-1' } },
  });
  const move = plan({ op: 'update', table: 'app.orders', set: { tenant_id: 'fabrikam' }, where: { item: 'alice-1' }, expect: 'blocked' });
  assert.equal(move.kind, 'unreachable');
  assert.deepEqual(move.kind === 'unreachable' ? move.attempt?.call : undefined, { method: 'PATCH', where: { item: 'alice-1' }, body: { tenantId: 'fabrikam' } });
  assert.deepEqual(plan({ op: 'update', table: 'app.orders', set: { created_at: 'x' }, where: { item: 'alice-1' }, expect: 'blocked' }), { kind: 'unreachable', why: 'PATCH /orders/{id} changes no created_at' });
});

test('planCase keeps the order of the case (the truth table is aligned with it) and names unnamed probes as rls verify does', () => {
  const [k] = parseCases({ cases: [{ name: 'k', claims: {}, rows: { 'app.tenants': 0, 'app.orders': 0 }, writes: [{ op: 'delete', table: 'app.orders', where: { item: 'a' }, expect: 'blocked' }] }] }).cases;
  const p = planCase(ordersSpec, k!);
  assert.deepEqual(p.reads.map((r) => r.table), ['app.tenants', 'app.orders']);
  assert.deepEqual(p.writes.map((w) => w.subject), ['delete app.orders #1']);
});
