/**
 * PostgreSQL audit trail (docs/audit.md): an audit table owned by a NOLOGIN writer role, with row
 * security (the writer inserts; a tenant reads its own rows; the auditor and the policy manager
 * read all), and on each audited table an AFTER … FOR EACH ROW trigger whose function is
 * SECURITY DEFINER (owned by the writer), `search_path` pinned, reading the session keys with
 * `current_setting('app.…', true)`. The trigger runs inside the writing statement, so the audit
 * row commits or rolls back with the change (https://www.postgresql.org/docs/current/trigger-definition.html).
 *
 * A SECURITY DEFINER function pins its search_path so nothing a caller can create is found first
 * (https://www.postgresql.org/docs/current/sql-createfunction.html#SQL-CREATEFUNCTION-SECURITY).
 * The application role gets SELECT on the audit table only: no INSERT, UPDATE, DELETE, TRUNCATE
 * or TRIGGER, and it owns neither the audit table nor an audited table, so it can neither change
 * audit rows nor disable, drop or replace a trigger (ALTER TABLE … DISABLE TRIGGER needs
 * ownership: https://www.postgresql.org/docs/current/sql-altertable.html), and
 * `session_replication_role` (which skips ordinary triggers) is superuser-only.
 */
import { auditColumns, auditFunctionName, auditPolicyNames, auditSources, auditTriggerName } from '../audit/names.js';
import type { AuditedTable, AuditSpec, RlsSpec, SessionKey } from '../spec/schema.js';
import { pgSessionKeyRead, pgTypes } from './postgres.js';
import { pgDollarQuote, pgIdent, pgString } from './quote.js';

export function pgAuditTableRef(a: AuditSpec): string {
  return `${pgIdent(a.schema)}.${pgIdent(a.table)}`;
}

/** The SQL that evaluates to each identity column's value inside the trigger function. */
function identityValues(spec: RlsSpec, a: AuditSpec): string[] {
  const src = auditSources(spec, a);
  // request and trace ids are kept as text, whatever their key's type
  const text = (k: SessionKey | undefined) => (k ? pgSessionKeyRead(spec, { ...k, type: 'text' }) : 'NULL');
  return [
    pgSessionKeyRead(spec, src.tenant),
    pgSessionKeyRead(spec, src.user),
    src.roles ? pgSessionKeyRead(spec, src.roles) : 'NULL',
    text(src.requestId),
    text(src.traceId),
  ];
}

function rowKey(t: AuditedTable, record: 'NEW' | 'OLD'): string {
  return `jsonb_build_object(${t.key.map((c) => `${pgString(c)}, ${record}.${pgIdent(c)}`).join(', ')})`;
}

function triggerFunction(spec: RlsSpec, a: AuditSpec, t: AuditedTable): string {
  const fn = `${pgIdent(a.schema)}.${pgIdent(auditFunctionName(t))}`;
  const cols = auditColumns.filter((c) => c !== 'audit_id').map(pgIdent).join(', ');
  const values = [
    'clock_timestamp()',
    ...identityValues(spec, a),
    pgString(t.schema),
    pgString(t.name),
    'lower(TG_OP)',
    `CASE WHEN TG_OP = 'DELETE' THEN ${rowKey(t, 'OLD')} ELSE ${rowKey(t, 'NEW')} END`,
  ];
  const body = [
    '',
    'BEGIN',
    `  INSERT INTO ${pgAuditTableRef(a)} (${cols})`,
    `  VALUES (${values.join(',\n          ')});`,
    '  RETURN NULL;',
    'END',
    '',
  ].join('\n');
  return [
    `CREATE OR REPLACE FUNCTION ${fn}() RETURNS trigger`,
    '  LANGUAGE plpgsql SECURITY DEFINER',
    '  SET search_path = pg_catalog, pg_temp',
    `AS ${pgDollarQuote(body)};`,
  ].join('\n');
}

function triggerEvents(t: AuditedTable): string {
  return t.operations.map((o) => o.toUpperCase()).join(' OR ');
}

