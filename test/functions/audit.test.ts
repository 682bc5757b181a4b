/**
 * The database audit trail through the HTTP handlers (issue 16 item 1), on PGlite and on the
 * PostgreSQL server: each write a caller makes leaves exactly one audit row with the caller's
 * identity, request id and trace id (the host's trace context → the request span → the
 * trace_id session key); a retried create (same request id) adds none; a refused or failed write
 * leaves none. Without a trace context the trace id is NULL.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createOpenIdKeySource } from '../../functions/identity/keys.js';
import { createRuntime, type Runtime } from '../../functions/runtime.js';
import { sampleUsers } from '../../rls/sample/index.js';
import { call } from './support/call.js';
import { fixedNow, startTestIssuer, testConfig, type TestIssuer } from './support/issuer.js';
import { sampleBackends, type SampleBackend } from './support/sample-backends.js';

const { alice, carol } = sampleUsers;

for (const backend of sampleBackends) {
  describe(`audit rows through the handlers on ${backend.name}`, () => {
    let t: TestIssuer;
    let db: SampleBackend | { skip: string };
    let runtime: Runtime;
    const tokens: Record<'readerA' | 'writerA' | 'writerB', string> = { readerA: '', writerA: '', writerB: '' };
    const skip = () => ('skip' in db ? db.skip : null);
    // unique per run: the server's database is shared with other tests
    const rid = (name: string) => `audit-${name}-${randomUUID()}`;

    before(async () => {
      t = await startTestIssuer();
      db = await backend.open();
      if ('skip' in db) return;
      const config = testConfig(t.issuer);
      runtime = await createRuntime({ config, session: db.session, keys: createOpenIdKeySource({ openidConfigUrl: config.openidConfigUrl }), now: fixedNow });
      tokens.readerA = await t.issuer.mint({ sub: alice.sub, oid: alice.oid, tid: alice.tid, roles: ['Orders.Read'] });
      tokens.writerA = await t.issuer.mint({ sub: alice.sub, oid: alice.oid, tid: alice.tid, roles: ['Orders.Read', 'Orders.Write'] });
      tokens.writerB = await t.issuer.mint({ sub: carol.sub, oid: carol.oid, tid: carol.tid, roles: ['Orders.Read', 'Orders.Write'] });
    });
    after(async () => {
      if (db && !('skip' in db)) await db.close();
      await t?.close();
    });

    /** The audit rows of one request, read as the superuser (row security does not apply to it). */
    const auditOf = async (requestId: string) => {
      if ('skip' in db) return [];
      return db.adminQuery(
        'select tenant_id, user_oid, roles, request_id, trace_id, table_schema, table_name, operation, row_key from audit.row_changes where request_id = $1 order by audit_id',
        [requestId],
      );
    };

    it('POST, PATCH and DELETE each leave exactly one audit row with the caller\'s identity, request id and trace id; a retried POST none more', async (tt) => {
      if (skip()) return tt.skip(skip()!);
      const post = rid('post');
      // the host hands the worker the trace it continues (InvocationContext.traceContext)
      const traceId = randomUUID().replace(/-/g, '');
      const traceContext = { traceParent: `00-${traceId}-00f067aa0ba902b7-01` };
      const created = await call(runtime, 'createOrder', { token: tokens.writerA, headers: { 'x-request-id': post }, traceContext, body: { item: 'audited', quantity: 1 } });
      assert.equal(created.status, 201, created.body);
      const id = (created.json as { id: number }).id;
      const identity = { tenant_id: alice.tid, user_oid: alice.oid, roles: ['Orders.Read', 'Orders.Write'], table_schema: 'app', table_name: 'orders', trace_id: traceId };
      assert.deepEqual(await auditOf(post), [{ ...identity, request_id: post, operation: 'insert', row_key: { id: Number(id) } }]);
      // the retry of the same request finds the first row (idempotent create) and changes nothing
      const retry = await call(runtime, 'createOrder', { token: tokens.writerA, headers: { 'x-request-id': post }, traceContext, body: { item: 'audited', quantity: 1 } });
      assert.ok(retry.status === 200 || retry.status === 201, retry.body);
      assert.equal((await auditOf(post)).length, 1);

      const patch = rid('patch');
      const updated = await call(runtime, 'updateOrder', { token: tokens.writerA, headers: { 'x-request-id': patch }, traceContext, params: { id: String(id) }, body: { quantity: 2 } });
      assert.equal(updated.status, 200, updated.body);
      assert.deepEqual(await auditOf(patch), [{ ...identity, request_id: patch, operation: 'update', row_key: { id: Number(id) } }]);

      const del = rid('delete');
      // without a trace context: no trace id, the column stays NULL
      const deleted = await call(runtime, 'deleteOrder', { token: tokens.writerA, headers: { 'x-request-id': del }, params: { id: String(id) } });
      assert.equal(deleted.status, 204, deleted.body);
      assert.deepEqual(await auditOf(del), [{ ...identity, trace_id: null, request_id: del, operation: 'delete', row_key: { id: Number(id) } }]);
    });

    it('a refused or failed write leaves no audit row', async (tt) => {
      if (skip()) return tt.skip(skip()!);
      const created = await call(runtime, 'createOrder', { token: tokens.writerA, body: { item: 'not-yours', quantity: 1 } });
      assert.equal(created.status, 201, created.body);
      const id = String((created.json as { id: number }).id);
      const attempts: [string, Parameters<typeof call>[1], Parameters<typeof call>[2], number][] = [
        ['reader-post', 'createOrder', { token: tokens.readerA, body: { item: 'x', quantity: 1 } }, 403],
        ['other-tenant-patch', 'updateOrder', { token: tokens.writerB, params: { id }, body: { quantity: 5 } }, 404],
        ['other-tenant-delete', 'deleteOrder', { token: tokens.writerB, params: { id } }, 404],
        ['invalid-body', 'createOrder', { token: tokens.writerA, body: { item: 'x', quantity: 0 } }, 422],
        ['no-token', 'createOrder', { body: { item: 'x', quantity: 1 } }, 401],
      ];
      for (const [name, op, options, status] of attempts) {
        const requestId = rid(name);
        const r = await call(runtime, op, { ...options, headers: { 'x-request-id': requestId } });
        assert.equal(r.status, status, `${name}: ${r.body}`);
        assert.deepEqual(await auditOf(requestId), [], name);
      }
    });
  });
}
