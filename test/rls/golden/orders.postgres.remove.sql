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
