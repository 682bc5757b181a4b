-- apim-rls: remove row-level security for spec "orders" (PostgreSQL). Generated; do not edit.
BEGIN;

DROP POLICY IF EXISTS "apim_rls_tenant_isolation" ON "app"."tenants";

DROP POLICY IF EXISTS "apim_rls_select" ON "app"."tenants";

DROP POLICY IF EXISTS "apim_rls_insert" ON "app"."tenants";

DROP POLICY IF EXISTS "apim_rls_update" ON "app"."tenants";

DROP POLICY IF EXISTS "apim_rls_delete" ON "app"."tenants";

ALTER TABLE "app"."tenants" NO FORCE ROW LEVEL SECURITY;

ALTER TABLE "app"."tenants" DISABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS "apim_rls_tenant_isolation" ON "app"."orders";

DROP POLICY IF EXISTS "apim_rls_select" ON "app"."orders";

DROP POLICY IF EXISTS "apim_rls_insert" ON "app"."orders";

DROP POLICY IF EXISTS "apim_rls_update" ON "app"."orders";

DROP POLICY IF EXISTS "apim_rls_delete" ON "app"."orders";

ALTER TABLE "app"."orders" NO FORCE ROW LEVEL SECURITY;

ALTER TABLE "app"."orders" DISABLE ROW LEVEL SECURITY;

-- the applying login acts as the writer until the end of the audit section (a non-superuser admin must be a member to give it objects)

DO $apim_rls$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'apim_rls_audit_writer') THEN
    GRANT "apim_rls_audit_writer" TO CURRENT_USER;
  END IF;
END
$apim_rls$;

DROP TRIGGER IF EXISTS "apim_rls_audit" ON "app"."orders";

DROP FUNCTION IF EXISTS "audit"."apim_rls_audit_app_orders"();

DO $apim_rls$
BEGIN
  IF to_regclass('"audit"."row_changes"') IS NOT NULL THEN
    DROP POLICY IF EXISTS "apim_rls_audit_write" ON "audit"."row_changes";
    DROP POLICY IF EXISTS "apim_rls_audit_tenant" ON "audit"."row_changes";
    DROP POLICY IF EXISTS "apim_rls_audit_all" ON "audit"."row_changes";
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'apim_rls_app') THEN
      REVOKE ALL ON TABLE "audit"."row_changes" FROM "apim_rls_app";
      REVOKE USAGE ON SCHEMA "audit" FROM "apim_rls_app";
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'apim_rls_auditor') THEN
      REVOKE ALL ON TABLE "audit"."row_changes" FROM "apim_rls_auditor";
      REVOKE USAGE ON SCHEMA "audit" FROM "apim_rls_auditor";
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'apim_rls_policy_manager') THEN
      REVOKE ALL ON TABLE "audit"."row_changes" FROM "apim_rls_policy_manager";
      REVOKE USAGE ON SCHEMA "audit" FROM "apim_rls_policy_manager";
    END IF;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'apim_rls_auditor') THEN
    BEGIN
      DROP ROLE "apim_rls_auditor";
    EXCEPTION WHEN dependent_objects_still_exist THEN
      RAISE NOTICE 'role % still holds privileges in another database; kept', 'apim_rls_auditor';
    END;
  END IF;
  RAISE NOTICE 'audit table % and its owner % are kept (audit rows are evidence); drop them by hand', 'audit.row_changes', 'apim_rls_audit_writer';
END
$apim_rls$;

DO $apim_rls$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'apim_rls_audit_writer') THEN
    REVOKE "apim_rls_audit_writer" FROM CURRENT_USER;
  END IF;
END
$apim_rls$;

DO $apim_rls$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'apim_rls_app') THEN
    REVOKE ALL ON TABLE "app"."tenants" FROM "apim_rls_app";
    REVOKE ALL ON TABLE "app"."orders" FROM "apim_rls_app";
    REVOKE USAGE ON SCHEMA "app" FROM "apim_rls_app";
    BEGIN
      DROP ROLE "apim_rls_app";
    EXCEPTION WHEN dependent_objects_still_exist THEN
      RAISE NOTICE 'role % still holds privileges in another database; kept', 'apim_rls_app';
    END;
  END IF;
END
$apim_rls$;

DO $apim_rls$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'apim_rls_policy_manager') THEN
    BEGIN
      DROP ROLE "apim_rls_policy_manager";
    EXCEPTION WHEN dependent_objects_still_exist THEN
      RAISE NOTICE 'role % still holds privileges in another database; kept', 'apim_rls_policy_manager';
    END;
  END IF;
END
$apim_rls$;

COMMIT;
