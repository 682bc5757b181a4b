/** The orders statements for PostgreSQL (session keys in `app.*` settings, read with nullif(..., '')). */
import { bigint, int, sql, text } from '../session/statement.js';
import type { OrdersQueries } from './types.js';

export const postgresOrdersQueries: OrdersQueries = {
  list: (limit, afterId) => sql`select o.id, o.tenant_id, o.owner_oid, o.item, o.quantity, o.status, o.created_at
from app.orders o where o.id > ${bigint(afterId)} order by o.id limit ${int(limit)}`,

  get: (id) => sql`select o.id, o.tenant_id, o.owner_oid, o.item, o.quantity, o.status, o.created_at
from app.orders o where o.id = ${bigint(id)}`,

  create: (input) => sql`insert into app.orders as o (tenant_id, owner_oid, item, quantity)
values (nullif(current_setting('app.tenant_id', true), ''), nullif(current_setting('app.user_oid', true), ''), ${text(input.item)}, ${int(input.quantity)})
returning o.id, o.tenant_id, o.owner_oid, o.item, o.quantity, o.status, o.created_at`,

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

  me: () => sql`select nullif(current_setting('app.tenant_id', true), '') as tenant_id,
  nullif(current_setting('app.user_oid', true), '') as user_oid,
  nullif(current_setting('app.roles', true), '') as roles,
  nullif(current_setting('app.request_id', true), '') as request_id,
  current_user as db_user,
  (select t.name from app.tenants t where t.id = nullif(current_setting('app.tenant_id', true), '')) as tenant_name`,

  ping: () => sql`select 1 as ok`,
};
