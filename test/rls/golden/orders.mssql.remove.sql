-- apim-rls: remove row-level security for spec "orders" (Azure SQL). Generated; do not edit.
-- Run with sqlcmd (stops at the first error) or `apim-rls rls apply`, which runs every batch in one transaction.
:on error exit
SET XACT_ABORT ON;
BEGIN TRANSACTION;
GO
DROP SECURITY POLICY IF EXISTS [rls].[orders_policy];
DROP FUNCTION IF EXISTS [rls].[app_tenants_read];
DROP FUNCTION IF EXISTS [rls].[app_tenants_insert];
DROP FUNCTION IF EXISTS [rls].[app_tenants_update];
DROP FUNCTION IF EXISTS [rls].[app_tenants_delete];
DROP FUNCTION IF EXISTS [rls].[app_orders_read];
DROP FUNCTION IF EXISTS [rls].[app_orders_insert];
DROP FUNCTION IF EXISTS [rls].[app_orders_update];
DROP FUNCTION IF EXISTS [rls].[app_orders_delete];
DROP TRIGGER IF EXISTS [app].[apim_rls_audit_orders];
DROP FUNCTION IF EXISTS [rls].[audit_row_changes_read];
IF OBJECT_ID(N'[audit].[row_changes]', N'U') IS NOT NULL
BEGIN
  IF DATABASE_PRINCIPAL_ID(N'apim_rls_app') IS NOT NULL REVOKE SELECT ON OBJECT::[audit].[row_changes] FROM [apim_rls_app];
  IF DATABASE_PRINCIPAL_ID(N'apim_rls_auditor') IS NOT NULL REVOKE SELECT ON OBJECT::[audit].[row_changes] FROM [apim_rls_auditor];
  IF DATABASE_PRINCIPAL_ID(N'apim_rls_policy_manager') IS NOT NULL REVOKE SELECT ON OBJECT::[audit].[row_changes] FROM [apim_rls_policy_manager];
END;
-- the audit table audit.row_changes and its rows are kept (evidence); drop them by hand
IF SCHEMA_ID(N'rls') IS NOT NULL AND NOT EXISTS (SELECT 1 FROM sys.objects WHERE [schema_id] = SCHEMA_ID(N'rls')) EXEC(N'DROP SCHEMA [rls]');
IF EXISTS (SELECT 1 FROM sys.database_role_members AS [rm] JOIN sys.database_principals AS [r] ON [r].[principal_id] = [rm].[role_principal_id] JOIN sys.database_principals AS [m] ON [m].[principal_id] = [rm].[member_principal_id] WHERE [r].[name] = N'apim_rls_app' AND [m].[name] = N'func-apim-rls-orders') ALTER ROLE [apim_rls_app] DROP MEMBER [func-apim-rls-orders];
IF DATABASE_PRINCIPAL_ID(N'apim_rls_app') IS NOT NULL
BEGIN
  REVOKE SELECT ON OBJECT::[app].[tenants] FROM [apim_rls_app];
  REVOKE SELECT, INSERT, UPDATE, DELETE ON OBJECT::[app].[orders] FROM [apim_rls_app];
  DROP ROLE [apim_rls_app];
END;
IF DATABASE_PRINCIPAL_ID(N'apim_rls_auditor') IS NOT NULL DROP ROLE [apim_rls_auditor];
IF DATABASE_PRINCIPAL_ID(N'apim_rls_policy_manager') IS NOT NULL
BEGIN
  REVOKE ALTER ANY SECURITY POLICY FROM [apim_rls_policy_manager];
  REVOKE REFERENCES ON OBJECT::[app].[tenants] FROM [apim_rls_policy_manager];
  REVOKE REFERENCES ON OBJECT::[app].[orders] FROM [apim_rls_policy_manager];
  DROP ROLE [apim_rls_policy_manager];
END;
-- database users created FROM EXTERNAL PROVIDER are left in place; drop them by hand if no longer needed
GO
COMMIT TRANSACTION;
GO
