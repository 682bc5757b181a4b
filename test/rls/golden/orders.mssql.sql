-- apim-rls: apply row-level security for spec "orders" (Azure SQL). Generated; do not edit.
-- Run with sqlcmd (stops at the first error) or `apim-rls rls apply`, which runs every batch in one transaction.
:on error exit
SET XACT_ABORT ON;
BEGIN TRANSACTION;
GO
-- schema for predicate functions and the security policy
IF SCHEMA_ID(N'rls') IS NULL EXEC(N'CREATE SCHEMA [rls] AUTHORIZATION [dbo]');
-- roles (NOLOGIN by nature in SQL: database roles cannot sign in)
IF DATABASE_PRINCIPAL_ID(N'apim_rls_app') IS NULL CREATE ROLE [apim_rls_app] AUTHORIZATION [dbo];
IF DATABASE_PRINCIPAL_ID(N'apim_rls_policy_manager') IS NULL CREATE ROLE [apim_rls_policy_manager] AUTHORIZATION [dbo];
IF DATABASE_PRINCIPAL_ID(N'apim_rls_auditor') IS NULL CREATE ROLE [apim_rls_auditor] AUTHORIZATION [dbo];
-- principals from Microsoft Entra ID
IF DATABASE_PRINCIPAL_ID(N'func-apim-rls-orders') IS NULL CREATE USER [func-apim-rls-orders] FROM EXTERNAL PROVIDER WITH OBJECT_ID = '11111111-2222-3333-4444-555555555555';
IF NOT EXISTS (SELECT 1 FROM sys.database_role_members AS [rm] JOIN sys.database_principals AS [r] ON [r].[principal_id] = [rm].[role_principal_id] JOIN sys.database_principals AS [m] ON [m].[principal_id] = [rm].[member_principal_id] WHERE [r].[name] = N'apim_rls_app' AND [m].[name] = N'func-apim-rls-orders') ALTER ROLE [apim_rls_app] ADD MEMBER [func-apim-rls-orders];
-- least-privilege grants: exactly the listed table privileges
REVOKE INSERT, UPDATE, DELETE ON OBJECT::[app].[tenants] FROM [apim_rls_app];
GRANT SELECT ON OBJECT::[app].[tenants] TO [apim_rls_app];
GRANT SELECT, INSERT, UPDATE, DELETE ON OBJECT::[app].[orders] TO [apim_rls_app];
DENY ALTER, CONTROL, SELECT, EXECUTE, REFERENCES ON SCHEMA::[rls] TO [apim_rls_app];
-- only the policy manager may change the security policy
GRANT ALTER ANY SECURITY POLICY TO [apim_rls_policy_manager];
GRANT ALTER, REFERENCES ON SCHEMA::[rls] TO [apim_rls_policy_manager];
-- the security policy is recreated below (its predicate functions are schema-bound to it)
DROP SECURITY POLICY IF EXISTS [rls].[orders_policy];
GO
-- audit trail: the audit table (rows are kept when the spec is removed: they are evidence)
IF SCHEMA_ID(N'audit') IS NULL EXEC(N'CREATE SCHEMA [audit] AUTHORIZATION [dbo]');
IF OBJECT_ID(N'[audit].[row_changes]', N'U') IS NULL
CREATE TABLE [audit].[row_changes] (
  [audit_id]     bigint IDENTITY(1,1) NOT NULL PRIMARY KEY,
  [occurred_at]  datetime2(7) NOT NULL,
  [tenant_id]    nvarchar(64) COLLATE Latin1_General_100_BIN2 NULL,
  [user_oid]     nvarchar(64) COLLATE Latin1_General_100_BIN2 NULL,
  [roles]        nvarchar(4000) NULL,
  [request_id]   nvarchar(128) COLLATE Latin1_General_100_BIN2 NULL,
  [trace_id]     nvarchar(32) COLLATE Latin1_General_100_BIN2 NULL,
  [table_schema] sysname NOT NULL,
  [table_name]   sysname NOT NULL,
  [operation]    nvarchar(6) NOT NULL CHECK ([operation] IN (N'insert', N'update', N'delete')),
  [row_key]      nvarchar(4000) NOT NULL
);
GO
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE [name] = N'row_changes_request_id_idx' AND [object_id] = OBJECT_ID(N'[audit].[row_changes]'))
  CREATE INDEX [row_changes_request_id_idx] ON [audit].[row_changes] ([request_id]);
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE [name] = N'row_changes_trace_id_idx' AND [object_id] = OBJECT_ID(N'[audit].[row_changes]'))
  CREATE INDEX [row_changes_trace_id_idx] ON [audit].[row_changes] ([trace_id]);
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE [name] = N'row_changes_tenant_time_idx' AND [object_id] = OBJECT_ID(N'[audit].[row_changes]'))
  CREATE INDEX [row_changes_tenant_time_idx] ON [audit].[row_changes] ([tenant_id], [occurred_at]);
