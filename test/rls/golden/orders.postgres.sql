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
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'apim_rls_audit_writer') THEN
    CREATE ROLE "apim_rls_audit_writer" NOLOGIN NOBYPASSRLS;
  ELSIF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'apim_rls_audit_writer' AND (rolcanlogin OR rolbypassrls OR rolsuper)) THEN
    ALTER ROLE "apim_rls_audit_writer" NOLOGIN NOBYPASSRLS NOSUPERUSER;
  END IF;
END
$apim_rls$;

DO $apim_rls$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'apim_rls_auditor') THEN
    CREATE ROLE "apim_rls_auditor" NOLOGIN NOBYPASSRLS;
  ELSIF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'apim_rls_auditor' AND (rolcanlogin OR rolbypassrls OR rolsuper)) THEN
    ALTER ROLE "apim_rls_auditor" NOLOGIN NOBYPASSRLS NOSUPERUSER;
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

CREATE SCHEMA IF NOT EXISTS "audit";

-- the applying login acts as the writer until the end of the audit section (a non-superuser admin must be a member to give it objects)

DO $apim_rls$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'apim_rls_audit_writer') THEN
    GRANT "apim_rls_audit_writer" TO CURRENT_USER;
  END IF;
END
$apim_rls$;

DO $apim_rls$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'apim_rls_audit_writer') THEN
    GRANT CREATE ON SCHEMA "audit" TO "apim_rls_audit_writer";
  END IF;
END
$apim_rls$;

CREATE TABLE IF NOT EXISTS "audit"."row_changes" (
  "audit_id"     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  "occurred_at"  timestamptz NOT NULL,
  "tenant_id"    text,
  "user_oid"     text,
  "roles"        jsonb,
  "request_id"   text,
  "trace_id"     text,
  "table_schema" text NOT NULL,
  "table_name"   text NOT NULL,
  "operation"    text NOT NULL CHECK ("operation" IN ('insert', 'update', 'delete')),
  "row_key"      jsonb NOT NULL
);

CREATE INDEX IF NOT EXISTS "row_changes_request_id_idx" ON "audit"."row_changes" ("request_id");

CREATE INDEX IF NOT EXISTS "row_changes_trace_id_idx" ON "audit"."row_changes" ("trace_id");

CREATE INDEX IF NOT EXISTS "row_changes_tenant_time_idx" ON "audit"."row_changes" ("tenant_id", "occurred_at");

-- the writer owns the audit table and the trigger functions; it has no members

ALTER TABLE "audit"."row_changes" OWNER TO "apim_rls_audit_writer";

REVOKE ALL ON TABLE "audit"."row_changes" FROM PUBLIC;

REVOKE ALL ON TABLE "audit"."row_changes" FROM "apim_rls_app";

REVOKE ALL ON TABLE "audit"."row_changes" FROM "apim_rls_auditor";

REVOKE ALL ON TABLE "audit"."row_changes" FROM "apim_rls_policy_manager";

GRANT USAGE ON SCHEMA "audit" TO "apim_rls_audit_writer";

GRANT USAGE ON SCHEMA "audit" TO "apim_rls_app";

GRANT USAGE ON SCHEMA "audit" TO "apim_rls_auditor";

GRANT USAGE ON SCHEMA "audit" TO "apim_rls_policy_manager";

GRANT SELECT ON TABLE "audit"."row_changes" TO "apim_rls_app", "apim_rls_auditor", "apim_rls_policy_manager";

ALTER TABLE "audit"."row_changes" ENABLE ROW LEVEL SECURITY;

ALTER TABLE "audit"."row_changes" FORCE ROW LEVEL SECURITY;

DO $apim_rls$
  DECLARE p record;
BEGIN
  FOR p IN SELECT policyname FROM pg_catalog.pg_policies WHERE schemaname = 'audit' AND tablename = 'row_changes' AND policyname NOT IN ('apim_rls_audit_write', 'apim_rls_audit_tenant', 'apim_rls_audit_all') LOOP
    EXECUTE format('DROP POLICY %I ON %I.%I', p.policyname, 'audit', 'row_changes');
  END LOOP;
END
$apim_rls$;

DROP POLICY IF EXISTS "apim_rls_audit_write" ON "audit"."row_changes";

CREATE POLICY "apim_rls_audit_write" ON "audit"."row_changes" AS PERMISSIVE FOR INSERT TO "apim_rls_audit_writer"
  WITH CHECK (true);

DROP POLICY IF EXISTS "apim_rls_audit_tenant" ON "audit"."row_changes";

CREATE POLICY "apim_rls_audit_tenant" ON "audit"."row_changes" AS PERMISSIVE FOR SELECT TO PUBLIC
  USING ("tenant_id" = (select nullif(current_setting('app.tenant_id', true), '')::text));

DROP POLICY IF EXISTS "apim_rls_audit_all" ON "audit"."row_changes";

CREATE POLICY "apim_rls_audit_all" ON "audit"."row_changes" AS PERMISSIVE FOR SELECT TO "apim_rls_auditor", "apim_rls_policy_manager"
  USING (true);

CREATE OR REPLACE FUNCTION "audit"."apim_rls_audit_app_orders"() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $apim_rls$
BEGIN
  INSERT INTO "audit"."row_changes" ("occurred_at", "tenant_id", "user_oid", "roles", "request_id", "trace_id", "table_schema", "table_name", "operation", "row_key")
  VALUES (clock_timestamp(),
          (select nullif(current_setting('app.tenant_id', true), '')::text),
          (select nullif(current_setting('app.user_oid', true), '')::text),
          (select coalesce(nullif(current_setting('app.roles', true), '')::jsonb, '[]'::jsonb)),
          (select nullif(current_setting('app.request_id', true), '')::text),
          (select nullif(current_setting('app.trace_id', true), '')::text),
          'app',
          'orders',
          lower(TG_OP),
          CASE WHEN TG_OP = 'DELETE' THEN jsonb_build_object('id', OLD."id") ELSE jsonb_build_object('id', NEW."id") END);
  RETURN NULL;
END
$apim_rls$;

ALTER FUNCTION "audit"."apim_rls_audit_app_orders"() OWNER TO "apim_rls_audit_writer";

REVOKE ALL ON FUNCTION "audit"."apim_rls_audit_app_orders"() FROM PUBLIC;

DROP TRIGGER IF EXISTS "apim_rls_audit" ON "app"."orders";

CREATE TRIGGER "apim_rls_audit" AFTER INSERT OR UPDATE OR DELETE ON "app"."orders"
  FOR EACH ROW EXECUTE FUNCTION "audit"."apim_rls_audit_app_orders"();

DO $apim_rls$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'apim_rls_audit_writer') THEN
    REVOKE "apim_rls_audit_writer" FROM CURRENT_USER;
  END IF;
END
$apim_rls$;

COMMIT;