/** The audit trail's statements (after the roles exist). */
export function pgAuditStatements(spec: RlsSpec, a: AuditSpec): string[] {
  const src = auditSources(spec, a);
  const table = pgAuditTableRef(a);
  const writer = pgIdent(a.writer);
  const readers = [...spec.applicationRoles.map((r) => r.name), a.auditor, spec.policyManager.name];
  const out: string[] = [
    `CREATE SCHEMA IF NOT EXISTS ${pgIdent(a.schema)};`,
    ...asWriter(a).begin,
    [
      `CREATE TABLE IF NOT EXISTS ${table} (`,
      '  "audit_id"     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,',
      '  "occurred_at"  timestamptz NOT NULL,',
      `  "tenant_id"    ${pgTypes[src.tenant.type]},`,
      `  "user_oid"     ${pgTypes[src.user.type]},`,
      '  "roles"        jsonb,',
      '  "request_id"   text,',
      '  "trace_id"     text,',
      '  "table_schema" text NOT NULL,',
      '  "table_name"   text NOT NULL,',
      `  "operation"    text NOT NULL CHECK ("operation" IN ('insert', 'update', 'delete')),`,
      '  "row_key"      jsonb NOT NULL',
      ');',
    ].join('\n'),
    `CREATE INDEX IF NOT EXISTS ${pgIdent(`${a.table}_request_id_idx`)} ON ${table} ("request_id");`,
    `CREATE INDEX IF NOT EXISTS ${pgIdent(`${a.table}_trace_id_idx`)} ON ${table} ("trace_id");`,
    `CREATE INDEX IF NOT EXISTS ${pgIdent(`${a.table}_tenant_time_idx`)} ON ${table} ("tenant_id", "occurred_at");`,
    '-- the writer owns the audit table and the trigger functions; it has no members',
    `ALTER TABLE ${table} OWNER TO ${writer};`,
    `REVOKE ALL ON TABLE ${table} FROM PUBLIC;`,
    ...readers.map((r) => `REVOKE ALL ON TABLE ${table} FROM ${pgIdent(r)};`),
    ...[a.writer, ...readers].map((r) => `GRANT USAGE ON SCHEMA ${pgIdent(a.schema)} TO ${pgIdent(r)};`),
    `GRANT SELECT ON TABLE ${table} TO ${readers.map(pgIdent).join(', ')};`,
    `ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY;`,
    `ALTER TABLE ${table} FORCE ROW LEVEL SECURITY;`,
  ];
  const ours = Object.values(auditPolicyNames).map(pgString).join(', ');
  out.push(
    `DO ${pgDollarQuote(
      [
        '',
        '  DECLARE p record;',
        'BEGIN',
        `  FOR p IN SELECT policyname FROM pg_catalog.pg_policies WHERE schemaname = ${pgString(a.schema)} AND tablename = ${pgString(a.table)} AND policyname NOT IN (${ours}) LOOP`,
        `    EXECUTE format('DROP POLICY %I ON %I.%I', p.policyname, ${pgString(a.schema)}, ${pgString(a.table)});`,
        '  END LOOP;',
        'END',
        '',
      ].join('\n'),
    )};`,
  );
  const tenantRead = pgSessionKeyRead(spec, src.tenant);
  const policy = (name: string, body: string) => {
    out.push(`DROP POLICY IF EXISTS ${pgIdent(name)} ON ${table};`);
    out.push(`CREATE POLICY ${pgIdent(name)} ON ${table} ${body};`);
  };
  policy(auditPolicyNames.write, `AS PERMISSIVE FOR INSERT TO ${writer}\n  WITH CHECK (true)`);
  policy(auditPolicyNames.tenant, `AS PERMISSIVE FOR SELECT TO PUBLIC\n  USING ("tenant_id" = ${tenantRead})`);
  policy(auditPolicyNames.all, `AS PERMISSIVE FOR SELECT TO ${pgIdent(a.auditor)}, ${pgIdent(spec.policyManager.name)}\n  USING (true)`);
  for (const t of a.tables) {
    const fn = `${pgIdent(a.schema)}.${pgIdent(auditFunctionName(t))}`;
    const target = `${pgIdent(t.schema)}.${pgIdent(t.name)}`;
    out.push(triggerFunction(spec, a, t));
    out.push(`ALTER FUNCTION ${fn}() OWNER TO ${writer};`);
    out.push(`REVOKE ALL ON FUNCTION ${fn}() FROM PUBLIC;`);
    out.push(`DROP TRIGGER IF EXISTS ${pgIdent(auditTriggerName)} ON ${target};`);
    out.push(`CREATE TRIGGER ${pgIdent(auditTriggerName)} AFTER ${triggerEvents(t)} ON ${target}\n  FOR EACH ROW EXECUTE FUNCTION ${fn}();`);
  }
  out.push(...asWriter(a).end);
  return out;
}

