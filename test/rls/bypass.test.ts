import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applySpec } from '../../rls/apply.js';
import type { Database, Executor } from '../../rls/db/types.js';
import { driftSpec } from '../../rls/drift.js';
import { emitMssql } from '../../rls/emit/mssql.js';
import type { RlsError } from '../../rls/errors.js';
import { emitPostgres } from '../../rls/emit/postgres.js';
import { parseSpec } from '../../rls/spec/load.js';
import { ordersSpec, ordersSpecInput, sampleSchemaSql, seedSample } from '../../rls/sample/index.js';
import { freshPgliteDatabase } from '../support/pglite.js';

const withBypass = parseSpec({
  ...structuredClone(ordersSpecInput),
  principals: [
    ...structuredClone(ordersSpecInput.principals),
    { name: 'dba-auditor', kind: 'user', roles: [] },
    { name: 'auditors', kind: 'group', roles: [] },
  ],
  bypass: ['dba-auditor', 'auditors'],
});

describe('bypass: none unless named', () => {
  it('the sample has no bypass in either dialect', () => {
    // IS_MEMBER only for the audit trail's readers (the auditor and the policy manager), never a bypass
    assert.doesNotMatch(emitMssql(ordersSpec).script, /USER_NAME\(\)|IS_MEMBER\(N'(?!apim_rls_auditor'|apim_rls_policy_manager')/);
    assert.match(emitMssql(ordersSpec).script, /IS_MEMBER\(N'apim_rls_auditor'\)/);
    assert.doesNotMatch(emitPostgres(ordersSpec).script, /BYPASSRLS;\s*END IF/);
  });

  it('T-SQL: named users by user name, groups by membership, in every predicate function', () => {
    const fns = emitMssql(withBypass).batches.filter((b) => b.startsWith('CREATE OR ALTER FUNCTION'));
    assert.ok(fns.length > 0);
    for (const f of fns) {
      assert.match(f, /\n {5}OR USER_NAME\(\) IN \(N'dba-auditor'\)\n {5}OR IS_MEMBER\(N'auditors'\) = 1;$/);
      assert.doesNotMatch(f, /func-apim-rls-orders/);
    }
  });

  it('PostgreSQL: the named principal gets BYPASSRLS, the application role never', async () => {
    const db: Database = await freshPgliteDatabase();
    try {
      await db.exec(`${sampleSchemaSql}; create role "dba-auditor" login;`);
      await seedSample(db);
      await applySpec(db, withBypass);
      const roles = await db.query<{ rolname: string; rolbypassrls: boolean }>(
        "select rolname, rolbypassrls from pg_roles where rolname in ('dba-auditor', 'apim_rls_app') order by 1",
      );
      assert.deepEqual(roles.rows, [
        { rolname: 'apim_rls_app', rolbypassrls: false },
        { rolname: 'dba-auditor', rolbypassrls: true },
      ]);
      assert.deepEqual(await driftSpec(db, withBypass), []);
      // a bypass taken away by hand is drift
      await db.exec('alter role "dba-auditor" nobypassrls');
      assert.deepEqual((await driftSpec(db, withBypass)).map((d) => `${d.kind} ${d.object}`), ['changed role "dba-auditor"']);
      await applySpec(db, withBypass);
      assert.deepEqual((await db.query("select rolbypassrls from pg_roles where rolname = 'dba-auditor'")).rows, [{ rolbypassrls: true }]);
      // the remove script takes the bypass away again
      await applySpec(db, withBypass, { remove: true });
      const after = await db.query<{ rolbypassrls: boolean }>("select rolbypassrls from pg_roles where rolname = 'dba-auditor'");
      assert.deepEqual(after.rows, [{ rolbypassrls: false }]);
    } finally {
      await db.close();
    }
  });
});

describe('apply on Azure SQL (a recording executor; no SQL Server runs here)', () => {
  it('checks drift first, then runs SET XACT_ABORT ON and every batch inside one transaction', async () => {
    const log: string[] = [];
    const exec = (where: string): Executor => ({
      dialect: 'mssql',
      async query<R>(sql: string, params: readonly unknown[] = []) {
        log.push(`${where} query ${sql.slice(0, 30)}`);
        if (sql.includes('sys.columns')) {
          // the catalog agrees with the spec: nvarchar(64) is 128 bytes
          const rows = [];
          for (let i = 0; i < params.length; i += 3) rows.push({ schema_name: params[i], table_name: params[i + 1], column_name: params[i + 2], type_name: 'nvarchar', max_length: 128 });
          return { rows: rows as R[], rowCount: rows.length };
        }
        return { rows: [] as R[], rowCount: 0 };
      },
      async exec(sql: string) {
        log.push(`${where} exec ${sql.split('\n')[0]}`);
      },
    });
    const db: Database = {
      ...exec('pool'),
      kind: 'mssql',
      async transaction(fn) {
        log.push('begin');
        const r = await fn(exec('tx'));
        log.push('commit');
        return r;
      },
      async close() {},
    };
    const result = await applySpec(db, ordersSpec);
    // 11 predicates of the two tables, the audit table's filter, the audit trigger
    assert.equal(result.changes.length, 13);
    const batches = emitMssql(ordersSpec).batches;
    assert.deepEqual(log, [
      'pool query SELECT v.[schema_name], v.[tab',
      'pool query SELECT SCHEMA_NAME(p.schema_id',
      'pool query SELECT OBJECT_SCHEMA_NAME(t.pa',
      'begin',
      'tx exec SET XACT_ABORT ON;',
      ...batches.map((b) => `tx exec ${b.split('\n')[0]}`),
      'commit',
    ]);
  });
});

describe('apply on Azure SQL refuses columns whose type differs from the predicate parameters (issue 14 item 2)', () => {
  it('a wider or differently typed column, or a missing one: RLS_SPEC_INVALID naming each, and no batch runs', async () => {
    const log: string[] = [];
    const types: Record<string, [string, number] | null> = { id: ['nvarchar', 128], tenant_id: ['nvarchar', 256], owner_oid: ['uniqueidentifier', 16] };
    const exec: Executor = {
      dialect: 'mssql',
      async query<R>(sql: string, params: readonly unknown[] = []) {
        log.push(sql.slice(0, 20));
        assert.match(sql, /LEFT JOIN sys\.columns AS c ON c\.object_id = OBJECT_ID\(QUOTENAME\(v\.\[schema_name\]\) \+ N'\.' \+ QUOTENAME\(v\.\[table_name\]\)\)/);
        const rows = [];
        for (let i = 0; i < params.length; i += 3) {
          const t = types[String(params[i + 2])] ?? null;
          rows.push({ schema_name: params[i], table_name: params[i + 1], column_name: params[i + 2], type_name: t?.[0] ?? null, max_length: t?.[1] ?? null });
        }
        return { rows: rows as R[], rowCount: rows.length };
      },
      async exec(sql: string) {
        log.push(sql);
      },
    };
    const db: Database = { ...exec, kind: 'mssql', transaction: async (fn) => fn(exec), close: async () => undefined };
    await assert.rejects(applySpec(db, ordersSpec), (e: unknown) => {
      const err = e as RlsError;
      return (
        err.code === 'RLS_SPEC_INVALID' &&
        err.issues.length === 2 &&
        /app\.orders\.tenant_id is nvarchar\(128\) in the database, but the predicate parameter would be nvarchar\(64\)/.test(err.message) &&
        /app\.orders\.owner_oid is uniqueidentifier in the database/.test(err.message)
      );
    });
    assert.equal(log.length, 1, 'only the catalog query ran');
  });
});

describe('principals on PostgreSQL', () => {
  it('an existing principal joins its application role; a revoked membership is drift; a missing one is only a notice', async () => {
    const db: Database = await freshPgliteDatabase();
    try {
      await db.exec(sampleSchemaSql);
      await applySpec(db, ordersSpec); // the principal does not exist yet: applied without it
      assert.equal((await db.query("select 1 from pg_roles where rolname = 'func-apim-rls-orders'")).rows.length, 0);
      await db.exec('create role "func-apim-rls-orders" login');
      const r = await applySpec(db, ordersSpec);
      assert.deepEqual(r.changes.map((c) => `${c.kind} ${c.object}`), ['missing member "func-apim-rls-orders" of "apim_rls_app"']);
      const member = await db.query("select pg_has_role('func-apim-rls-orders', 'apim_rls_app', 'member') as m");
      assert.deepEqual(member.rows, [{ m: true }]);
      await db.exec('revoke apim_rls_app from "func-apim-rls-orders"');
      assert.deepEqual((await driftSpec(db, ordersSpec)).map((c) => `${c.kind} ${c.object}`), ['missing member "func-apim-rls-orders" of "apim_rls_app"']);
    } finally {
      await db.close();
    }
  });
});
