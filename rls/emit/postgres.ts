/**
 * PostgreSQL emitter: ENABLE + FORCE row level security, a RESTRICTIVE tenant-isolation policy and
 * PERMISSIVE per-command role policies reading `nullif(current_setting('app.key', true), '')` with
 * casts, a NOLOGIN application role without BYPASSRLS, least-privilege grants. Idempotent: roles in
 * guarded DO blocks, `DROP POLICY IF EXISTS` + `CREATE POLICY`, grants re-stated.
 *
 * A missing session key reads as NULL, every comparison with NULL is not true: no rows, no writes.
 */
import type { AccessRule, Operation, ProtectedTable, RlsSpec, SessionKey } from '../spec/schema.js';
import { pgAuditRemoveStatements, pgAuditStatements } from './postgres-audit.js';
import { pgDollarQuote, pgIdent, pgString } from './quote.js';

export interface PostgresScript {
  dialect: 'postgres';
  /** the statements, in order, to run inside one transaction */
  statements: string[];
  /** the printable script: the statements between BEGIN and COMMIT */
  script: string;
}

/** The policy names this tool owns on every protected table. */
export const pgPolicyNames = {
  tenant: 'apim_rls_tenant_isolation',
  select: 'apim_rls_select',
  insert: 'apim_rls_insert',
  update: 'apim_rls_update',
  delete: 'apim_rls_delete',
} as const;

export const pgTypes: Readonly<Record<SessionKey['type'], string>> = { text: 'text', uuid: 'uuid', int: 'integer', bigint: 'bigint', json: 'jsonb' };

function keyOf(spec: RlsSpec, name: string): SessionKey {
  const k = spec.sessionKeys.find((x) => x.name === name);
  if (!k) throw new TypeError(`unknown session key ${name}`);
  return k;
}

/**
 * `(select nullif(current_setting('app.key', true), '')::type)` — NULL when the key is not set in
 * this transaction. The scalar subquery makes the planner read the setting once per query (an
 * InitPlan) instead of once per row, and lets an index on the compared column be used.
 */
export function pgSessionRead(spec: RlsSpec, keyName: string): string {
  return pgSessionKeyRead(spec, keyOf(spec, keyName));
}

/** {@link pgSessionRead} of a session key given whole (the audit trigger reads keys as other types too). */
export function pgSessionKeyRead(spec: RlsSpec, k: SessionKey): string {
  const raw = `nullif(current_setting(${pgString(`${spec.settingPrefix}.${k.name}`)}, true), '')`;
  if (k.type === 'json') return `(select coalesce(${raw}::jsonb, '[]'::jsonb))`;
  return `(select ${raw}::${pgTypes[k.type]})`;
}

function tableRef(t: { schema: string; name: string }): string {
  return `${pgIdent(t.schema)}.${pgIdent(t.name)}`;
}

function tenantCondition(spec: RlsSpec, t: ProtectedTable): string {
  return `(${pgIdent(t.tenant.column)} = ${pgSessionRead(spec, t.tenant.key)})`;
}

function ruleCondition(spec: RlsSpec, t: ProtectedTable, rule: AccessRule): string {
  // rolesKey is present whenever a rule exists (the spec schema checks it)
  const roles = `(${pgSessionRead(spec, spec.rolesKey ?? '')} ?| ARRAY[${rule.roles.map(pgString).join(', ')}]::text[])`;
  if (rule.scope === 'tenant') return roles;
  const owner = t.owner;
  if (!owner) throw new TypeError('owner rule without owner column');
  return `(${roles} AND ${pgIdent(owner.column)} = ${pgSessionRead(spec, owner.key)})`;
}

/** The permissive condition for one operation: `true` when the operation is tenant-only, else any rule. */
export function pgAccessCondition(spec: RlsSpec, t: ProtectedTable, op: Operation): string {
  const rules = t.access[op];
  if (!rules) return 'true';
  return rules.map((r) => ruleCondition(spec, t, r)).join(' OR ');
}


function doBlock(body: string, begin = true): string {
  return `DO ${pgDollarQuote(`\n${begin ? 'BEGIN\n' : ''}${body}\nEND\n`)};`;
}