/**
 * The statements that let the applying login act as the writer for the audit section, and end
 * that again: a login that is not a superuser — the admin of Azure Database for PostgreSQL is
 * not ("The Azure Database for PostgreSQL server admin user has the following privileges: LOGIN,
 * NOSUPERUSER, INHERIT, CREATEDB, CREATEROLE, REPLICATION",
 * https://learn.microsoft.com/training/modules/secure-azure-database-for-postgresql/3-describe-built-server-roles) — may give a
 * table or function to another owner only as a member of that role, whose schema CREATE
 * privilege it must have too (https://www.postgresql.org/docs/current/sql-altertable.html: "you
 * must be able to SET ROLE to the new owning role, and that role must have CREATE privilege on
 * the table's schema"), and may replace, index, add policies to or drop what the writer owns only
 * as a member. The membership is granted and revoked inside the script's one transaction (nobody
 * else ever sees it); afterwards the writer has no members again. Before: `must be member of
 * role "apim_rls_audit_writer"` for a CREATEROLE login.
 */
function asWriter(a: AuditSpec): { begin: string[]; end: string[] } {
  const writer = pgIdent(a.writer);
  const exists = `EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = ${pgString(a.writer)})`;
  const guarded = (sql: string) => `DO ${pgDollarQuote(['', 'BEGIN', `  IF ${exists} THEN`, `    ${sql}`, '  END IF;', 'END', ''].join('\n'))};`;
  return {
    begin: [
      '-- the applying login acts as the writer until the end of the audit section (a non-superuser admin must be a member to give it objects)',
      guarded(`GRANT ${writer} TO CURRENT_USER;`),
      guarded(`GRANT CREATE ON SCHEMA ${pgIdent(a.schema)} TO ${writer};`),
    ],
    end: [guarded(`REVOKE ${writer} FROM CURRENT_USER;`)],
  };
}

/**
 * Removing the audit trail drops the triggers and their functions. The audit table, its rows and
 * the writer that owns them stay: audit rows are evidence, dropped only by hand.
 */
export function pgAuditRemoveStatements(spec: RlsSpec, a: AuditSpec): string[] {
  const out: string[] = [...asWriter(a).begin.filter((x) => !x.includes('GRANT CREATE'))];
  for (const t of a.tables) {
    out.push(`DROP TRIGGER IF EXISTS ${pgIdent(auditTriggerName)} ON ${pgIdent(t.schema)}.${pgIdent(t.name)};`);
    out.push(`DROP FUNCTION IF EXISTS ${pgIdent(a.schema)}.${pgIdent(auditFunctionName(t))}();`);
  }
  const table = pgAuditTableRef(a);
  // the readers lose their access (so their roles can be dropped); the policies naming them go too
  const readers = [...spec.applicationRoles.map((r) => r.name), a.auditor, spec.policyManager.name];
  const revoke = readers.flatMap((r) => [
    `    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = ${pgString(r)}) THEN`,
    `      REVOKE ALL ON TABLE ${table} FROM ${pgIdent(r)};`,
    `      REVOKE USAGE ON SCHEMA ${pgIdent(a.schema)} FROM ${pgIdent(r)};`,
    '    END IF;',
  ]);
  out.push(
    `DO ${pgDollarQuote(
      [
        '',
        'BEGIN',
        `  IF to_regclass(${pgString(table)}) IS NOT NULL THEN`,
        ...Object.values(auditPolicyNames).map((n) => `    DROP POLICY IF EXISTS ${pgIdent(n)} ON ${table};`),
        ...revoke,
        '  END IF;',
        `  IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = ${pgString(a.auditor)}) THEN`,
        '    BEGIN',
        `      DROP ROLE ${pgIdent(a.auditor)};`,
        '    EXCEPTION WHEN dependent_objects_still_exist THEN',
        `      RAISE NOTICE 'role % still holds privileges in another database; kept', ${pgString(a.auditor)};`,
        '    END;',
        '  END IF;',
        `  RAISE NOTICE 'audit table % and its owner % are kept (audit rows are evidence); drop them by hand', ${pgString(`${a.schema}.${a.table}`)}, ${pgString(a.writer)};`,
        'END',
        '',
      ].join('\n'),
    )};`,
  );
  out.push(...asWriter(a).end);
  return out;
}
