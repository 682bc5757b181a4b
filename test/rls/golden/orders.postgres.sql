-- apim-rls: apply row-level security for spec "orders" (PostgreSQL). Generated; do not edit.
BEGIN;

DO $apim_rls$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'apim_rls_app') THEN
    CREATE ROLE "apim_rls_app" NOLOGIN NOBYPASSRLS;
  ELSIF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'apim_rls_app' AND (rolcanlogin OR rolbypassrls OR rolsuper)) THEN
    ALTER ROLE "apim_rls_app" NOLOGIN NOBYPASSRLS NOSUPERUSER;
  END IF;
END
$apim_rls$;

DO $apim_rls$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'apim_rls_policy_manager') THEN
    CREATE ROLE "apim_rls_policy_manager" NOLOGIN NOBYPASSRLS;
  ELSIF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'apim_rls_policy_manager' AND (rolcanlogin OR rolbypassrls OR rolsuper)) THEN
    ALTER ROLE "apim_rls_policy_manager" NOLOGIN NOBYPASSRLS NOSUPERUSER;
  END IF;
END
$apim_rls$;

DO $apim_rls$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'func-apim-rls-orders')
     AND EXISTS (SELECT 1 FROM pg_catalog.pg_proc WHERE proname = 'pgaadauth_create_principal_with_oid') THEN
    PERFORM pgaadauth_create_principal_with_oid('func-apim-rls-orders', '11111111-2222-3333-4444-555555555555', 'service', false, false);
  END IF;
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'func-apim-rls-orders') THEN
    GRANT "apim_rls_app" TO "func-apim-rls-orders";
  ELSE
    RAISE NOTICE 'principal % does not exist; create it, then apply again', 'func-apim-rls-orders';
  END IF;
END
$apim_rls$;

GRANT USAGE ON SCHEMA "app" TO "apim_rls_app";

REVOKE ALL ON TABLE "app"."tenants" FROM "apim_rls_app";

GRANT SELECT ON TABLE "app"."tenants" TO "apim_rls_app";

REVOKE ALL ON TABLE "app"."orders" FROM "apim_rls_app";

GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE "app"."orders" TO "apim_rls_app";

ALTER TABLE "app"."tenants" ENABLE ROW LEVEL SECURITY;

ALTER TABLE "app"."tenants" FORCE ROW LEVEL SECURITY;

DO $apim_rls$
  DECLARE p record;
BEGIN
  FOR p IN SELECT policyname FROM pg_catalog.pg_policies WHERE schemaname = 'app' AND tablename = 'tenants' AND policyname NOT IN ('apim_rls_tenant_isolation', 'apim_rls_select', 'apim_rls_insert', 'apim_rls_update', 'apim_rls_delete') LOOP
    EXECUTE format('DROP POLICY %I ON %I.%I', p.policyname, 'app', 'tenants');
  END LOOP;
END
$apim_rls$;

DROP POLICY IF EXISTS "apim_rls_tenant_isolation" ON "app"."tenants";

CREATE POLICY "apim_rls_tenant_isolation" ON "app"."tenants" AS RESTRICTIVE FOR ALL TO PUBLIC
  USING ("id" = (select nullif(current_setting('app.tenant_id', true), '')::text))
  WITH CHECK ("id" = (select nullif(current_setting('app.tenant_id', true), '')::text));

DROP POLICY IF EXISTS "apim_rls_select" ON "app"."tenants";

CREATE POLICY "apim_rls_select" ON "app"."tenants" AS PERMISSIVE FOR SELECT TO PUBLIC
  USING (true);

DROP POLICY IF EXISTS "apim_rls_insert" ON "app"."tenants";

CREATE POLICY "apim_rls_insert" ON "app"."tenants" AS PERMISSIVE FOR INSERT TO PUBLIC
  WITH CHECK (true);

DROP POLICY IF EXISTS "apim_rls_update" ON "app"."tenants";

CREATE POLICY "apim_rls_update" ON "app"."tenants" AS PERMISSIVE FOR UPDATE TO PUBLIC
  USING (true)
  WITH CHECK (true);

DROP POLICY IF EXISTS "apim_rls_delete" ON "app"."tenants";

