/** The orders sample's tables (PostgreSQL) and seed data. */
import type { Executor } from '../db/types.js';
import { sampleUsers } from './users.js';

export const sampleSchemaSql = `create schema if not exists app;
create table if not exists app.tenants (id text primary key, name text not null);
create table if not exists app.orders (
  id          bigint generated always as identity primary key,
  tenant_id   text not null references app.tenants(id),
  owner_oid   text not null,
  item        text not null check (length(item) between 1 and 200),
  quantity    integer not null check (quantity between 1 and 10000),
  status      text not null default 'open' check (status in ('open','shipped','cancelled')),
  created_at  timestamptz not null default now()
);
`;

export const sampleTenants = [
  { id: 'contoso', name: 'Contoso' },
  { id: 'fabrikam', name: 'Fabrikam' },
  { id: 'northwind', name: 'Northwind Traders' },
  { id: 'adatum', name: 'Adatum' },
] as const;

/** Seed orders: items are unique, so cases can address a row by item. */
export const sampleOrders = [
  { tenant: 'contoso', owner: sampleUsers.alice.oid, item: 'alice-1', quantity: 1 },
  { tenant: 'contoso', owner: sampleUsers.alice.oid, item: 'alice-2', quantity: 2 },
  { tenant: 'contoso', owner: sampleUsers.alice.oid, item: 'alice-3', quantity: 3 },
  { tenant: 'contoso', owner: sampleUsers.bob.oid, item: 'bob-1', quantity: 4 },
  { tenant: 'contoso', owner: sampleUsers.bob.oid, item: 'bob-2', quantity: 5 },
  { tenant: 'fabrikam', owner: sampleUsers.carol.oid, item: 'carol-1', quantity: 6 },
  { tenant: 'fabrikam', owner: sampleUsers.carol.oid, item: 'carol-2', quantity: 7 },
  { tenant: 'northwind', owner: sampleUsers.dave.oid, item: 'dave-1', quantity: 8 },
  { tenant: 'northwind', owner: sampleUsers.dave.oid, item: 'dave-2', quantity: 9 },
  { tenant: 'adatum', owner: sampleUsers.erin.oid, item: 'erin-1', quantity: 10 },
  { tenant: 'adatum', owner: sampleUsers.erin.oid, item: 'erin-2', quantity: 11 },
] as const;

/**
 * Seeds tenants and orders (once: orders only when the table is empty), with bound parameters.
 * Run before RLS is applied, or as a role that bypasses it (FORCE applies to the owner).
 */
export async function seedSample(db: Executor): Promise<void> {
  for (const t of sampleTenants) {
    await db.query('insert into app.tenants (id, name) values ($1, $2) on conflict (id) do nothing', [t.id, t.name]);
  }
  const existing = await db.query<{ n: number }>('select count(*)::int as n from app.orders');
  if ((existing.rows[0]?.n ?? 0) > 0) return;
  for (const o of sampleOrders) {
    await db.query('insert into app.orders (tenant_id, owner_oid, item, quantity) values ($1, $2, $3, $4)', [o.tenant, o.owner, o.item, o.quantity]);
  }
}
