/**
 * One in-memory PGlite cluster for the tests of a file, handed out as if new each time
 * (docs/testing.md): a new cluster costs 0.5–1 s of CPU (loading the initdb dump, crash recovery),
 * wiping what a test made costs a few milliseconds.
 *
 * `lend()` gives the cluster with `close()` made a no-op, so code that closes its database (a
 * proof) can be handed it as its own. `wipe()` then drops every schema and role the cluster did not
 * have when it was made (objects, policies, triggers, grants with them), resets the session, and
 * checks that the cluster is as it was: same schemas, roles and ACLs, the same number of rows in
 * the catalogs that hold objects, privileges and settings, the same session settings. A test that
 * leaves anything else behind fails there, so no test sees another's writes.
 *
 * One difference stays, and no query can see it: a custom setting a borrower set (`app.tenant_id`)
 * reads '' instead of NULL through `current_setting(name, true)` afterwards — PostgreSQL keeps the
 * placeholder for the session, and it is not in pg_settings. Every SQL the product emits reads
 * such settings through `nullif(current_setting(name, true), '')` (rls/emit/postgres.ts), for which
 * the two are the same; a test of SQL that tells '' from NULL needs a cluster of its own.
 */
import type { PGlite } from '@electric-sql/pglite';
import { freshPglite } from './pglite.js';

/** What a fresh cluster looks like, as far as tests can change it. */
const fingerprintSql = `select json_build_object(
  'schemas', (select json_agg(nspname || ' ' || coalesce(nspacl::text, '') order by nspname) from pg_namespace),
  'roles', (select json_agg(rolname order by rolname) from pg_roles),
  'database', (select datacl::text from pg_database where datname = current_database()),
  'catalogs', json_build_object(
    'pg_class', (select count(*) from pg_class), 'pg_proc', (select count(*) from pg_proc),
    'pg_type', (select count(*) from pg_type), 'pg_constraint', (select count(*) from pg_constraint),
    'pg_trigger', (select count(*) from pg_trigger), 'pg_policy', (select count(*) from pg_policy),
    'pg_depend', (select count(*) from pg_depend), 'pg_shdepend', (select count(*) from pg_shdepend),
    'pg_default_acl', (select count(*) from pg_default_acl), 'pg_auth_members', (select count(*) from pg_auth_members),
    'pg_db_role_setting', (select count(*) from pg_db_role_setting), 'pg_extension', (select count(*) from pg_extension),
    'pg_event_trigger', (select count(*) from pg_event_trigger), 'pg_largeobject_metadata', (select count(*) from pg_largeobject_metadata)),
  'session', json_build_object('user', current_user, 'session_user', session_user,
    'settings', (select json_agg(name || '=' || setting order by name) from pg_settings where source = 'session'))
) as f`;

/**
 * Hands out the one cluster when it is free (wiped and checked first), else — a borrower still
 * has it — a new cluster of the borrower's own. Either way the borrower closes what it got.
 */
export interface PgliteLender {
  take(): Promise<PGlite>;
  close(): Promise<void>;
}

export function pgliteLender(): PgliteLender {
  let cluster: Promise<ReusedPglite> | undefined;
  let out = false;
  return {
    async take() {
      if (out) return freshPglite();
      out = true;
      try {
        const c = await (cluster ??= reusedPglite());
        try {
          await c.wipe();
        } catch (err) {
          // the test that fails here is the one after the test that left the cluster dirty (the
          // message says what is left); the next borrower gets a new cluster
          cluster = undefined;
          await c.close().catch(() => undefined);
          throw err;
        }
        const lent = c.lend();
        let returned = false;
        return new Proxy(lent, {
          get(target, key) {
            if (key === 'close') {
              return async () => {
                if (!returned) out = false;
                returned = true;
              };
            }
            return Reflect.get(target, key, target) as unknown;
          },
        });
      } catch (err) {
        out = false;
        throw err;
      }
    },
    async close() {
      if (cluster) await (await cluster).close();
    },
  };
}

export interface ReusedPglite {
  /** The cluster, its `close()` a no-op (the owner closes it). */
  lend(): PGlite;
  /** Drops what the last borrower made and checks the cluster is as new; throws when it is not. */
  wipe(): Promise<void>;
  close(): Promise<void>;
}

async function fingerprint(pg: PGlite): Promise<string> {
  const r = await pg.query<{ f: unknown }>(fingerprintSql);
  return JSON.stringify(r.rows[0]?.f);
}

export async function reusedPglite(): Promise<ReusedPglite> {
  const pg = await freshPglite();
  const schemas = (await pg.query<{ n: string }>('select nspname as n from pg_namespace')).rows.map((r) => r.n);
  const roles = (await pg.query<{ n: string }>('select rolname as n from pg_roles')).rows.map((r) => r.n);
  const fresh = await fingerprint(pg);
  const lent = new Proxy(pg, {
    get(target, key) {
      if (key === 'close') return async () => undefined;
      const v: unknown = Reflect.get(target, key, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return {
    lend: () => lent,
    async wipe() {
      // a borrower that failed half-way may have left a transaction open
      await pg.exec('rollback; reset role; reset session authorization; reset all;').catch(() => undefined);
      await pg.query(
        `do $$ declare r record; begin
           for r in select nspname from pg_namespace where nspname <> all($1::text[]) loop execute format('drop schema %I cascade', r.nspname); end loop;
           for r in select rolname from pg_roles where rolname <> all($2::text[]) loop execute format('drop owned by %I cascade', r.rolname); execute format('drop role %I', r.rolname); end loop;
         end $$`.replace('$1::text[]', `array[${schemas.map(lit).join(',')}]::text[]`).replace('$2::text[]', `array[${roles.map(lit).join(',')}]::text[]`),
      );
      const now = await fingerprint(pg);
      if (now !== fresh) throw new Error(`the reused PGlite cluster is not as new after a test:\n  fresh: ${fresh}\n  now:   ${now}`);
    },
    close: () => pg.close(),
  };
}

const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;