GO
-- audit trail: the application reads its tenant's audit rows and can neither write, change nor switch them off
GRANT SELECT ON OBJECT::[audit].[row_changes] TO [apim_rls_app];
DENY INSERT, UPDATE, DELETE, ALTER, REFERENCES, TAKE OWNERSHIP ON OBJECT::[audit].[row_changes] TO [apim_rls_app];
DENY ALTER ON SCHEMA::[audit] TO [apim_rls_app];
DENY ALTER, TAKE OWNERSHIP ON OBJECT::[app].[orders] TO [apim_rls_app];
GRANT SELECT ON OBJECT::[audit].[row_changes] TO [apim_rls_auditor], [apim_rls_policy_manager];
GO
CREATE OR ALTER FUNCTION [rls].[app_tenants_read](@tenant nvarchar(64))
RETURNS TABLE
WITH SCHEMABINDING
AS
RETURN
  SELECT 1 AS [allowed]
  WHERE ((@tenant = CAST(SESSION_CONTEXT(N'tenant_id') AS nvarchar(64)) COLLATE Latin1_General_100_BIN2 AND DATALENGTH(@tenant) = DATALENGTH(CAST(SESSION_CONTEXT(N'tenant_id') AS nvarchar(64))))
    AND (1 = 1));
GO
CREATE OR ALTER FUNCTION [rls].[app_tenants_insert](@tenant nvarchar(64))
RETURNS TABLE
WITH SCHEMABINDING
AS
RETURN
  SELECT 1 AS [allowed]
  WHERE ((@tenant = CAST(SESSION_CONTEXT(N'tenant_id') AS nvarchar(64)) COLLATE Latin1_General_100_BIN2 AND DATALENGTH(@tenant) = DATALENGTH(CAST(SESSION_CONTEXT(N'tenant_id') AS nvarchar(64))))
    AND (1 = 1));
GO
CREATE OR ALTER FUNCTION [rls].[app_tenants_update](@tenant nvarchar(64))
RETURNS TABLE
WITH SCHEMABINDING
AS
RETURN
  SELECT 1 AS [allowed]
  WHERE ((@tenant = CAST(SESSION_CONTEXT(N'tenant_id') AS nvarchar(64)) COLLATE Latin1_General_100_BIN2 AND DATALENGTH(@tenant) = DATALENGTH(CAST(SESSION_CONTEXT(N'tenant_id') AS nvarchar(64))))
    AND (1 = 1));
GO
CREATE OR ALTER FUNCTION [rls].[app_tenants_delete](@tenant nvarchar(64))
RETURNS TABLE
WITH SCHEMABINDING
AS
RETURN
  SELECT 1 AS [allowed]
  WHERE ((@tenant = CAST(SESSION_CONTEXT(N'tenant_id') AS nvarchar(64)) COLLATE Latin1_General_100_BIN2 AND DATALENGTH(@tenant) = DATALENGTH(CAST(SESSION_CONTEXT(N'tenant_id') AS nvarchar(64))))
    AND (1 = 1));
