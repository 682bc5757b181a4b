/**
 * No request waits without bound (issue 15, item 2), on a real PostgreSQL server: a table lock
 * held past the request's deadline in another session → the POST answers 503
 * FN_510_DEADLINE_EXCEEDED with Retry-After and, once the lock is gone, its row is NOT there
 * (before the deadline existed the POST waited for the lock and committed). The pool checkout
 * and a server that cannot answer at all are bounded too; the deadline costs no round trip.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { HttpError } from '../../../functions/errors.js';
import { createOpenIdKeySource } from '../../../functions/identity/keys.js';
import { createRuntime, type Runtime } from '../../../functions/runtime.js';
import { countRoundTrips } from '../../../functions/session/pg-round-trips.js';
import { createPgPool, createPgSession } from '../../../functions/session/pg.js';
import { sql, text } from '../../../functions/session/statement.js';
import { openDatabase } from '../../../rls/db/index.js';
import { sampleUsers, setupSampleDatabase } from '../../../rls/sample/index.js';
import { adminQuery, createTestDatabase, postgresUnavailableReason, type TestDatabase } from '../../support/postgres-server.js';
import { call } from '../support/call.js';
import { fixedNow, startTestIssuer, testConfig, type TestIssuer } from '../support/issuer.js';

const { alice } = sampleUsers;
const who = [{ key: 'tenant_id', value: alice.tid }, { key: 'user_oid', value: alice.oid }];
const isDeadline = (stage: RegExp) => (e: unknown) => e instanceof HttpError && e.code === 'FN_510_DEADLINE_EXCEEDED' && e.status === 503 && (e.retryAfterSeconds ?? 0) > 0 && stage.test(e.reason);

describe('the request deadline on a PostgreSQL server', () => {
  let database: TestDatabase | null = null;
  let t: TestIssuer;
  let runtime: Runtime;
  let writer: string;
  const pools: pg.Pool[] = [];

  const admin = (text: string) => adminQuery(database!.url, text);

  /**
   * Holds ACCESS EXCLUSIVE on app.orders in its own session until `release()` — or for at most
   * `maxMs` (so that without a deadline the blocked request finishes and the test fails instead
   * of hanging).
   */
  async function lockOrders(maxMs = 4000): Promise<{ release(): Promise<void> }> {
    const c = new pg.Client({ connectionString: database!.url });
    await c.connect();
    await c.query('begin; lock table app.orders in access exclusive mode');
    let released: Promise<void> | null = null;
    const release = () => (released ??= c.query('rollback').then(() => c.end()));
    const timer = setTimeout(() => void release(), maxMs);
    return {
      async release() {
        clearTimeout(timer);
        await release();
      },
    };
  }

  function pool(name: string, max: number): pg.Pool {
    const p = createPgPool({ connectionString: `${database!.url}?application_name=${name}`, max });
    pools.push(p);
    return p;
  }

  before(async () => {
    database = await createTestDatabase();
    if (!database) return;
    const setup = await openDatabase(database.url);
    await setupSampleDatabase(setup);
    await setup.close();
    t = await startTestIssuer();
    const config = testConfig(t.issuer, { APIM_RLS_REQUEST_DEADLINE_MS: '1000' });
    runtime = await createRuntime({ config, session: createPgSession({ pool: pool('deadline-handlers', 2), role: 'apim_rls_app' }), keys: createOpenIdKeySource({ openidConfigUrl: config.openidConfigUrl }), now: fixedNow });
    writer = await t.issuer.mint({ sub: alice.sub, oid: alice.oid, tid: alice.tid, roles: ['Orders.Read', 'Orders.Write'] });
  });
  after(async () => {
    for (const p of pools) await p.end().catch(() => undefined);
    await t?.close();
    await database?.drop();
  });

  it('a POST behind a table lock held past the deadline → 503 FN_510 + Retry-After, and its row is never written', { timeout: 30_000 }, async (tt) => {
    if (!database) return tt.skip(postgresUnavailableReason);
    const lock = await lockOrders();
    let r;
    try {
      r = await call(runtime, 'createOrder', { token: writer, body: { item: 'behind-the-lock', quantity: 3 } });
    } finally {
      await lock.release();
    }
    assert.equal(r.status, 503, r.body);
    assert.equal(r.headers['content-type'], 'application/problem+json');
    assert.ok(Number(r.headers['retry-after']) > 0);
    assert.equal((r.json as { code: string }).code, 'FN_510_DEADLINE_EXCEEDED');
    assert.doesNotMatch(r.body, /statement timeout|cancel/i, 'no database message');
    const audit = JSON.parse(r.logs[0]!.message) as { reason: string; decision: string };
    assert.equal(audit.decision, 'refused');
    assert.equal(audit.reason, 'deadline:57014');
    // the lock is gone: had the insert only been waiting, it would land now
    await sleep(300);
    assert.deepEqual(await admin("select id from app.orders where item = 'behind-the-lock'"), []);
    // the same pool serves the next request, and the session's timeout did not stay on the connection
    const ok = await call(runtime, 'createOrder', { token: writer, body: { item: 'after-the-lock', quantity: 1 } });
    assert.equal(ok.status, 201, ok.body);
    assert.equal((await admin("select count(*)::int4 as n from app.orders where item = 'after-the-lock'"))[0]!['n'], 1);
  });

  it('a GET behind the lock → 503 FN_510 too', { timeout: 30_000 }, async (tt) => {
    if (!database) return tt.skip(postgresUnavailableReason);
    const lock = await lockOrders();
    try {
      const r = await call(runtime, 'listOrders', { token: writer });
      assert.equal(r.status, 503, r.body);
      assert.equal((r.json as { code: string }).code, 'FN_510_DEADLINE_EXCEEDED');
    } finally {
      await lock.release();
    }
  });

  it('bound mode (four round trips): the same deadline, the write rolled back', { timeout: 30_000 }, async (tt) => {
    if (!database) return tt.skip(postgresUnavailableReason);
    const session = createPgSession({ pool: pool('deadline-bound', 1), role: 'apim_rls_app', mode: 'bound' });
    const insert = sql`insert into app.orders (tenant_id, owner_oid, item, quantity) values (nullif(current_setting('app.tenant_id', true), ''), nullif(current_setting('app.user_oid', true), ''), ${text('bound-behind-the-lock')}, 1)`;
    const lock = await lockOrders();
    try {
      await assert.rejects(session.run(who, insert, { timeoutInMs: 500 }), isDeadline(/^deadline:57014$/));
    } finally {
      await lock.release();
    }
    await sleep(300);
    assert.deepEqual(await admin("select id from app.orders where item = 'bound-behind-the-lock'"), []);
    const r = await session.run(who, sql`select current_setting('statement_timeout') as st`);
    assert.equal(r.rows[0]!['st'], '0', 'the timeout was transaction-local');
  });

  it('the pool checkout is bounded by the time left: a request waiting for the only connection → FN_510 pool_checkout', { timeout: 30_000 }, async (tt) => {
    if (!database) return tt.skip(postgresUnavailableReason);
    const session = createPgSession({ pool: pool('deadline-checkout', 1), role: 'apim_rls_app' });
    const lock = await lockOrders();
    try {
      const holder = session.run(who, sql`select count(*) from app.orders`, { timeoutInMs: 1500 });
      await sleep(100);
      await assert.rejects(session.run(who, sql`select 1`, { timeoutInMs: 300 }), isDeadline(/^deadline:pool_checkout$/));
      await assert.rejects(holder, isDeadline(/^deadline:57014$/));
    } finally {
      await lock.release();
    }
    // a deadline already spent never reaches the database
    await assert.rejects(session.run(who, sql`select 1`, { timeoutInMs: 0 }), isDeadline(/^deadline:before_query$/));
  });

  it('a server that cannot answer at all (its backend frozen): the client gives up → FN_510 client_timeout, the connection dropped', { timeout: 30_000 }, async (tt) => {
    if (!database) return tt.skip(postgresUnavailableReason);
    const p = pool('deadline-frozen', 1);
    const session = createPgSession({ pool: p, role: 'apim_rls_app' });
    await session.run(who, sql`select 1`, { timeoutInMs: 2000 });
    const [backend] = await admin("select pid from pg_stat_activity where application_name = 'deadline-frozen' and datname = current_database()");
    const pid = Number(backend!['pid']);
    process.kill(pid, 'SIGSTOP');
    // thawed after 5 s whatever happens (a frozen backend would keep the server from stopping)
    const thaw = setTimeout(() => process.kill(pid, 'SIGCONT'), 5000);
    try {
      await assert.rejects(session.run(who, sql`select 1`, { timeoutInMs: 200 }), isDeadline(/^deadline:client_timeout$/));
      assert.equal(p.totalCount, 0, 'the frozen connection left the pool');
      // health's query (no identity, one extended-protocol statement) is bounded by the client alone
      const fresh = await session.runWithoutIdentity(sql`select 1 as ok`, { timeoutInMs: 2000 });
      assert.equal(fresh.rows[0]!['ok'], 1);
    } finally {
      clearTimeout(thaw);
      process.kill(pid, 'SIGCONT');
    }
  });

  it('the deadline travels in the identity round trip: still one round trip per request', async (tt) => {
    if (!database) return tt.skip(postgresUnavailableReason);
    const p = pool('deadline-round-trips', 1);
    const counter = countRoundTrips(p);
    const session = createPgSession({ pool: p, role: 'apim_rls_app' });
    const readBack = sql`select current_setting('statement_timeout') as st, nullif(current_setting('app.tenant_id', true), '') as tenant`;
    // the first request on the connection prepares its statement (one round trip, once)
    await session.run(who, readBack, { timeoutInMs: 10_000 });
    counter.reset();
    for (let i = 0; i < 5; i++) {
      const r = await session.run(who, readBack, { timeoutInMs: 10_000 });
      assert.equal(r.rows[0]!['tenant'], alice.tid);
      assert.match(String(r.rows[0]!['st']), /^\d+ms$|^\d+s$/, 'the statement ran under a timeout');
    }
    assert.equal(counter.count, 5);
  });
});
