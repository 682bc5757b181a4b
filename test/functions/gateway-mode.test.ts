/**
 * Gateway-token mode end to end on the sample (PGlite): the gateway's managed-identity token
 * vouches for the forwarded X-Identity-* headers, exactly as APIM's identity chain sends them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createOpenIdKeySource } from '../../functions/identity/keys.js';
import { createRuntime, type Runtime } from '../../functions/runtime.js';
import { sampleUsers } from '../../rls/sample/index.js';
import { call } from './support/call.js';
import { fixedNow, gatewayClientId, startTestIssuer, testConfig, type TestIssuer } from './support/issuer.js';
import { sampleBackends, type SampleBackend } from './support/sample-backends.js';
import { visibleItemsFor } from './support/sample-expectations.js';

describe('gateway-token mode on the sample', () => {
  let t: TestIssuer;
  let db: SampleBackend;
  let runtime: Runtime;
  let gatewayToken: string;
  const { alice, bob, carol } = sampleUsers;
  const forwarded = (u: { oid: string; tid: string; sub: string }, roles: string[]) => ({
    'X-Identity-Tenant-Id': encodeURIComponent(u.tid),
    'X-Identity-Object-Id': encodeURIComponent(u.oid),
    'X-Identity-Subject': encodeURIComponent(u.sub),
    'X-Identity-Roles': encodeURIComponent(JSON.stringify(roles)),
  });

  before(async () => {
    t = await startTestIssuer();
    db = (await sampleBackends[0]!.open()) as SampleBackend;
    const config = testConfig(t.issuer, { APIM_RLS_AUTH_MODE: 'gateway-token' });
    runtime = await createRuntime({ config, session: db.session, keys: createOpenIdKeySource({ openidConfigUrl: config.openidConfigUrl }), now: fixedNow });
    gatewayToken = (await t.issuer.credential(gatewayClientId).getToken('api://apim-rls-orders/.default'))!.token;
  });
  after(async () => {
    await db?.close();
    await t?.close();
  });

  it('the forwarded identity decides the rows, proven by the gateway token', async () => {
    for (const [u, roles] of [[alice, ['Orders.Read']], [bob, ['Orders.Admin']], [carol, ['Orders.Read', 'Orders.Write']]] as const) {
      const r = await call(runtime, 'listOrders', { token: gatewayToken, headers: forwarded(u, [...roles]) });
      assert.equal(r.status, 200, r.body);
      const items = (r.json as { items: { item: string }[] }).items.map((o) => o.item).sort();
      assert.deepEqual(items, visibleItemsFor({ oid: u.oid, tid: u.tid, roles }));
      const line = JSON.parse(r.logs[0]!.message) as { proof: string; oid: string; tid: string };
      assert.deepEqual([line.proof, line.oid, line.tid], ['gateway-token', u.oid, u.tid]);
    }
  });

  it('the same headers without the gateway token → 401; with a caller token instead → 401', async () => {
    const none = await call(runtime, 'listOrders', { headers: forwarded(bob, ['Orders.Admin']) });
    assert.equal(none.status, 401);
    const callerToken = await t.issuer.mint({ sub: alice.sub, oid: alice.oid, tid: alice.tid, roles: ['Orders.Read'] });
    const wrong = await call(runtime, 'listOrders', { token: callerToken, headers: forwarded(bob, ['Orders.Admin']) });
    assert.equal(wrong.status, 401);
    assert.equal((wrong.json as { code: string }).code, 'FN_203_GATEWAY_NOT_ALLOWED');
  });

  it('a gateway token without forwarded identity → 403 before the database', async () => {
    const r = await call(runtime, 'listOrders', { token: gatewayToken });
    assert.equal(r.status, 403);
    assert.equal((r.json as { code: string }).code, 'FN_210_CLAIM_MISSING');
  });
});