GO
CREATE OR ALTER FUNCTION [rls].[app_orders_read](@tenant nvarchar(64), @owner nvarchar(64))
RETURNS TABLE
WITH SCHEMABINDING
AS
RETURN
  SELECT 1 AS [allowed]
  WHERE ((@tenant = CAST(SESSION_CONTEXT(N'tenant_id') AS nvarchar(64)) COLLATE Latin1_General_100_BIN2 AND DATALENGTH(@tenant) = DATALENGTH(CAST(SESSION_CONTEXT(N'tenant_id') AS nvarchar(64))))
    AND ((EXISTS (SELECT 1 FROM OPENJSON(CAST(SESSION_CONTEXT(N'roles') AS nvarchar(4000))) AS [r] WHERE [r].[value] COLLATE Latin1_General_100_BIN2 IN (N'Orders.Admin') AND DATALENGTH([r].[value]) = DATALENGTH(RTRIM([r].[value]))))
        OR (EXISTS (SELECT 1 FROM OPENJSON(CAST(SESSION_CONTEXT(N'roles') AS nvarchar(4000))) AS [r] WHERE [r].[value] COLLATE Latin1_General_100_BIN2 IN (N'Orders.Read', N'Orders.Write') AND DATALENGTH([r].[value]) = DATALENGTH(RTRIM([r].[value]))) AND (@owner = CAST(SESSION_CONTEXT(N'user_oid') AS nvarchar(64)) COLLATE Latin1_General_100_BIN2 AND DATALENGTH(@owner) = DATALENGTH(CAST(SESSION_CONTEXT(N'user_oid') AS nvarchar(64)))))));
GO
CREATE OR ALTER FUNCTION [rls].[app_orders_insert](@tenant nvarchar(64), @owner nvarchar(64))
RETURNS TABLE
WITH SCHEMABINDING
AS
RETURN
  SELECT 1 AS [allowed]
  WHERE ((@tenant = CAST(SESSION_CONTEXT(N'tenant_id') AS nvarchar(64)) COLLATE Latin1_General_100_BIN2 AND DATALENGTH(@tenant) = DATALENGTH(CAST(SESSION_CONTEXT(N'tenant_id') AS nvarchar(64))))
    AND ((EXISTS (SELECT 1 FROM OPENJSON(CAST(SESSION_CONTEXT(N'roles') AS nvarchar(4000))) AS [r] WHERE [r].[value] COLLATE Latin1_General_100_BIN2 IN (N'Orders.Write') AND DATALENGTH([r].[value]) = DATALENGTH(RTRIM([r].[value]))) AND (@owner = CAST(SESSION_CONTEXT(N'user_oid') AS nvarchar(64)) COLLATE Latin1_General_100_BIN2 AND DATALENGTH(@owner) = DATALENGTH(CAST(SESSION_CONTEXT(N'user_oid') AS nvarchar(64)))))));
GO
CREATE OR ALTER FUNCTION [rls].[app_orders_update](@tenant nvarchar(64), @owner nvarchar(64))
RETURNS TABLE
WITH SCHEMABINDING
AS
RETURN
  SELECT 1 AS [allowed]
  WHERE ((@tenant = CAST(SESSION_CONTEXT(N'tenant_id') AS nvarchar(64)) COLLATE Latin1_General_100_BIN2 AND DATALENGTH(@tenant) = DATALENGTH(CAST(SESSION_CONTEXT(N'tenant_id') AS nvarchar(64))))
    AND ((EXISTS (SELECT 1 FROM OPENJSON(CAST(SESSION_CONTEXT(N'roles') AS nvarchar(4000))) AS [r] WHERE [r].[value] COLLATE Latin1_General_100_BIN2 IN (N'Orders.Admin') AND DATALENGTH([r].[value]) = DATALENGTH(RTRIM([r].[value]))))
        OR (EXISTS (SELECT 1 FROM OPENJSON(CAST(SESSION_CONTEXT(N'roles') AS nvarchar(4000))) AS [r] WHERE [r].[value] COLLATE Latin1_General_100_BIN2 IN (N'Orders.Write') AND DATALENGTH([r].[value]) = DATALENGTH(RTRIM([r].[value]))) AND (@owner = CAST(SESSION_CONTEXT(N'user_oid') AS nvarchar(64)) COLLATE Latin1_General_100_BIN2 AND DATALENGTH(@owner) = DATALENGTH(CAST(SESSION_CONTEXT(N'user_oid') AS nvarchar(64)))))));
