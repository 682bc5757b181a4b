import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { applySpec } from '../../../rls/apply.js';
import { driftSpec } from '../../../rls/drift.js';
import { emitPostgres, emitPostgresRemove, pgPolicyNames } from '../../../rls/emit/postgres.js';
import { pgIdent } from '../../../rls/emit/quote.js';
import { ordersSpec } from '../../../rls/sample/index.js';
import { freshPgliteDatabase } from '../../support/pglite.js';
import { hostile, hostileSpec } from './hostile.js';

const golden = (name: string) => readFileSync(join(import.meta.dirname, '..', 'golden', name), 'utf8');

describe('PostgreSQL emitter', () => {
  it('matches the golden files (apply and remove)', () => {
    assert.equal(emitPostgres(ordersSpec).script, golden('orders.postgres.sql'));
    assert.equal(emitPostgresRemove(ordersSpec).script, golden('orders.postgres.remove.sql'));
  });

  it('enables and forces RLS, isolates tenants with a restrictive policy, reads keys with nullif and a cast', () => {
    const { statements, script } = emitPostgres(ordersSpec);
    for (const t of ['"app"."tenants"', '"app"."orders"']) {
      assert.ok(statements.includes(`ALTER TABLE ${t} ENABLE ROW LEVEL SECURITY;`));
      assert.ok(statements.includes(`ALTER TABLE ${t} FORCE ROW LEVEL SECURITY;`));
      const restrictive = statements.find((s) => s.startsWith(`CREATE POLICY "${pgPolicyNames.tenant}" ON ${t} AS RESTRICTIVE FOR ALL`));
      assert.ok(restrictive, `restrictive tenant policy on ${t}`);
      assert.match(restrictive, /USING \("(id|tenant_id)" = \(select nullif\(current_setting\('app\.tenant_id', true\), ''\)::text\)\)\n {2}WITH CHECK/);
      for (const name of Object.values(pgPolicyNames)) {
        const drop = statements.indexOf(`DROP POLICY IF EXISTS "${name}" ON ${t};`);
        assert.ok(drop >= 0 && statements[drop + 1]?.startsWith(`CREATE POLICY "${name}" ON ${t}`), `${name} dropped then created`);
      }
    }
    // every current_setting read is nullif(…, '') and cast, inside a scalar subquery (read once per query)
    const reads = script.match(/current_setting\(/g) ?? [];
    const wrapped = script.match(/\(select (nullif\(current_setting\('app\.[a-z_]+', true\), ''\)::(text|uuid|integer|bigint)|coalesce\(nullif\(current_setting\('app\.[a-z_]+', true\), ''\)::jsonb, '\[\]'::jsonb\))\)/g) ?? [];
    assert.ok(reads.length > 0);
    assert.equal(wrapped.length, reads.length);
    assert.match(script, /CREATE ROLE "apim_rls_app" NOLOGIN NOBYPASSRLS;/);
    assert.match(script, /GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE "app"\."orders" TO "apim_rls_app";/);
    assert.match(script, /^-- [^\n]*\nBEGIN;\n[\s\S]*\nCOMMIT;\n$/);
  });

  it('a table with narrowed block operations leaves the unchecked side open (tenant isolation still applies)', () => {
    const base = structuredClone(ordersSpec);
    const orders = base.tables[1];
    assert.ok(orders);
    orders.block = ['afterInsert'];
    const s = emitPostgres(base).statements;
    assert.ok(s.some((x) => x.startsWith('CREATE POLICY "apim_rls_update" ON "app"."orders" AS PERMISSIVE FOR UPDATE TO PUBLIC\n  USING (true)\n  WITH CHECK (true)')));
    assert.ok(s.some((x) => x.startsWith('CREATE POLICY "apim_rls_insert" ON "app"."orders"') && x.includes("?| ARRAY['Orders.Write']")));
  });

  it('hostile names are applied on PGlite as quoted identifiers and literals, and nothing else runs', async () => {
    const db = await freshPgliteDatabase();
    try {
      const t = `${pgIdent(hostile.schema)}.${pgIdent(hostile.table)}`;
      await db.exec(`create table public.y (a int); create table public.z (a int); insert into public.z values (1);
        create schema ${pgIdent(hostile.schema)};
        create table ${t} (${pgIdent(hostile.tenantColumn)} text not null, ${pgIdent(hostile.ownerColumn)} text not null);
        insert into ${t} values ('t1', 'o1'), ('t2', 'o2');`);
      const r = await applySpec(db, hostileSpec);
      assert.equal(r.committed, true);
      const tables = await db.query<{ n: string }>("select relname as n from pg_class where relname in ('y', 'z') order by 1");
      assert.deepEqual(tables.rows.map((x) => x.n), ['y', 'z']);
      assert.equal((await db.query<{ n: number }>('select count(*)::int as n from public.z')).rows[0]?.n, 1);
      const roles = await db.query<{ rolname: string }>('select rolname from pg_roles where rolname = any($1::text[]) order by 1', [[hostile.role, hostile.manager]]);
      assert.deepEqual(roles.rows.map((x) => x.rolname).sort(), [hostile.role, hostile.manager].sort());
      assert.deepEqual(await driftSpec(db, hostileSpec), []);
      // the role value with quotes and a backslash matches exactly through the literal
      const seen = await db.transaction(
        async (tx) => {
          await tx.query('select set_config($1, $2, true), set_config($3, $4, true), set_config($5, $6, true), set_config($7, $8, true)', [
            'role', hostile.role, 'app.tenant_id', 't1', 'app.user_oid', 'o1', 'app.roles', JSON.stringify([hostile.roleValue]),
          ]);
          return (await tx.query<{ n: number }>(`select count(*)::int as n from ${t}`)).rows[0]?.n;
        },
        { rollback: true },
      );
      assert.equal(seen, 1);
    } finally {
      await db.close();
    }
  });
});