function roleStatements(spec: RlsSpec): string[] {
  const out: string[] = [];
  const nologinRoles = [...spec.applicationRoles.map((r) => r.name), spec.policyManager.name, ...(spec.audit ? [spec.audit.writer, spec.audit.auditor] : [])];
  for (const name of nologinRoles) {
    out.push(
      doBlock(
        [
          `  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = ${pgString(name)}) THEN`,
          `    CREATE ROLE ${pgIdent(name)} NOLOGIN NOBYPASSRLS;`,
          `  ELSIF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = ${pgString(name)} AND (rolcanlogin OR rolbypassrls OR rolsuper)) THEN`,
          `    ALTER ROLE ${pgIdent(name)} NOLOGIN NOBYPASSRLS NOSUPERUSER;`,
          '  END IF;',
        ].join('\n'),
      ),
    );
  }
  for (const p of spec.principals) {
    // Azure Database for PostgreSQL creates Entra principals with pgaadauth_create_principal_with_oid;
    // elsewhere the principal must exist already (membership is granted when it does).
    const create =
      p.objectId !== undefined
        ? [
            `  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = ${pgString(p.name)})`,
            `     AND EXISTS (SELECT 1 FROM pg_catalog.pg_proc WHERE proname = 'pgaadauth_create_principal_with_oid') THEN`,
            `    PERFORM pgaadauth_create_principal_with_oid(${pgString(p.name)}, ${pgString(p.objectId)}, ${pgString(p.kind === 'group' ? 'group' : p.kind === 'user' ? 'user' : 'service')}, false, false);`,
            '  END IF;',
          ]
        : [];
    const grants = p.roles.map((r) => `    GRANT ${pgIdent(r)} TO ${pgIdent(p.name)};`);
    const bypass = spec.bypass.includes(p.name)
      ? [`    IF NOT (SELECT rolbypassrls FROM pg_catalog.pg_roles WHERE rolname = ${pgString(p.name)}) THEN ALTER ROLE ${pgIdent(p.name)} BYPASSRLS; END IF;`]
      : [];
    out.push(
      doBlock(
        [
          ...create,
          `  IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = ${pgString(p.name)}) THEN`,
          ...grants,
          ...bypass,
          ...(grants.length + bypass.length === 0 ? ['    NULL;'] : []),
          '  ELSE',
          `    RAISE NOTICE 'principal % does not exist; create it, then apply again', ${pgString(p.name)};`,
          '  END IF;',
        ].join('\n'),
      ),
    );
  }
  return out;
}

function grantStatements(spec: RlsSpec): string[] {
  const out: string[] = [];
  for (const role of spec.applicationRoles) {
    const schemas = [...new Set(role.grants.map((g) => g.schema))];
    for (const s of schemas) out.push(`GRANT USAGE ON SCHEMA ${pgIdent(s)} TO ${pgIdent(role.name)};`);
    for (const g of role.grants) {
      out.push(`REVOKE ALL ON TABLE ${tableRef({ schema: g.schema, name: g.table })} FROM ${pgIdent(role.name)};`);
      out.push(`GRANT ${g.privileges.join(', ')} ON TABLE ${tableRef({ schema: g.schema, name: g.table })} TO ${pgIdent(role.name)};`);
    }
  }
  return out;
}