GO
CREATE OR ALTER FUNCTION [rls].[app_orders_delete](@tenant nvarchar(64), @owner nvarchar(64))
RETURNS TABLE
WITH SCHEMABINDING
AS
RETURN
  SELECT 1 AS [allowed]
  WHERE ((@tenant = CAST(SESSION_CONTEXT(N'tenant_id') AS nvarchar(64)) COLLATE Latin1_General_100_BIN2 AND DATALENGTH(@tenant) = DATALENGTH(CAST(SESSION_CONTEXT(N'tenant_id') AS nvarchar(64))))
    AND ((EXISTS (SELECT 1 FROM OPENJSON(CAST(SESSION_CONTEXT(N'roles') AS nvarchar(4000))) AS [r] WHERE [r].[value] COLLATE Latin1_General_100_BIN2 IN (N'Orders.Admin') AND DATALENGTH([r].[value]) = DATALENGTH(RTRIM([r].[value]))))
        OR (EXISTS (SELECT 1 FROM OPENJSON(CAST(SESSION_CONTEXT(N'roles') AS nvarchar(4000))) AS [r] WHERE [r].[value] COLLATE Latin1_General_100_BIN2 IN (N'Orders.Write') AND DATALENGTH([r].[value]) = DATALENGTH(RTRIM([r].[value]))) AND (@owner = CAST(SESSION_CONTEXT(N'user_oid') AS nvarchar(64)) COLLATE Latin1_General_100_BIN2 AND DATALENGTH(@owner) = DATALENGTH(CAST(SESSION_CONTEXT(N'user_oid') AS nvarchar(64)))))));
GO
CREATE OR ALTER FUNCTION [rls].[audit_row_changes_read](@tenant nvarchar(64))
RETURNS TABLE
WITH SCHEMABINDING
AS
RETURN
  SELECT 1 AS [allowed]
  WHERE (@tenant = CAST(SESSION_CONTEXT(N'tenant_id') AS nvarchar(64)) COLLATE Latin1_General_100_BIN2 AND DATALENGTH(@tenant) = DATALENGTH(CAST(SESSION_CONTEXT(N'tenant_id') AS nvarchar(64))))
     OR IS_MEMBER(N'apim_rls_auditor') = 1
     OR IS_MEMBER(N'apim_rls_policy_manager') = 1;
GO
CREATE OR ALTER TRIGGER [app].[apim_rls_audit_orders] ON [app].[orders]
AFTER INSERT, UPDATE, DELETE
AS
BEGIN
  SET NOCOUNT ON;
  -- both tables empty (a write that touched no row): no audit row
  DECLARE @op nvarchar(6) = CASE WHEN EXISTS (SELECT 1 FROM inserted) THEN CASE WHEN EXISTS (SELECT 1 FROM deleted) THEN N'update' ELSE N'insert' END ELSE N'delete' END;
  INSERT INTO [audit].[row_changes] ([occurred_at], [tenant_id], [user_oid], [roles], [request_id], [trace_id], [table_schema], [table_name], [operation], [row_key])
  SELECT SYSUTCDATETIME(),
         CAST(SESSION_CONTEXT(N'tenant_id') AS nvarchar(64)),
         CAST(SESSION_CONTEXT(N'user_oid') AS nvarchar(64)),
         CAST(SESSION_CONTEXT(N'roles') AS nvarchar(4000)),
         CAST(SESSION_CONTEXT(N'request_id') AS nvarchar(128)),
         CAST(SESSION_CONTEXT(N'trace_id') AS nvarchar(32)),
         N'app', N'orders', @op, [r].[row_key]
  FROM (
    SELECT (SELECT [i].[id] AS [id] FOR JSON PATH, WITHOUT_ARRAY_WRAPPER, INCLUDE_NULL_VALUES) AS [row_key] FROM inserted AS [i] WHERE @op <> N'delete'
    UNION ALL
    SELECT (SELECT [d].[id] AS [id] FOR JSON PATH, WITHOUT_ARRAY_WRAPPER, INCLUDE_NULL_VALUES) AS [row_key] FROM deleted AS [d] WHERE @op = N'delete'
  ) AS [r];
