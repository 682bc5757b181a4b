/**
 * The orders statements for Azure SQL (session keys in SESSION_CONTEXT, always CAST: it returns
 * sql_variant). Each runs after the driver's sp_set_session_context prelude, in the same batch.
 * Reads and the idempotent create are marked `repeatable` (the driver may retry them after an
 * unknown outcome); update and remove are not (a repeated DELETE would answer 404 for a row the
 * first attempt deleted), so the driver never sends them twice once they may have reached the server.
 */
import { bigint, int, repeatable, sql, text } from '../session/statement.js';
import type { OrdersQueries } from './types.js';

export const mssqlOrdersQueries: OrdersQueries = {
  list: (limit, afterId) => repeatable(sql`SELECT TOP (${int(limit)}) o.id, o.tenant_id, o.owner_oid, o.item, o.quantity, o.status, o.created_at
FROM app.orders AS o WHERE o.id > ${bigint(afterId)} ORDER BY o.id;`),

  get: (id) => repeatable(sql`SELECT o.id, o.tenant_id, o.owner_oid, o.item, o.quantity, o.status, o.created_at
FROM app.orders AS o WHERE o.id = ${bigint(id)};`),

  // Idempotent by the request id (the `x-request-id` the pipeline puts in SESSION_CONTEXT): the
  // row is stored with it under the unique index (tenant_id, owner_oid, request_id) of the sample
  // schema, so a repeat of this batch — the driver's retry after a timeout or a reset whose first
  // attempt did commit, or the client sending the same request again — inserts nothing and returns
  // the first row. The same request id with a different item or quantity inserts, meets the unique
  // index (error 2601) and is answered 409. The input is read once into a table variable, whose
  // typed columns refuse a value too long (error 2628) instead of cutting it.
  create: (input) => repeatable(sql`DECLARE @input TABLE (item nvarchar(200) NOT NULL, quantity int NOT NULL);
INSERT INTO @input (item, quantity) VALUES (${text(input.item)}, ${int(input.quantity)});
INSERT INTO app.orders (tenant_id, owner_oid, item, quantity, request_id)
SELECT CAST(SESSION_CONTEXT(N'tenant_id') AS nvarchar(64)), CAST(SESSION_CONTEXT(N'user_oid') AS nvarchar(64)), i.item, i.quantity, CAST(SESSION_CONTEXT(N'request_id') AS nvarchar(128))
FROM @input AS i
WHERE NOT EXISTS (SELECT 1 FROM app.orders AS o
  WHERE o.request_id = CAST(SESSION_CONTEXT(N'request_id') AS nvarchar(128)) COLLATE Latin1_General_100_BIN2
    AND o.tenant_id = CAST(SESSION_CONTEXT(N'tenant_id') AS nvarchar(64)) COLLATE Latin1_General_100_BIN2
    AND o.owner_oid = CAST(SESSION_CONTEXT(N'user_oid') AS nvarchar(64)) COLLATE Latin1_General_100_BIN2
    AND o.item = i.item COLLATE Latin1_General_100_BIN2 AND o.quantity = i.quantity);
SELECT o.id, o.tenant_id, o.owner_oid, o.item, o.quantity, o.status, o.created_at
FROM app.orders AS o JOIN @input AS i ON o.item = i.item COLLATE Latin1_General_100_BIN2 AND o.quantity = i.quantity
WHERE o.request_id = CAST(SESSION_CONTEXT(N'request_id') AS nvarchar(128)) COLLATE Latin1_General_100_BIN2
  AND o.tenant_id = CAST(SESSION_CONTEXT(N'tenant_id') AS nvarchar(64)) COLLATE Latin1_General_100_BIN2
  AND o.owner_oid = CAST(SESSION_CONTEXT(N'user_oid') AS nvarchar(64)) COLLATE Latin1_General_100_BIN2;`),

  update: (id, patch) => sql`DECLARE @visible bit = CASE WHEN EXISTS (SELECT 1 FROM app.orders WHERE id = ${bigint(id)}) THEN 1 ELSE 0 END;
DECLARE @updated TABLE (id bigint, tenant_id nvarchar(64), owner_oid nvarchar(64), item nvarchar(200), quantity int, status nvarchar(16), created_at datetimeoffset);
UPDATE app.orders SET
  item = COALESCE(${text(patch.item ?? null)}, item),
  quantity = COALESCE(${int(patch.quantity ?? null)}, quantity),
  status = COALESCE(${text(patch.status ?? null)}, status)
OUTPUT inserted.id, inserted.tenant_id, inserted.owner_oid, inserted.item, inserted.quantity, inserted.status, inserted.created_at INTO @updated
WHERE id = ${bigint(id)};
SELECT CAST(1 AS bit) AS visible, u.id, u.tenant_id, u.owner_oid, u.item, u.quantity, u.status, u.created_at
FROM (SELECT 1 AS one) AS d LEFT JOIN @updated AS u ON 1 = 1 WHERE @visible = 1;`,

  remove: (id) => sql`DECLARE @visible bit = CASE WHEN EXISTS (SELECT 1 FROM app.orders WHERE id = ${bigint(id)}) THEN 1 ELSE 0 END;
DELETE FROM app.orders WHERE id = ${bigint(id)};
SELECT CAST(1 AS bit) AS visible, CAST(@@ROWCOUNT AS int) AS deleted WHERE @visible = 1;`,

  me: () => repeatable(sql`SELECT CAST(SESSION_CONTEXT(N'tenant_id') AS nvarchar(64)) AS tenant_id,
  CAST(SESSION_CONTEXT(N'user_oid') AS nvarchar(64)) AS user_oid,
  CAST(SESSION_CONTEXT(N'roles') AS nvarchar(4000)) AS roles,
  CAST(SESSION_CONTEXT(N'request_id') AS nvarchar(128)) AS request_id,
  USER_NAME() AS db_user,
  (SELECT t.name FROM app.tenants AS t WHERE t.id = CAST(SESSION_CONTEXT(N'tenant_id') AS nvarchar(64))) AS tenant_name;`),

  ping: () => repeatable(sql`SELECT 1 AS ok;`),
};
