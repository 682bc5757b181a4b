/**
 * The orders sample's tables (PostgreSQL, and the same tables in T-SQL for Azure SQL) and seed data.
 * `request_id` makes POST /orders idempotent: the request id the backend sets as a session key is
 * stored with the row, unique per caller (tenant_id, owner_oid, request_id), so a repeat of the
 * INSERT (a retry after a timeout whose first attempt committed) finds the first row.
 */
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
  created_at  timestamptz not null default now(),
  request_id  text
);
alter table app.orders add column if not exists request_id text;
create unique index if not exists orders_request_id_key on app.orders (tenant_id, owner_oid, request_id);
`;

/**
 * The same tables for Azure SQL. Identity columns use a binary collation, so the unique index and
 * every comparison are exact (case and trailing spaces count), as in PostgreSQL:
 * https://learn.microsoft.com/sql/relational-databases/collations/collation-and-unicode-support
 * SQL Server's UNIQUE treats NULLs as equal, so the request-id index is filtered to non-NULL ids
 * (https://learn.microsoft.com/sql/relational-databases/indexes/create-filtered-indexes).
 */
export const sampleSchemaMssql = `IF SCHEMA_ID(N'app') IS NULL EXEC(N'CREATE SCHEMA [app] AUTHORIZATION [dbo]');
IF OBJECT_ID(N'app.tenants', N'U') IS NULL
CREATE TABLE [app].[tenants] (
  [id]   nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL PRIMARY KEY,
  [name] nvarchar(200) NOT NULL
);
IF OBJECT_ID(N'app.orders', N'U') IS NULL
CREATE TABLE [app].[orders] (
  [id]         bigint IDENTITY(1,1) NOT NULL PRIMARY KEY,
  [tenant_id]  nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL REFERENCES [app].[tenants]([id]),
  [owner_oid]  nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
  [item]       nvarchar(200) NOT NULL CHECK (LEN([item]) BETWEEN 1 AND 200),
  [quantity]   int NOT NULL CHECK ([quantity] BETWEEN 1 AND 10000),
  [status]     nvarchar(16) NOT NULL DEFAULT N'open' CHECK ([status] IN (N'open', N'shipped', N'cancelled')),
  [created_at] datetimeoffset NOT NULL DEFAULT SYSDATETIMEOFFSET(),
  [request_id] nvarchar(128) COLLATE Latin1_General_100_BIN2 NULL
);
IF COL_LENGTH(N'app.orders', N'request_id') IS NULL ALTER TABLE [app].[orders] ADD [request_id] nvarchar(128) COLLATE Latin1_General_100_BIN2 NULL;
`;

/** Separate batch: the index refers to a column the batch above may have just added. */
export const sampleSchemaMssqlIndex = `IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE [name] = N'orders_request_id_key' AND [object_id] = OBJECT_ID(N'app.orders'))
CREATE UNIQUE INDEX [orders_request_id_key] ON [app].[orders] ([tenant_id], [owner_oid], [request_id]) WHERE [request_id] IS NOT NULL;
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
