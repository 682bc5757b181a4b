/**
 * One in-memory PGlite cluster for the tests of a file, handed out as if new each time
 * (docs/testing.md): a new cluster costs 0.5–1 s of CPU (loading the initdb dump, crash recovery),
 * wiping what a test made costs a few milliseconds.
 *
 * `lend()` gives the cluster with `close()` made a no-op, so code that closes its database (a
 * proof) can be handed it as its own. `wipe()` then rolls back what is open, resets the session
 * (`DISCARD ALL`: cursors, prepared statements, LISTEN, advisory locks, temp tables, settings),
 * drops every schema and role the cluster did not have when it was made (objects, policies,
 * triggers, grants with them), and checks that the cluster is as it was (`fingerprintSql`): the
 * row count of every catalog table, the rows of information_schema's and public's tables, every
 * ACL of the catalogs, whole role and database rows, the comments, the session's state. A test
 * that leaves anything else behind fails there (the message names what differs), so no test sees
 * another's writes. It costs ~25 ms a borrower (4.8 ms before the check was made generic;
 * medians of one run on the shared 2-core machine under load), most of it hashing pg_description.
 *
 * One difference stays, and no query can see it: a custom setting a borrower set (`app.tenant_id`)
 * reads '' instead of NULL through `current_setting(name, true)` afterwards — PostgreSQL keeps the
 * placeholder for the session, and it is not in pg_settings. Every SQL the product emits reads
 * such settings through `nullif(current_setting(name, true), '')` (rls/emit/postgres.ts), for which
 * the two are the same; a test of SQL that tells '' from NULL needs a cluster of its own.
 */
import type { PGlite } from '@electric-sql/pglite';
import { freshPglite } from './pglite.js';

/**
 * What a fresh cluster looks like, as far as tests can change it — generic rather than a list of
 * catalogs: built once per cluster by `fingerprintSql()` from pg_class and pg_attribute.
 * - the row count of every ordinary table (relkind 'r') of pg_catalog, and a hash of the rows of
 *   every table of information_schema and public (an INSERT into `information_schema.sql_features`
 *   is seen, so is an UPDATE of a row);
 * - a hash of every ACL column of the catalogs (every column of type aclitem[]: `proacl`, `relacl`,
 *   `attacl`, `initprivs`, …), each entry keyed by its row's primary key, so a REVOKE on a
 *   built-in (`pg_catalog.now()`) is seen;
 * - the schemas; whole pg_roles rows (connection limit, attributes, per-role settings; the password
 *   only as an md5 of pg_authid's, so no secret reaches the message); pg_database rows (without the
 *   xid horizons VACUUM moves); a hash of pg_description and pg_shdescription (a changed COMMENT);
 * - the session: user, settings, prepared statements, cursors, LISTEN channels, advisory locks.
 */
async function fingerprintSql(pg: PGlite): Promise<string> {
  const tables = (
    await pg.query<{ nsp: string; rel: string }>(
      `select n.nspname as nsp, c.relname as rel from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind = 'r' and n.nspname in ('pg_catalog', 'information_schema', 'public') order by 1, 2`,
    )
  ).rows;
  const acls = (
    await pg.query<{ rel: string; col: string; pk: string[] | null }>(
      `select c.relname as rel, a.attname as col,
              (select array_agg(pa.attname::text order by k.n) from pg_index i
                 cross join lateral unnest(i.indkey::int2[]) with ordinality k(att, n)
                 join pg_attribute pa on pa.attrelid = i.indrelid and pa.attnum = k.att
                where i.indrelid = c.oid and i.indisprimary) as pk
         from pg_attribute a join pg_class c on c.oid = a.attrelid
        where a.atttypid = 'aclitem[]'::regtype and c.relkind = 'r' and c.relnamespace = 'pg_catalog'::regnamespace
          and a.attnum > 0 and not a.attisdropped
        order by 1, 2`,
    )
  ).rows;
  const counts = tables
    .filter((t) => t.nsp === 'pg_catalog')
    .map((t) => `select ${lit(t.rel)} as k, (select count(*) from pg_catalog.${id(t.rel)})::text as v`);
  const contents = tables
    .filter((t) => t.nsp !== 'pg_catalog')
    .map((t) => `select ${lit(`${t.nsp}.${t.rel}`)} as k, ${rowsHash(`${id(t.nsp)}.${id(t.rel)}`)} as v`);
  const aclHashes = acls.map((a) => {
    // keyed by the row's primary key (every catalog with an ACL has one); else by the whole row
    const key = a.pk?.length ? `concat_ws(',', ${a.pk.map((k) => `t.${id(k)}`).join(', ')})` : 't::text';
    return `select ${lit(`${a.rel}.${a.col}`)} as k, (select md5(coalesce(string_agg(${key} || '=' || t.${id(a.col)}::text, ';' order by ${key}), ''))
      from pg_catalog.${id(a.rel)} t where t.${id(a.col)} is not null) as v`;
  });
  return `select json_build_object(
  'schemas', (select json_agg(nspname order by nspname) from pg_namespace),
  'roles', (select json_agg(to_jsonb(r) - 'rolpassword' || jsonb_build_object('password_md5', (select md5(a.rolpassword) from pg_authid a where a.oid = r.oid)) order by r.rolname) from pg_roles r),
  'databases', (select json_agg(to_jsonb(d) - 'datfrozenxid' - 'datminmxid' order by d.datname) from pg_database d),
  'descriptions', json_build_object('pg_description', ${rowsHash('pg_catalog.pg_description')}, 'pg_shdescription', ${rowsHash('pg_catalog.pg_shdescription')}),
  'acls', ${object(aclHashes)},
  'catalogs', ${object(counts)},
  'tables', ${object(contents)},
  'session', json_build_object('user', current_user, 'session_user', session_user,
    'settings', (select json_agg(name || '=' || setting order by name) from pg_settings where source = 'session'),
    'prepared', (select json_agg(name order by name) from pg_prepared_statements),
    'cursors', (select json_agg(name order by name) from pg_cursors),
    'listening', (select json_agg(c order by c) from pg_listening_channels() c),
    'advisory_locks', (select count(*) from pg_locks where locktype = 'advisory' and pid = pg_backend_pid()))
) as f`;
}

