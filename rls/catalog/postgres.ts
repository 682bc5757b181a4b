/**
 * A snapshot of what the RLS spec governs in a PostgreSQL catalog: row security flags and every
 * policy on the protected tables (`pg_policies`), the spec's roles and their attributes, memberships,
 * table grants and schema usage. Two snapshots compare entry by entry.
 */
import { auditFunctionName, auditTriggerName } from '../audit/names.js';
import type { Executor } from '../db/types.js';
import type { RlsSpec } from '../spec/schema.js';

/** object → canonical description; keys are stable, human-readable names. */
export type CatalogSnapshot = Map<string, string>;

const q = (s: string) => JSON.stringify(s);

function specRoleNames(spec: RlsSpec): string[] {
  const audit = spec.audit ? [spec.audit.writer, spec.audit.auditor] : [];
  return [...spec.applicationRoles.map((r) => r.name), spec.policyManager.name, ...audit, ...spec.principals.map((p) => p.name)];
}

/** Reads the snapshot (works as any role that can read the catalog). */
export async function snapshotPostgres(db: Executor, spec: RlsSpec): Promise<CatalogSnapshot> {
  const out: CatalogSnapshot = new Map();
  // the audit table is governed like a protected table: row security flags and its policies
  const governed = [...spec.tables, ...(spec.audit ? [{ schema: spec.audit.schema, name: spec.audit.table }] : [])];
  const schemas = governed.map((t) => t.schema);
  const names = governed.map((t) => t.name);

  const tables = await db.query<{ s: string; n: string; rls: boolean; force: boolean }>(
    `select n.nspname as s, c.relname as n, c.relrowsecurity as rls, c.relforcerowsecurity as force
       from pg_catalog.pg_class c
       join pg_catalog.pg_namespace n on n.oid = c.relnamespace
       join unnest($1::text[], $2::text[]) as t(s, n) on t.s = n.nspname and t.n = c.relname`,
    [schemas, names],
  );
  for (const t of tables.rows) {
    out.set(`table ${q(t.s)}.${q(t.n)}`, `row security ${t.rls ? 'enabled' : 'disabled'}, ${t.force ? 'forced' : 'not forced'}`);
  }

  const policies = await db.query<{ s: string; t: string; p: string; permissive: string; roles: string[]; cmd: string; qual: string | null; wc: string | null }>(
    `select p.schemaname as s, p.tablename as t, p.policyname as p, p.permissive, p.roles::text[] as roles, p.cmd,
            p.qual, p.with_check as wc
       from pg_catalog.pg_policies p
       join unnest($1::text[], $2::text[]) as t(s, n) on t.s = p.schemaname and t.n = p.tablename`,
    [schemas, names],
  );
  for (const p of policies.rows) {
    out.set(
      `policy ${q(p.p)} on ${q(p.s)}.${q(p.t)}`,
      `${p.permissive} ${p.cmd} to ${[...p.roles].sort().join(',')} using (${p.qual ?? ''}) with check (${p.wc ?? ''})`,
    );
  }

  if (spec.audit) await snapshotAudit(db, spec.audit, out);

  const roleNames = specRoleNames(spec);
  const roles = await db.query<{ r: string; login: boolean; bypass: boolean; sup: boolean }>(
    `select rolname as r, rolcanlogin as login, rolbypassrls as bypass, rolsuper as sup
       from pg_catalog.pg_roles where rolname = any($1::text[])`,
    [roleNames],
  );
  for (const r of roles.rows) {
    out.set(`role ${q(r.r)}`, `${r.login ? 'login' : 'nologin'}, ${r.bypass ? 'bypassrls' : 'nobypassrls'}, ${r.sup ? 'superuser' : 'nosuperuser'}`);
  }

  const members = await db.query<{ r: string; m: string }>(
    `select r.rolname as r, m.rolname as m
       from pg_catalog.pg_auth_members am
       join pg_catalog.pg_roles r on r.oid = am.roleid
       join pg_catalog.pg_roles m on m.oid = am.member
      where r.rolname = any($1::text[]) or m.rolname = any($1::text[])`,
    [roleNames],
  );
  for (const m of members.rows) out.set(`member ${q(m.m)} of ${q(m.r)}`, 'granted');

  const grants = await db.query<{ s: string; t: string; g: string; privs: string[] }>(
    `select n.nspname as s, c.relname as t, r.rolname as g, array_agg(a.privilege_type::text order by a.privilege_type) as privs
       from pg_catalog.pg_class c
       join pg_catalog.pg_namespace n on n.oid = c.relnamespace
       cross join lateral aclexplode(c.relacl) a
       join pg_catalog.pg_roles r on r.oid = a.grantee
      where r.rolname = any($1::text[]) and c.relkind in ('r', 'p', 'v')
      group by 1, 2, 3`,
    [roleNames],
  );
  for (const g of grants.rows) out.set(`grant on ${q(g.s)}.${q(g.t)} to ${q(g.g)}`, [...g.privs].join(', '));

  const usage = await db.query<{ s: string; g: string; privs: string[] }>(
    `select n.nspname as s, r.rolname as g, array_agg(a.privilege_type::text order by a.privilege_type) as privs
       from pg_catalog.pg_namespace n
       cross join lateral aclexplode(n.nspacl) a
       join pg_catalog.pg_roles r on r.oid = a.grantee
      where r.rolname = any($1::text[])
      group by 1, 2`,
    [roleNames],
  );
  for (const u of usage.rows) out.set(`schema ${q(u.s)} to ${q(u.g)}`, [...u.privs].join(', '));
  return out;
}

