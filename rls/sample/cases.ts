/** The orders sample's verify cases: positive and negative, per persona. */
import type { VerifyCaseInput } from '../cases.js';
import { sampleUsers } from './users.js';

const { alice, bob, carol } = sampleUsers;
const claimsOf = (u: { oid: string; tid: string }, roles: string[]) => ({ tid: u.tid, oid: u.oid, roles });
const order = (tenant: string, owner: string, item: string) => ({ tenant_id: tenant, owner_oid: owner, item, quantity: 1 });

export const sampleCases: VerifyCaseInput[] = [
  {
    name: 'alice (Orders.Read) reads her own contoso orders only',
    claims: claimsOf(alice, ['Orders.Read']),
    rows: { 'app.orders': 3, 'app.tenants': 1 },
    writes: [
      { name: 'insert own (no Orders.Write)', op: 'insert', table: 'app.orders', values: order('contoso', alice.oid, 'r-new'), expect: 'blocked' },
      { name: 'update own (no Orders.Write)', op: 'update', table: 'app.orders', set: { quantity: 9 }, where: { item: 'alice-1' }, expect: 'blocked' },
      { name: 'delete own (no Orders.Write)', op: 'delete', table: 'app.orders', where: { item: 'alice-1' }, expect: 'blocked' },
    ],
  },
  {
    name: 'alice (Orders.Read, Orders.Write) writes only in contoso as herself',
    claims: claimsOf(alice, ['Orders.Read', 'Orders.Write']),
    rows: { 'app.orders': 3, 'app.tenants': 1 },
    writes: [
      { name: 'insert own', op: 'insert', table: 'app.orders', values: order('contoso', alice.oid, 'w-new'), expect: 'allowed' },
      { name: 'insert as bob', op: 'insert', table: 'app.orders', values: order('contoso', bob.oid, 'w-bob'), expect: 'blocked' },
      { name: 'insert into fabrikam (cross-tenant)', op: 'insert', table: 'app.orders', values: order('fabrikam', alice.oid, 'w-x'), expect: 'blocked' },
      { name: 'update own', op: 'update', table: 'app.orders', set: { quantity: 9 }, where: { item: 'alice-1' }, expect: 'allowed' },
      { name: "update bob's", op: 'update', table: 'app.orders', set: { quantity: 9 }, where: { item: 'bob-1' }, expect: 'blocked' },
      { name: "update carol's (cross-tenant)", op: 'update', table: 'app.orders', set: { quantity: 9 }, where: { item: 'carol-1' }, expect: 'blocked' },
      { name: 'move own order to fabrikam', op: 'update', table: 'app.orders', set: { tenant_id: 'fabrikam' }, where: { item: 'alice-1' }, expect: 'blocked' },
      { name: 'give own order to bob', op: 'update', table: 'app.orders', set: { owner_oid: bob.oid }, where: { item: 'alice-1' }, expect: 'blocked' },
      { name: 'delete own', op: 'delete', table: 'app.orders', where: { item: 'alice-2' }, expect: 'allowed' },
      { name: "delete bob's", op: 'delete', table: 'app.orders', where: { item: 'bob-1' }, expect: 'blocked' },
      { name: 'insert a tenant (not granted)', op: 'insert', table: 'app.tenants', values: { id: 'evil', name: 'Evil' }, expect: 'blocked' },
    ],
  },
  {
    name: "bob (Orders.Admin) sees and edits all of contoso's orders",
    claims: claimsOf(bob, ['Orders.Admin']),
    rows: { 'app.orders': 5, 'app.tenants': 1 },
    writes: [
      { name: "update alice's", op: 'update', table: 'app.orders', set: { status: 'shipped' }, where: { item: 'alice-1' }, expect: 'allowed' },
      { name: "delete alice's", op: 'delete', table: 'app.orders', where: { item: 'alice-3' }, expect: 'allowed' },
      { name: 'insert (no Orders.Write)', op: 'insert', table: 'app.orders', values: order('contoso', bob.oid, 'a-new'), expect: 'blocked' },
      { name: "update carol's (cross-tenant)", op: 'update', table: 'app.orders', set: { status: 'shipped' }, where: { item: 'carol-1' }, expect: 'blocked' },
      { name: "delete carol's (cross-tenant)", op: 'delete', table: 'app.orders', where: { item: 'carol-1' }, expect: 'blocked' },
      { name: 'move alice-1 to fabrikam', op: 'update', table: 'app.orders', set: { tenant_id: 'fabrikam' }, where: { item: 'alice-1' }, expect: 'blocked' },
    ],
  },
  {
    name: 'carol (fabrikam) sees none of contoso',
    claims: claimsOf(carol, ['Orders.Read', 'Orders.Write']),
    rows: { 'app.orders': 2, 'app.tenants': 1 },
    writes: [
      { name: 'insert into contoso as herself', op: 'insert', table: 'app.orders', values: order('contoso', carol.oid, 'c-x'), expect: 'blocked' },
      { name: "update alice's", op: 'update', table: 'app.orders', set: { quantity: 9 }, where: { item: 'alice-1' }, expect: 'blocked' },
      { name: 'insert own in fabrikam', op: 'insert', table: 'app.orders', values: order('fabrikam', carol.oid, 'c-new'), expect: 'allowed' },
    ],
  },
  {
    name: 'carol claiming Orders.Admin still sees only fabrikam',
    claims: claimsOf(carol, ['Orders.Admin']),
    rows: { 'app.orders': 2, 'app.tenants': 1 },
  },
  {
    name: 'no session keys: nothing visible, nothing writable',
    claims: {},
    rows: { 'app.orders': 0, 'app.tenants': 0 },
    writes: [
      { name: 'insert', op: 'insert', table: 'app.orders', values: order('contoso', alice.oid, 'n-new'), expect: 'blocked' },
      { name: 'update', op: 'update', table: 'app.orders', set: { quantity: 9 }, where: { item: 'alice-1' }, expect: 'blocked' },
      { name: 'delete', op: 'delete', table: 'app.orders', where: { item: 'alice-1' }, expect: 'blocked' },
    ],
  },
  {
    name: 'roles but no tenant: nothing visible',
    claims: { oid: bob.oid, roles: ['Orders.Admin'] },
    rows: { 'app.orders': 0, 'app.tenants': 0 },
    writes: [{ name: 'update', op: 'update', table: 'app.orders', set: { quantity: 9 }, where: { item: 'alice-1' }, expect: 'blocked' }],
  },
  {
    name: 'tenant but no role: own tenant row, no orders',
    claims: claimsOf(alice, []),
    rows: { 'app.orders': 0, 'app.tenants': 1 },
    writes: [{ name: 'insert own', op: 'insert', table: 'app.orders', values: order('contoso', alice.oid, 'z-new'), expect: 'blocked' }],
  },
];

export default sampleCases;
