/**
 * GET /api/health on a PostgreSQL server, with the pools the runtime builds from the settings:
 * its bound covers the query itself (a frozen server → 503, not a wait), and it has its own
 * connection (a request pool whose only connection is busy does not hold it up).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { createOpenIdKeySource } from '../../../functions/identity/keys.js';
import { createRuntime, type Runtime } from '../../../functions/runtime.js';
import { openDatabase } from '../../../rls/db/index.js';
import { sampleUsers, setupSampleDatabase } from '../../../rls/sample/index.js';
import { adminQuery, createTestDatabase, postgresUnavailableReason, type TestDatabase } from '../../support/postgres-server.js';
import { call } from '../support/call.js';
import { fixedNow, startTestIssuer, testConfig, type TestIssuer } from '../support/issuer.js';

describe('GET /api/health on a PostgreSQL server', () => {
  let database: TestDatabase | null = null;
  let t: TestIssuer;
  let runtime: Runtime;
  let reader: string;

  const admin = (text: string) => adminQuery(database!.url, text);

  before(async () => {
    database = await createTestDatabase();
    if (!database) return;
    const setup = await openDatabase(database.url);
    await setupSampleDatabase(setup);
    await setup.close();
    t = await startTestIssuer();
    // the runtime opens its own pools from the settings: one request connection, a 10 s deadline
    const config = testConfig(t.issuer, { APIM_RLS_DB: database.url, APIM_RLS_DB_POOL_MAX: '1', APIM_RLS_REQUEST_DEADLINE_MS: '10000' });
    runtime = await createRuntime({ config, keys: createOpenIdKeySource({ openidConfigUrl: config.openidConfigUrl }), now: fixedNow });
    const { alice } = sampleUsers;
    reader = await t.issuer.mint({ sub: alice.sub, oid: alice.oid, tid: alice.tid, roles: ['Orders.Read'] });
  });
  after(async () => {
    await runtime?.close();
    await t?.close();
    await database?.drop();
  });

  it('answers while the only request connection is busy: health has its own', { timeout: 30_000 }, async (tt) => {
    if (!database) return tt.skip(postgresUnavailableReason);
    const lock = new pg.Client({ connectionString: database.url });
    await lock.connect();
    await lock.query('begin; lock table app.orders in access exclusive mode');
    // released after health answered — or after 8 s, so that a health waiting for the request
    // connection ends (and fails the test) instead of hanging
    const unlock = setTimeout(() => void lock.query('rollback'), 8000);
    let listDone = false;
    try {
      const list = call(runtime, 'listOrders', { token: reader }).then((r) => ((listDone = true), r));
      await sleep(200); // the list now holds the request pool's only connection, waiting for the lock
      const h = await call(runtime, 'health');
      assert.equal(h.status, 200, h.body);
      assert.equal((h.json as { database: { reachable: boolean } }).database.reachable, true);
      assert.equal(listDone, false, 'health answered while the request connection was still busy');
      await lock.query('rollback');
      assert.equal((await list).status, 200);
    } finally {
      clearTimeout(unlock);
      await lock.query('rollback').catch(() => undefined);
      await lock.end();
    }
  });

  it('a server that does not answer the query: 503 with Retry-After within its bound (5 s), then 200 again', { timeout: 30_000 }, async (tt) => {
    if (!database) return tt.skip(postgresUnavailableReason);
    assert.equal((await call(runtime, 'health')).status, 200);
    const [backend] = await admin("select pid from pg_stat_activity where application_name = 'apim-rls-health' and datname = current_database()");
    assert.ok(backend, "health's own connection");
    const pid = Number(backend['pid']);
    process.kill(pid, 'SIGSTOP');
    // thawed after 12 s whatever happens (without a bound, health would answer 200 only then)
    const thaw = setTimeout(() => process.kill(pid, 'SIGCONT'), 12_000);
    try {
      const h = await call(runtime, 'health');
      assert.equal(h.status, 503, h.body);
      assert.equal(h.headers['content-type'], 'application/problem+json');
      assert.ok(Number(h.headers['retry-after']) > 0);
      assert.match(JSON.parse(h.logs[0]!.message).reason as string, /^deadline:client_timeout$/);
    } finally {
      clearTimeout(thaw);
      process.kill(pid, 'SIGCONT');
    }
    // the frozen connection was dropped: the next check connects anew
    assert.equal((await call(runtime, 'health')).status, 200);
  });
});
