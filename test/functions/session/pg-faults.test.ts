/**
 * A PostgreSQL server that drops connections, through the real handler pipeline (issue 15,
 * item 1): the idle pooled connections terminated by `pg_terminate_backend`, then the server
 * stopped (`pg_ctl stop -m fast`, every session ends with 57P01) and started again while 12
 * requests are in flight. The process never sees an uncaught error (before the pool had an
 * 'error' listener, the first terminated idle client was an unhandled 'error' event: the host
 * exited), every request during the outage answers 503 problem+json with Retry-After, the
 * requests after the server's return succeed on the same pool, and the table holds every
 * acknowledged write exactly once and every unacknowledged one at most once, whole.
 *
 * This file keeps a private server (startPostgresServer), not a database on the run's shared one:
 * the outage is the real server going down — `pg_ctl stop -m fast` ends every session with 57P01
 * and refuses new connections ("the database system is shutting down", then connection refused)
 * — and stopping the shared server would take the other files' databases down with it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createOpenIdKeySource } from '../../../functions/identity/keys.js';
import { createRuntime, type Runtime } from '../../../functions/runtime.js';
import { createPgPool, createPgSession } from '../../../functions/session/pg.js';
import { openDatabase } from '../../../rls/db/index.js';
import { sampleUsers, setupSampleDatabase } from '../../../rls/sample/index.js';
import { adminQuery, postgresUnavailableReason, startPostgresServer, type PostgresServer } from '../../support/postgres-server.js';
import { call, type CallResult } from '../support/call.js';
import { fixedNow, startTestIssuer, testConfig, type TestIssuer } from '../support/issuer.js';

const appName = 'apim-rls-fault-test';
const inFlight = 12;

interface Outcome {
  kind: 'create' | 'list';
  item: string | null;
  quantity: number;
  tid: string;
  oid: string;
  startedAt: number;
  endedAt: number;
  r: CallResult;
}

describe('a PostgreSQL server that drops connections (through the handler pipeline)', () => {
  let server: PostgresServer | null = null;
  let t: TestIssuer;
  let runtime: Runtime;
  const writers = [sampleUsers.alice, sampleUsers.carol];
  const tokens: string[] = [];
  const uncaught: unknown[] = [];
  const onUncaught = (err: unknown) => void uncaught.push(err);

  const admin = (text: string) => adminQuery(server!.url, text);

  before(async () => {
    process.on('uncaughtException', onUncaught);
    server = await startPostgresServer();
    if (!server) return;
    const setup = await openDatabase(server.url);
    await setupSampleDatabase(setup);
    await setup.close();
    t = await startTestIssuer();
    const config = testConfig(t.issuer);
    const pool = createPgPool({ connectionString: `${server.url}?application_name=${appName}`, max: 4, connectionTimeoutInMs: 2000 });
    runtime = await createRuntime({ config, session: createPgSession({ pool, role: 'apim_rls_app' }), keys: createOpenIdKeySource({ openidConfigUrl: config.openidConfigUrl }), now: fixedNow });
    for (const w of writers) tokens.push(await t.issuer.mint({ sub: w.sub, oid: w.oid, tid: w.tid, roles: ['Orders.Read', 'Orders.Write'] }));
  });
  after(async () => {
    await runtime?.deps.session.close();
    await t?.close();
    await server?.stop();
    process.removeListener('uncaughtException', onUncaught);
  });

  let n = 0;
  async function one(i: number, prefix = 'warm'): Promise<Outcome> {
    const w = writers[i % writers.length]!;
    const token = tokens[i % writers.length]!;
    const startedAt = performance.now();
    if (i % 2 === 0) {
      const item = `${prefix}-${n++}`;
      const quantity = (n % 50) + 1;
      const r = await call(runtime, 'createOrder', { token, body: { item, quantity } });
      return { kind: 'create', item, quantity, tid: w.tid, oid: w.oid, startedAt, endedAt: performance.now(), r };
    }
    const r = await call(runtime, 'listOrders', { token, query: { limit: '5' } });
    return { kind: 'list', item: null, quantity: 0, tid: w.tid, oid: w.oid, startedAt, endedAt: performance.now(), r };
  }

  function assertAnswered(o: Outcome): void {
    const { r } = o;
    if (r.status === 503) {
      assert.equal(r.headers['content-type'], 'application/problem+json', r.body);
      assert.ok(Number(r.headers['retry-after']) > 0, 'Retry-After');
      assert.match((r.json as { code: string }).code, /^FN_5\d\d_/);
      assert.doesNotMatch(r.body, /terminat|ECONN|postgres/i, 'no driver or database message');
    } else {
      assert.equal(r.status, o.kind === 'create' ? 201 : 200, r.body);
    }
  }

  it('terminated idle connections: no uncaught error, and the next requests succeed on the same pool', async (tt) => {
    if (!server) return tt.skip(postgresUnavailableReason);
    // fill the pool with idle connections
    const warm = await Promise.all(Array.from({ length: 8 }, (_, i) => one(i)));
    for (const o of warm) assert.equal(o.r.status, o.kind === 'create' ? 201 : 200, o.r.body);
    const killed = await admin(`select pg_terminate_backend(pid) as ok from pg_stat_activity where application_name = '${appName}'`);
    assert.ok(killed.length >= 1, 'the pool had idle connections to terminate');
    await sleep(200); // the server's FATAL and the close reach the idle clients
    assert.deepEqual(uncaught, [], 'no uncaught error (the host process would have exited)');
    const next = await Promise.all(Array.from({ length: 8 }, (_, i) => one(i)));
    for (const o of next) assert.equal(o.r.status, o.kind === 'create' ? 201 : 200, o.r.body);
  });

  it(`the server stopped and started again with ${inFlight} requests in flight: 503 + Retry-After meanwhile, recovery without restart, no write lost or doubled`, { timeout: 90_000 }, async (tt) => {
    if (!server) return tt.skip(postgresUnavailableReason);
    const outcomes: Outcome[] = [];
    let running = true;
    let i = 0;
    const workers = Array.from({ length: inFlight }, async () => {
      // bounded in count as well as by the phases below
      while (running && i < 20_000) outcomes.push(await one(i++, 'outage'));
    });
    await sleep(400);
    await server.stopServer('fast');
    const outageFrom = performance.now();
    await sleep(1200);
    const outageTo = performance.now();
    await server.startServer();
    const backAt = performance.now();
    await sleep(1000);
    running = false;
    await Promise.all(workers);

    assert.deepEqual(uncaught, [], 'no uncaught error (the host process would have exited)');
    for (const o of outcomes) assertAnswered(o);
    const before = outcomes.filter((o) => o.endedAt < outageFrom - 50);
    const during = outcomes.filter((o) => o.startedAt >= outageFrom && o.endedAt <= outageTo);
    const afterReturn = outcomes.filter((o) => o.startedAt >= backAt);
    assert.ok(before.some((o) => o.r.status < 300), 'requests succeeded before the outage');
    assert.ok(during.length >= inFlight, `requests answered during the outage: ${during.length}`);
    for (const o of during) assert.equal(o.r.status, 503, `during the outage: ${o.r.body}`);
    assert.ok(afterReturn.length >= inFlight, `requests after the server's return: ${afterReturn.length}`);
    for (const o of afterReturn) assert.equal(o.r.status, o.kind === 'create' ? 201 : 200, `after the server's return: ${o.r.body}`);

    // every acknowledged write is there exactly once; an unacknowledged one at most once, whole
    const rows = await admin("select id::int8::text as id, item, tenant_id, owner_oid, quantity from app.orders where item like 'outage-%'");
    const byItem = new Map<string, Record<string, unknown>[]>();
    for (const row of rows) byItem.set(String(row['item']), [...(byItem.get(String(row['item'])) ?? []), row]);
    const sent = new Map(outcomes.filter((o) => o.kind === 'create').map((o) => [o.item!, o]));
    let acknowledged = 0;
    let unacknowledged = 0;
    for (const item of byItem.keys()) assert.ok(sent.has(item), `a row nobody sent: ${item}`);
    for (const o of sent.values()) {
      const found = byItem.get(o.item!) ?? [];
      if (o.r.status === 201) {
        acknowledged++;
        assert.equal(found.length, 1, `acknowledged ${o.item} is stored once`);
        assert.equal(String(found[0]!['id']), String((o.r.json as { id: number }).id));
      } else {
        unacknowledged++;
        assert.ok(found.length <= 1, `unacknowledged ${o.item} is stored at most once`);
      }
      for (const row of found) {
        assert.equal(row['tenant_id'], o.tid);
        assert.equal(row['owner_oid'], o.oid);
        assert.equal(Number(row['quantity']), o.quantity);
      }
    }
    assert.ok(acknowledged > 0 && unacknowledged > 0, `writes: ${acknowledged} acknowledged, ${unacknowledged} refused`);
  });
});