/**
 * The audit trail: the audit table's owner, each audited table's trigger (enabled or not — `tgenabled`
 * 'D' is disabled — and its definition), each trigger function's security, owner, settings and body.
 */
async function snapshotAudit(db: Executor, audit: NonNullable<RlsSpec['audit']>, out: CatalogSnapshot): Promise<void> {
  const owner = await db.query<{ o: string }>(
    `select pg_catalog.pg_get_userbyid(c.relowner) as o
       from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where n.nspname = $1 and c.relname = $2`,
    [audit.schema, audit.table],
  );
  for (const r of owner.rows) out.set(`audit table ${q(audit.schema)}.${q(audit.table)}`, `owner ${q(r.o)}`);

  const triggers = await db.query<{ s: string; t: string; enabled: string; def: string }>(
    `select n.nspname as s, c.relname as t, tg.tgenabled as enabled, pg_catalog.pg_get_triggerdef(tg.oid) as def
       from pg_catalog.pg_trigger tg
       join pg_catalog.pg_class c on c.oid = tg.tgrelid
       join pg_catalog.pg_namespace n on n.oid = c.relnamespace
       join unnest($1::text[], $2::text[]) as a(s, n) on a.s = n.nspname and a.n = c.relname
      where tg.tgname = $3 and not tg.tgisinternal`,
    [audit.tables.map((t) => t.schema), audit.tables.map((t) => t.name), auditTriggerName],
  );
  const state: Record<string, string> = { O: 'enabled', D: 'DISABLED', R: 'enabled on replica only', A: 'enabled always' };
  for (const t of triggers.rows) {
    out.set(`audit trigger ${q(auditTriggerName)} on ${q(t.s)}.${q(t.t)}`, `${state[t.enabled] ?? t.enabled}: ${t.def}`);
  }

  const functions = await db.query<{ f: string; secdef: boolean; o: string; config: string[] | null; body: string; public: boolean }>(
    `select p.proname as f, p.prosecdef as secdef, pg_catalog.pg_get_userbyid(p.proowner) as o, p.proconfig as config,
            md5(p.prosrc) as body, coalesce(exists (select 1 from aclexplode(p.proacl) a where a.grantee = 0), p.proacl is null) as public
       from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
      where n.nspname = $1 and p.proname = any($2::text[])`,
    [audit.schema, audit.tables.map((t) => auditFunctionName(t))],
  );
  for (const f of functions.rows) {
    out.set(
      `audit function ${q(audit.schema)}.${q(f.f)}`,
      `${f.secdef ? 'security definer' : 'security invoker'}, owner ${q(f.o)}, ${(f.config ?? []).join(' ') || 'no settings'}, ${f.public ? 'executable by PUBLIC' : 'not executable by PUBLIC'}, body ${f.body}`,
    );
  }
}

export interface CatalogChange {
  kind: 'missing' | 'unexpected' | 'changed';
  /** e.g. `policy "apim_rls_select" on "app"."orders"` */
  object: string;
  /** what the spec wants (absent for `unexpected`) */
  expected?: string;
  /** what the catalog holds (absent for `missing`) */
  actual?: string;
}

/** Differences that turn `actual` into `expected`, sorted by object. */
export function diffSnapshots(actual: CatalogSnapshot, expected: CatalogSnapshot): CatalogChange[] {
  const out: CatalogChange[] = [];
  for (const [object, want] of expected) {
    const have = actual.get(object);
    if (have === undefined) out.push({ kind: 'missing', object, expected: want });
    else if (have !== want) out.push({ kind: 'changed', object, expected: want, actual: have });
  }
  for (const [object, have] of actual) if (!expected.has(object)) out.push({ kind: 'unexpected', object, actual: have });
  return out.sort((a, b) => (a.object < b.object ? -1 : a.object > b.object ? 1 : 0));
}