function policyStatements(spec: RlsSpec, t: ProtectedTable): string[] {
  const ref = tableRef(t);
  const blocked = new Set(t.block);
  const tenant = tenantCondition(spec, t);
  const cond = (op: Operation, checked: boolean) => (checked ? pgAccessCondition(spec, t, op) : 'true');
  const out: string[] = [`ALTER TABLE ${ref} ENABLE ROW LEVEL SECURITY;`, `ALTER TABLE ${ref} FORCE ROW LEVEL SECURITY;`];
  // the spec is the only source of policies on a protected table: a stray permissive policy would be OR'ed in
  const ours = Object.values(pgPolicyNames).map(pgString).join(', ');
  out.push(
    doBlock(
      [
        '  DECLARE p record;',
        'BEGIN',
        `  FOR p IN SELECT policyname FROM pg_catalog.pg_policies WHERE schemaname = ${pgString(t.schema)} AND tablename = ${pgString(t.name)} AND policyname NOT IN (${ours}) LOOP`,
        `    EXECUTE format('DROP POLICY %I ON %I.%I', p.policyname, ${pgString(t.schema)}, ${pgString(t.name)});`,
        '  END LOOP;',
      ].join('\n'),
      false,
    ),
  );
  const policy = (name: string, body: string) => {
    out.push(`DROP POLICY IF EXISTS ${pgIdent(name)} ON ${ref};`);
    out.push(`CREATE POLICY ${pgIdent(name)} ON ${ref} ${body};`);
  };
  policy(pgPolicyNames.tenant, `AS RESTRICTIVE FOR ALL TO PUBLIC\n  USING ${tenant}\n  WITH CHECK ${tenant}`);
  policy(pgPolicyNames.select, `AS PERMISSIVE FOR SELECT TO PUBLIC\n  USING (${cond('select', true)})`);
  policy(pgPolicyNames.insert, `AS PERMISSIVE FOR INSERT TO PUBLIC\n  WITH CHECK (${cond('insert', blocked.has('afterInsert'))})`);
  policy(
    pgPolicyNames.update,
    `AS PERMISSIVE FOR UPDATE TO PUBLIC\n  USING (${cond('update', blocked.has('beforeUpdate'))})\n  WITH CHECK (${cond('update', blocked.has('afterUpdate'))})`,
  );
  policy(pgPolicyNames.delete, `AS PERMISSIVE FOR DELETE TO PUBLIC\n  USING (${cond('delete', blocked.has('beforeDelete'))})`);
  return out;
}

/** Emits the idempotent PostgreSQL script for a spec. */
export function emitPostgres(spec: RlsSpec): PostgresScript {
  const statements = [
    ...roleStatements(spec),
    ...grantStatements(spec),
    ...spec.tables.flatMap((t) => policyStatements(spec, t)),
    ...(spec.audit ? pgAuditStatements(spec, spec.audit) : []),
  ];
  return { dialect: 'postgres', statements, script: wrap(spec, 'apply', statements) };
}

/** Emits the matching remove script: drops this tool's policies, disables RLS, revokes grants, drops the roles it created. */
export function emitPostgresRemove(spec: RlsSpec): PostgresScript {
  const statements: string[] = [];
  for (const t of spec.tables) {
    const ref = tableRef(t);
    for (const name of Object.values(pgPolicyNames)) statements.push(`DROP POLICY IF EXISTS ${pgIdent(name)} ON ${ref};`);
    statements.push(`ALTER TABLE ${ref} NO FORCE ROW LEVEL SECURITY;`, `ALTER TABLE ${ref} DISABLE ROW LEVEL SECURITY;`);
  }
  if (spec.audit) statements.push(...pgAuditRemoveStatements(spec, spec.audit));
  const roles = [...spec.applicationRoles.map((r) => r.name), spec.policyManager.name];
  for (const name of roles) {
    const role = spec.applicationRoles.find((r) => r.name === name);
    const body = [
      `  IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = ${pgString(name)}) THEN`,
      ...(role?.grants ?? []).flatMap((g) => [
        `    REVOKE ALL ON TABLE ${tableRef({ schema: g.schema, name: g.table })} FROM ${pgIdent(name)};`,
      ]),
      ...[...new Set((role?.grants ?? []).map((g) => g.schema))].map((s) => `    REVOKE USAGE ON SCHEMA ${pgIdent(s)} FROM ${pgIdent(name)};`),
      '    BEGIN',
      `      DROP ROLE ${pgIdent(name)};`,
      '    EXCEPTION WHEN dependent_objects_still_exist THEN',
      `      RAISE NOTICE 'role % still holds privileges in another database; kept', ${pgString(name)};`,
      '    END;',
      '  END IF;',
    ].join('\n');
    statements.push(doBlock(body));
  }
  for (const p of spec.principals.filter((x) => spec.bypass.includes(x.name))) {
    statements.push(
      doBlock(
        `  IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = ${pgString(p.name)} AND rolbypassrls) THEN\n    ALTER ROLE ${pgIdent(p.name)} NOBYPASSRLS;\n  END IF;`,
      ),
    );
  }
  return { dialect: 'postgres', statements, script: wrap(spec, 'remove', statements) };
}

function wrap(spec: RlsSpec, what: 'apply' | 'remove', statements: string[]): string {
  const head = `-- apim-rls: ${what} row-level security for spec "${spec.name}" (PostgreSQL). Generated; do not edit.\n`;
  return `${head}BEGIN;\n\n${statements.join('\n\n')}\n\nCOMMIT;\n`;
}
