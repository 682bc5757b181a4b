/** 409 and 503 paths: a tenant that does not exist, and a database that cannot be reached. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createOpenIdKeySource } from '../../functions/identity/keys.js';
import { createRuntime, type Runtime } from '../../functions/runtime.js';
import { createPgPool, createPgSession } from '../../functions/session/pg.js';
import { call } from './support/call.js';
import { fixedNow, startTestIssuer, testConfig, type TestIssuer } from './support/issuer.js';
import { sampleBackends, type SampleBackend } from './support/sample-backends.js';

describe('conflicts and availability', () => {
  let t: TestIssuer;
  before(async () => {
    t = await startTestIssuer();
  });
  after(async () => {
    await t.close();
  });

  it('creating an order for a tenant that does not exist → 409 problem+json', async () => {
    const db = (await sampleBackends[0]!.open()) as SampleBackend;
    try {
      const config = testConfig(t.issuer);
      const runtime = await createRuntime({ config, session: db.session, keys: createOpenIdKeySource({ openidConfigUrl: config.openidConfigUrl }), now: fixedNow });
      const token = await t.issuer.mint({ sub: 'ghost', oid: 'oid-ghost', tid: 'nowhere', roles: ['Orders.Write'] });
      const r = await call(runtime, 'createOrder', { token, body: { item: 'x', quantity: 1 } });
      assert.equal(r.status, 409);
      assert.equal(r.headers['content-type'], 'application/problem+json');
      assert.equal((r.json as { code: string }).code, 'FN_301_CONFLICT');
      assert.doesNotMatch(r.body, /foreign key|tenants|violates/i, 'no database message');
    } finally {
      await db.close();
    }
  });

  describe('an unreachable database', () => {
    let runtime: Runtime;
    before(async () => {
      const config = testConfig(t.issuer);
      // nothing listens on port 1: every connection is refused
      const pool = createPgPool({ connectionString: 'postgres://app@127.0.0.1:1/none', max: 2, connectionTimeoutInMs: 2000 });
      runtime = await createRuntime({ config, session: createPgSession({ pool, role: 'apim_rls_app' }), keys: createOpenIdKeySource({ openidConfigUrl: config.openidConfigUrl }), now: fixedNow });
    });
    after(async () => {
      await runtime.deps.session.close();
    });

    it('GET /health → 503 with Retry-After', async () => {
      const r = await call(runtime, 'health');
      assert.equal(r.status, 503);
      assert.equal(r.headers['content-type'], 'application/problem+json');
      assert.ok(Number(r.headers['retry-after']) > 0);
    });

    it('GET /orders → 503 with Retry-After, audited as refused', async () => {
      const token = await t.issuer.mint({ sub: 'alice', oid: 'oid-a1', tid: 'contoso', roles: ['Orders.Read'] });
      const r = await call(runtime, 'listOrders', { token });
      assert.equal(r.status, 503);
      assert.equal((r.json as { code: string }).code, 'FN_503_UNAVAILABLE');
      assert.ok(Number(r.headers['retry-after']) > 0);
      const line = JSON.parse(r.logs[0]!.message) as { decision: string; reason: string };
      assert.equal(line.decision, 'refused');
      assert.match(line.reason, /^db_unavailable/);
    });
  });
});