END;
GO
CREATE SECURITY POLICY [rls].[orders_policy]
  ADD FILTER PREDICATE [rls].[app_tenants_read]([id]) ON [app].[tenants],
  ADD BLOCK PREDICATE [rls].[app_tenants_insert]([id]) ON [app].[tenants] AFTER INSERT,
  ADD BLOCK PREDICATE [rls].[app_tenants_update]([id]) ON [app].[tenants] AFTER UPDATE,
  ADD BLOCK PREDICATE [rls].[app_tenants_update]([id]) ON [app].[tenants] BEFORE UPDATE,
  ADD BLOCK PREDICATE [rls].[app_tenants_delete]([id]) ON [app].[tenants] BEFORE DELETE,
  ADD FILTER PREDICATE [rls].[app_orders_read]([tenant_id], [owner_oid]) ON [app].[orders],
  ADD BLOCK PREDICATE [rls].[app_orders_insert]([tenant_id], [owner_oid]) ON [app].[orders] AFTER INSERT,
  ADD BLOCK PREDICATE [rls].[app_orders_update]([tenant_id], [owner_oid]) ON [app].[orders] AFTER UPDATE,
  ADD BLOCK PREDICATE [rls].[app_orders_update]([tenant_id], [owner_oid]) ON [app].[orders] BEFORE UPDATE,
  ADD BLOCK PREDICATE [rls].[app_orders_delete]([tenant_id], [owner_oid]) ON [app].[orders] BEFORE DELETE,
  ADD FILTER PREDICATE [rls].[audit_row_changes_read]([tenant_id]) ON [audit].[row_changes]
WITH (STATE = ON, SCHEMABINDING = ON);
GO
-- the policy manager may add, alter and drop the predicates (the permissions the RLS documentation lists)
GRANT SELECT, REFERENCES ON OBJECT::[rls].[app_tenants_read] TO [apim_rls_policy_manager];
GRANT SELECT, REFERENCES ON OBJECT::[rls].[app_tenants_insert] TO [apim_rls_policy_manager];
GRANT SELECT, REFERENCES ON OBJECT::[rls].[app_tenants_update] TO [apim_rls_policy_manager];
GRANT SELECT, REFERENCES ON OBJECT::[rls].[app_tenants_delete] TO [apim_rls_policy_manager];
GRANT REFERENCES ON OBJECT::[app].[tenants] TO [apim_rls_policy_manager];
GRANT REFERENCES ([id]) ON OBJECT::[app].[tenants] TO [apim_rls_policy_manager];
GRANT SELECT, REFERENCES ON OBJECT::[rls].[app_orders_read] TO [apim_rls_policy_manager];
GRANT SELECT, REFERENCES ON OBJECT::[rls].[app_orders_insert] TO [apim_rls_policy_manager];
GRANT SELECT, REFERENCES ON OBJECT::[rls].[app_orders_update] TO [apim_rls_policy_manager];
GRANT SELECT, REFERENCES ON OBJECT::[rls].[app_orders_delete] TO [apim_rls_policy_manager];
GRANT REFERENCES ON OBJECT::[app].[orders] TO [apim_rls_policy_manager];
GRANT REFERENCES ([tenant_id], [owner_oid]) ON OBJECT::[app].[orders] TO [apim_rls_policy_manager];
GRANT SELECT, REFERENCES ON OBJECT::[rls].[audit_row_changes_read] TO [apim_rls_policy_manager];
GRANT REFERENCES ON OBJECT::[audit].[row_changes] TO [apim_rls_policy_manager];
GRANT REFERENCES ([tenant_id]) ON OBJECT::[audit].[row_changes] TO [apim_rls_policy_manager];
GO
COMMIT TRANSACTION;
GO
