/** The orders statements for PostgreSQL (session keys in `app.*` settings, read with nullif(..., '')). */
import { bigint, int, repeatable, sql, text } from '../session/statement.js';
import type { OrdersQueries } from './types.js';

export const postgresOrdersQueries: OrdersQueries = {
  list: (limit, afterId) => repeatable(sql`select o.id, o.tenant_id, o.owner_oid, o.item, o.quantity, o.status, o.created_at
from app.orders o where o.id > ${bigint(afterId)} order by o.id limit ${int(limit)}`),

  get: (id) => repeatable(sql`select o.id, o.tenant_id, o.owner_oid, o.item, o.quantity, o.status, o.created_at
from app.orders o where o.id = ${bigint(id)}`),

  // Idempotent by the request id, as on Azure SQL (orders-mssql.ts): a repeat finds the first row
  // under the unique index (tenant_id, owner_oid, request_id); the same request id with another
  // item or quantity meets the index (23505) and is answered 409.
  create: (input) => repeatable(sql`with input as (select ${text(input.item)}::text as item, ${int(input.quantity)}::int4 as quantity),
inserted as (
  insert into app.orders as o (tenant_id, owner_oid, item, quantity, request_id)
  select nullif(current_setting('app.tenant_id', true), ''), nullif(current_setting('app.user_oid', true), ''), i.item, i.quantity, nullif(current_setting('app.request_id', true), '')
  from input i
  where not exists (select 1 from app.orders x
    where x.request_id = nullif(current_setting('app.request_id', true), '')
      and x.tenant_id = nullif(current_setting('app.tenant_id', true), '')
      and x.owner_oid = nullif(current_setting('app.user_oid', true), '')
      and x.item = i.item and x.quantity = i.quantity)
  returning o.id, o.tenant_id, o.owner_oid, o.item, o.quantity, o.status, o.created_at)
select * from inserted
union all
select x.id, x.tenant_id, x.owner_oid, x.item, x.quantity, x.status, x.created_at
from app.orders x join input i on x.item = i.item and x.quantity = i.quantity
where x.request_id = nullif(current_setting('app.request_id', true), '')
  and x.tenant_id = nullif(current_setting('app.tenant_id', true), '')
  and x.owner_oid = nullif(current_setting('app.user_oid', true), '')
  and not exists (select 1 from inserted)`),

  update: (id, patch) => sql`with visible as (select o.id from app.orders o where o.id = ${bigint(id)}),
updated as (
  update app.orders as o set
    item = coalesce(${text(patch.item ?? null)}, o.item),
    quantity = coalesce(${int(patch.quantity ?? null)}, o.quantity),
    status = coalesce(${text(patch.status ?? null)}, o.status)
  where o.id = ${bigint(id)}
  returning o.id, o.tenant_id, o.owner_oid, o.item, o.quantity, o.status, o.created_at)
select true as visible, u.id, u.tenant_id, u.owner_oid, u.item, u.quantity, u.status, u.created_at
from visible v left join updated u on true`,

  remove: (id) => sql`with visible as (select o.id from app.orders o where o.id = ${bigint(id)}),
deleted as (delete from app.orders o where o.id = ${bigint(id)} returning o.id)
select true as visible, (select count(*) from deleted)::int4 as deleted from visible`,

  me: () => repeatable(sql`select nullif(current_setting('app.tenant_id', true), '') as tenant_id,
  nullif(current_setting('app.user_oid', true), '') as user_oid,
  nullif(current_setting('app.roles', true), '') as roles,
  nullif(current_setting('app.request_id', true), '') as request_id,
  current_user as db_user,
  (select t.name from app.tenants t where t.id = nullif(current_setting('app.tenant_id', true), '')) as tenant_name`),

  ping: () => repeatable(sql`select 1 as ok`),
};