/** A JSON object of the (k, v) rows of the selects (json_build_object takes at most 100 arguments). */
const object = (selects: string[]) =>
  selects.length ? `(select json_object_agg(k, v order by k) from (${selects.join('\nunion all ')}) s)` : `'{}'::json`;

/**
 * An md5 of a table's rows, '' hashed when it is empty. Sorted by the row's text under the "C"
 * collation: a stable order whatever the heap order (an UPDATE moves a row), and 3x cheaper than
 * the default collation (pg_description, ~5,000 rows: 13 ms instead of 40).
 */
const rowsHash = (table: string) =>
  `(select md5(coalesce(string_agg(t::text, E'\\n' order by t::text collate "C"), '')) from ${table} t)`;

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

async function fingerprint(pg: PGlite, sql: string): Promise<string> {
  const r = await pg.query<{ f: unknown }>(sql);
  return JSON.stringify(r.rows[0]?.f);
}

export async function reusedPglite(): Promise<ReusedPglite> {
  const pg = await freshPglite();
  const schemas = (await pg.query<{ n: string }>('select nspname as n from pg_namespace')).rows.map((r) => r.n);
  const roles = (await pg.query<{ n: string }>('select rolname as n from pg_roles')).rows.map((r) => r.n);
  const sql = await fingerprintSql(pg);
  const fresh = await fingerprint(pg, sql);
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
      // on its own: DISCARD ALL cannot run in a transaction block, which a multi-statement exec is.
      // It closes cursors (WITH HOLD too), deallocates prepared statements, UNLISTENs, releases
      // session advisory locks and drops temp tables (https://www.postgresql.org/docs/current/sql-discard.html)
      await pg.exec('discard all');
      await pg.query(
        `do $$ declare r record; begin
           for r in select nspname from pg_namespace where nspname <> all($1::text[]) loop execute format('drop schema %I cascade', r.nspname); end loop;
           for r in select rolname from pg_roles where rolname <> all($2::text[]) loop execute format('drop owned by %I cascade', r.rolname); execute format('drop role %I', r.rolname); end loop;
         end $$`.replace('$1::text[]', `array[${schemas.map(lit).join(',')}]::text[]`).replace('$2::text[]', `array[${roles.map(lit).join(',')}]::text[]`),
      );
      const now = await fingerprint(pg, sql);
      if (now !== fresh) throw new Error(`the reused PGlite cluster is not as new after a test:\n${differences(fresh, now).join('\n')}`);
    },
    close: () => pg.close(),
  };
}

/** What differs between two fingerprints, one line per key (two levels deep), fresh then now. */
function differences(fresh: string, now: string): string[] {
  const a = JSON.parse(fresh) as Record<string, unknown>;
  const b = JSON.parse(now) as Record<string, unknown>;
  const out: string[] = [];
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const x = a[k];
    const y = b[k];
    if (JSON.stringify(x) === JSON.stringify(y)) continue;
    if (isObject(x) && isObject(y)) {
      for (const j of new Set([...Object.keys(x), ...Object.keys(y)])) {
        if (JSON.stringify(x[j]) !== JSON.stringify(y[j])) out.push(`  ${k}.${j}: fresh ${JSON.stringify(x[j])}, now ${JSON.stringify(y[j])}`);
      }
    } else out.push(`  ${k}: fresh ${JSON.stringify(x)}, now ${JSON.stringify(y)}`);
  }
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;
const id = (s: string) => `"${s.replace(/"/g, '""')}"`;