CREATE POLICY "apim_rls_delete" ON "app"."tenants" AS PERMISSIVE FOR DELETE TO PUBLIC
  USING (true);

ALTER TABLE "app"."orders" ENABLE ROW LEVEL SECURITY;

ALTER TABLE "app"."orders" FORCE ROW LEVEL SECURITY;

DO $apim_rls$
  DECLARE p record;
BEGIN
  FOR p IN SELECT policyname FROM pg_catalog.pg_policies WHERE schemaname = 'app' AND tablename = 'orders' AND policyname NOT IN ('apim_rls_tenant_isolation', 'apim_rls_select', 'apim_rls_insert', 'apim_rls_update', 'apim_rls_delete') LOOP
    EXECUTE format('DROP POLICY %I ON %I.%I', p.policyname, 'app', 'orders');
  END LOOP;
END
$apim_rls$;

DROP POLICY IF EXISTS "apim_rls_tenant_isolation" ON "app"."orders";

CREATE POLICY "apim_rls_tenant_isolation" ON "app"."orders" AS RESTRICTIVE FOR ALL TO PUBLIC
  USING ("tenant_id" = (select nullif(current_setting('app.tenant_id', true), '')::text))
  WITH CHECK ("tenant_id" = (select nullif(current_setting('app.tenant_id', true), '')::text));

DROP POLICY IF EXISTS "apim_rls_select" ON "app"."orders";

CREATE POLICY "apim_rls_select" ON "app"."orders" AS PERMISSIVE FOR SELECT TO PUBLIC
  USING (((select coalesce(nullif(current_setting('app.roles', true), '')::jsonb, '[]'::jsonb)) ?| ARRAY['Orders.Admin']::text[]) OR (((select coalesce(nullif(current_setting('app.roles', true), '')::jsonb, '[]'::jsonb)) ?| ARRAY['Orders.Read', 'Orders.Write']::text[]) AND "owner_oid" = (select nullif(current_setting('app.user_oid', true), '')::text)));

DROP POLICY IF EXISTS "apim_rls_insert" ON "app"."orders";

CREATE POLICY "apim_rls_insert" ON "app"."orders" AS PERMISSIVE FOR INSERT TO PUBLIC
  WITH CHECK ((((select coalesce(nullif(current_setting('app.roles', true), '')::jsonb, '[]'::jsonb)) ?| ARRAY['Orders.Write']::text[]) AND "owner_oid" = (select nullif(current_setting('app.user_oid', true), '')::text)));

DROP POLICY IF EXISTS "apim_rls_update" ON "app"."orders";

CREATE POLICY "apim_rls_update" ON "app"."orders" AS PERMISSIVE FOR UPDATE TO PUBLIC
  USING (((select coalesce(nullif(current_setting('app.roles', true), '')::jsonb, '[]'::jsonb)) ?| ARRAY['Orders.Admin']::text[]) OR (((select coalesce(nullif(current_setting('app.roles', true), '')::jsonb, '[]'::jsonb)) ?| ARRAY['Orders.Write']::text[]) AND "owner_oid" = (select nullif(current_setting('app.user_oid', true), '')::text)))
  WITH CHECK (((select coalesce(nullif(current_setting('app.roles', true), '')::jsonb, '[]'::jsonb)) ?| ARRAY['Orders.Admin']::text[]) OR (((select coalesce(nullif(current_setting('app.roles', true), '')::jsonb, '[]'::jsonb)) ?| ARRAY['Orders.Write']::text[]) AND "owner_oid" = (select nullif(current_setting('app.user_oid', true), '')::text)));

DROP POLICY IF EXISTS "apim_rls_delete" ON "app"."orders";

CREATE POLICY "apim_rls_delete" ON "app"."orders" AS PERMISSIVE FOR DELETE TO PUBLIC
  USING (((select coalesce(nullif(current_setting('app.roles', true), '')::jsonb, '[]'::jsonb)) ?| ARRAY['Orders.Admin']::text[]) OR (((select coalesce(nullif(current_setting('app.roles', true), '')::jsonb, '[]'::jsonb)) ?| ARRAY['Orders.Write']::text[]) AND "owner_oid" = (select nullif(current_setting('app.user_oid', true), '')::text)));

COMMIT;
