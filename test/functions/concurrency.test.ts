/**
 * ≥ 2,000 interleaved requests from 4 tenants (5 identities) through a pool of at most 4
 * connections: no response ever holds another tenant's row (checked per response), and the
 * database's own view of the session (GET /me) always matches the caller.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createOpenIdKeySource } from '../../functions/identity/keys.js';
import { createRuntime, type Runtime } from '../../functions/runtime.js';
import { sampleUsers } from '../../rls/sample/index.js';
import { call } from './support/call.js';
import { fixedNow, startTestIssuer, testConfig, type TestIssuer } from './support/issuer.js';
import { sampleBackends, type SampleBackend } from './support/sample-backends.js';

const callers = [
  { ...sampleUsers.alice, admin: false },
  { ...sampleUsers.bob, admin: true },
  { ...sampleUsers.carol, admin: false },
  { ...sampleUsers.dave, admin: false },
  { ...sampleUsers.erin, admin: false },
];
const totalRequests = 2400;
const inFlight = 48;

for (const backend of sampleBackends) {
  describe(`concurrency on ${backend.name} (pool of 4)`, () => {
    let t: TestIssuer;
    let db: SampleBackend | { skip: string };
    let runtime: Runtime;
    const tokens = new Map<string, string>();

    before(async () => {
      t = await startTestIssuer();
      db = await backend.open({ poolMax: 4 });
      if ('skip' in db) return;
      const config = testConfig(t.issuer);
      runtime = await createRuntime({ config, session: db.session, keys: createOpenIdKeySource({ openidConfigUrl: config.openidConfigUrl }), now: fixedNow });
      for (const c of callers) {
        tokens.set(c.name, await t.issuer.mint({ sub: c.sub, oid: c.oid, tid: c.tid, roles: c.admin ? ['Orders.Admin'] : [...c.roles] }));
      }
    });
    after(async () => {
      if (db && !('skip' in db)) await db.close();
      await t?.close();
    });

    it(`${totalRequests} interleaved requests: no response holds another tenant's row`, async (tt) => {
      if ('skip' in db) return tt.skip(db.skip);
      const ids = (await db.adminQuery('select id::int4 as id from app.orders order by id')).map((r) => Number(r['id']));
      const tenantsSeen = new Set<string>();
      let checkedRows = 0;
      let n = 0;
      const one = async (i: number) => {
        const c = callers[i % callers.length]!;
        const token = tokens.get(c.name)!;
        const kind = Math.floor(i / callers.length) % 4;
        tenantsSeen.add(c.tid);
        if (kind === 0) {
          const r = await call(runtime, 'listOrders', { token, query: { limit: '100' } });
          assert.equal(r.status, 200, r.body);
          const items = (r.json as { items: { tenantId: string; ownerOid: string }[] }).items;
          assert.ok(items.length > 0, `${c.name} sees its rows`);
          for (const o of items) {
            assert.equal(o.tenantId, c.tid, `request ${i}: ${c.name} got a row of ${o.tenantId}`);
            if (!c.admin) assert.equal(o.ownerOid, c.oid);
            checkedRows++;
          }
        } else if (kind === 1) {
          const id = ids[i % ids.length]!;
          const r = await call(runtime, 'getOrder', { token, params: { id: String(id) } });
          assert.ok(r.status === 200 || r.status === 404, r.body);
          if (r.status === 200) {
            const o = r.json as { tenantId: string; ownerOid: string };
            assert.equal(o.tenantId, c.tid, `request ${i}: ${c.name} read order ${id} of ${o.tenantId}`);
            if (!c.admin) assert.equal(o.ownerOid, c.oid);
            checkedRows++;
          }
        } else if (kind === 2) {
          const r = await call(runtime, 'getMe', { token, headers: { 'x-request-id': `cc-${i}` } });
          assert.equal(r.status, 200, r.body);
          const me = r.json as { database: { tenantId: string; userOid: string; requestId: string } };
          assert.equal(me.database.tenantId, c.tid, `request ${i}: session of ${c.name} said tenant ${me.database.tenantId}`);
          assert.equal(me.database.userOid, c.oid);
          assert.equal(me.database.requestId, `cc-${i}`);
        } else {
          if (c.admin) {
            // an admin cannot insert: its refusal must not leave identity behind either
            const r = await call(runtime, 'createOrder', { token, body: { item: `cc-${i}`, quantity: 1 } });
            assert.equal(r.status, 403);
          } else {
            const r = await call(runtime, 'createOrder', { token, body: { item: `cc-${i}`, quantity: 1 } });
            assert.equal(r.status, 201, r.body);
            const o = r.json as { tenantId: string; ownerOid: string };
            assert.equal(o.tenantId, c.tid);
            assert.equal(o.ownerOid, c.oid);
            checkedRows++;
          }
        }
        n++;
      };
      // keep `inFlight` requests in flight at all times, far more than the 4 connections
      let next = 0;
      const workers = Array.from({ length: inFlight }, async () => {
        while (next < totalRequests) await one(next++);
      });
      await Promise.all(workers);
      assert.equal(n, totalRequests);
      assert.equal(tenantsSeen.size, 4);
      assert.ok(checkedRows > totalRequests / 2, `rows checked: ${checkedRows}`);
      // every created row landed in its caller's tenant, owned by the caller
      const created = await db.adminQuery("select item, tenant_id, owner_oid from app.orders where item like 'cc-%'");
      for (const row of created) {
        const i = Number(String(row['item']).slice(3));
        const c = callers[i % callers.length]!;
        assert.equal(row['tenant_id'], c.tid);
        assert.equal(row['owner_oid'], c.oid);
      }
    });
  });
}
