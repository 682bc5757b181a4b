/**
 * `rls apply` of a spec with an audit trail by a login that is not a superuser but has CREATEROLE
 * (as the admin of Azure Database for PostgreSQL: "LOGIN, NOSUPERUSER, INHERIT, CREATEDB, CREATEROLE,
 * REPLICATION", https://learn.microsoft.com/training/modules/secure-azure-database-for-postgresql/3-describe-built-server-roles). A private
 * server: the roles are created by that login here, not by the superuser of the shared one.
 * Regression: the audit section failed with `must be member of role "apim_rls_audit_writer"`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { applySpec } from '../../rls/apply.js';
import { openDatabase } from '../../rls/db/open.js';
import type { Database } from '../../rls/db/types.js';
import { driftSpec } from '../../rls/drift.js';
import { sampleSchemaSql, sampleUsers, seedSample } from '../../rls/sample/index.js';
import { ordersSpec } from '../../rls/sample/spec.js';
import { adminQuery, databaseUrl, startPostgresServer, postgresUnavailableReason, type PostgresServer } from '../support/postgres-server.js';

const { alice } = sampleUsers;

describe('audit trail applied by a CREATEROLE login that is not a superuser', () => {
  let server: PostgresServer | null = null;
  before(async () => {
    server = await startPostgresServer();
  });
  after(async () => {
    await server?.stop();
  });

  const as = (login: string): string => {
    const u = new URL(databaseUrl((server as PostgresServer).url, 'orders'));
    u.username = login;
    return u.toString();
  };

  it('applies, re-applies without change, has no drift, audits a write, and removes; the writer keeps no member', async (t) => {
    if (!server) return t.skip(postgresUnavailableReason);
    await adminQuery(server.url, 'create role dbadmin login createrole');
    await adminQuery(server.url, 'create database orders owner dbadmin');
    await adminQuery(server.url, 'create role fnlogin login');
    const db: Database = await openDatabase(as('dbadmin'));
    try {
      await db.exec(sampleSchemaSql);
      await db.transaction(async (tx) => seedSample(tx));
      assert.equal((await applySpec(db, ordersSpec)).committed, true);
      assert.equal((await applySpec(db, ordersSpec)).committed, false);
      assert.deepEqual(await driftSpec(db, ordersSpec), []);
      const members = await db.query("select m.member::regrole::text as m from pg_catalog.pg_auth_members m where m.roleid = 'apim_rls_audit_writer'::regrole");
      assert.deepEqual(members.rows, []);

      await adminQuery(server.url, 'grant apim_rls_app to fnlogin');
      const app = await openDatabase(as('fnlogin'));
      try {
        const rows = await app.transaction(async (tx) => {
          await tx.query("select set_config('role', 'apim_rls_app', true), set_config('app.tenant_id', $1, true), set_config('app.user_oid', $2, true), set_config('app.roles', '[\"Orders.Write\"]', true), set_config('app.request_id', 'req-nonsuper', true)", [alice.tid, alice.oid]);
          await tx.query("insert into app.orders (tenant_id, owner_oid, item, quantity) values ($1, $2, 'audited', 1)", [alice.tid, alice.oid]);
          return (await tx.query("select operation, user_oid from audit.row_changes where request_id = 'req-nonsuper'")).rows;
        });
        assert.deepEqual(rows, [{ operation: 'insert', user_oid: alice.oid }]);
        await assert.rejects(app.query('set role apim_rls_audit_writer'), { code: '42501' });
      } finally {
        await app.close();
      }
      assert.equal((await applySpec(db, ordersSpec, { remove: true })).committed, true);
    } finally {
      await db.close();
    }
  });
});
