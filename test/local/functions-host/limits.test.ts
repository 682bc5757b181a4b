/**
 * The local Functions host enforces host.json (functionTimeout, maxConcurrentRequests,
 * maxOutstandingRequests) as the real host does, and stops gracefully (issue 15, item 4).
 * Requests are held in flight by a session whose statements wait for the test to release them.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createOpenIdKeySource } from '../../../functions/identity/keys.js';
import type { IdentitySession } from '../../../functions/session/types.js';
import { formatTimeSpan, startFunctionsHost, type FunctionsHost } from '../../../local/functions-host/index.js';
import { hostLimitsFrom, parseTimeSpan, type HostLimits } from '../../../local/functions-host/host-json.js';
import { pgliteTemplateFile } from '../../../rls/db/pglite-cluster.js';
import { sampleUsers } from '../../../rls/sample/index.js';
import { freshPglite } from '../../support/pglite.js';
import { fixedNow, startTestIssuer, testConfig, type TestIssuer } from '../../functions/support/issuer.js';
import { sampleBackends, type SampleBackend } from '../../functions/support/sample-backends.js';
import { refused } from '../../support/net.js';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

/** A session whose statements wait at a gate the test opens; counts how many run at once. */
function gatedSession(inner: IdentitySession) {
  let open = false;
  let waiters: (() => void)[] = [];
  const state = { running: 0, maxRunning: 0, entered: 0 };
  const wait = async () => {
    state.entered++;
    state.running++;
    state.maxRunning = Math.max(state.maxRunning, state.running);
    try {
      if (!open) await new Promise<void>((r) => waiters.push(r));
    } finally {
      state.running--;
    }
  };
  const session: IdentitySession = {
    dialect: inner.dialect,
    async run(identity, statement, options) {
      await wait();
      return inner.run(identity, statement, options);
    },
    async runWithoutIdentity(statement, options) {
      await wait();
      return inner.runWithoutIdentity(statement, options);
    },
    close: () => Promise.resolve(),
  };
  return {
    session,
    state,
    release() {
      open = true;
      for (const w of waiters) w();
      waiters = [];
    },
    close() {
      open = false;
    },
  };
}

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.fail(`timed out waiting for ${what}`);
}

/** One request on its own connection (no agent pooling): status, headers, body, or the socket error. */
function get(url: string, token: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = httpRequest(url, { headers: { authorization: `Bearer ${token}` }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', (e) => resolve({ error: e.message }));
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    req.end();
  });
}

describe('host.json limits', () => {
  it('reads TimeSpans and the http limits as the host does', () => {
    assert.equal(parseTimeSpan('00:00:30'), 30_000);
    assert.equal(parseTimeSpan('01:02:03'), 3_723_000);
    assert.equal(parseTimeSpan('1.00:00:00'), 86_400_000);
    assert.equal(parseTimeSpan('00:00:00.5'), 500);
    assert.equal(parseTimeSpan('-1'), null);
    for (const bad of ['30', '00:60:00', 'soon', '00:00:00']) assert.throws(() => parseTimeSpan(bad), TypeError, bad);
    assert.deepEqual(hostLimitsFrom(JSON.parse(readFileSync(`${repoRoot}/host.json`, 'utf8'))), { functionTimeoutInMs: 30_000, maxConcurrentRequests: 100, maxOutstandingRequests: 200 });
    assert.deepEqual(hostLimitsFrom({ version: '2.0' }), { functionTimeoutInMs: 300_000, maxConcurrentRequests: null, maxOutstandingRequests: null });
    assert.deepEqual(hostLimitsFrom({ extensions: { http: { maxConcurrentRequests: -1, maxOutstandingRequests: 5 } } }).maxOutstandingRequests, 5);
    assert.throws(() => hostLimitsFrom({ extensions: { http: { maxOutstandingRequests: 0 } } }), /positive integer or -1/);
    assert.equal(formatTimeSpan(30_000), '00:00:30');
    assert.equal(formatTimeSpan(200), '00:00:00.2000000');
    assert.equal(formatTimeSpan(90_061_000), '1.01:01:01');
  });
});

describe('local Functions host: limits, timeout and graceful stop', () => {
  let t: TestIssuer;
  let db: SampleBackend;
  let token: string;
  const lines: string[] = [];

  before(async () => {
    t = await startTestIssuer();
    const opened = await sampleBackends[0]!.open(); // PGlite: always available
    if ('skip' in opened) throw new Error(opened.skip);
    db = opened;
    const a = sampleUsers.alice;
    token = await t.issuer.mint({ sub: a.sub, oid: a.oid, tid: a.tid, roles: [...a.roles] });
  });
  after(async () => {
    await db?.close();
    await t?.close();
  });

  async function host(limits: HostLimits, session: IdentitySession, settings: Record<string, string> = {}): Promise<FunctionsHost> {
    const config = testConfig(t.issuer, settings);
    return startFunctionsHost({ port: 0, config, session, limits, keys: createOpenIdKeySource({ openidConfigUrl: config.openidConfigUrl }), now: fixedNow, log: (level, fn, m) => void lines.push(`${level} ${fn} ${m}`) });
  }

  it('maxOutstandingRequests: the request over the limit → 429 with no body and X-FUNCTION-SCALEOUT; maxConcurrentRequests: the others wait their turn', async () => {
    const gate = gatedSession(db.session);
    const h = await host({ functionTimeoutInMs: null, maxConcurrentRequests: 1, maxOutstandingRequests: 2 }, gate.session);
    try {
      const first = get(`${h.url}/api/orders`, token);
      await until(() => gate.state.entered === 1, 'the first request to execute');
      const second = get(`${h.url}/api/orders`, token); // queued behind the first
      await until(() => h.inFlight === 2, 'the second request to be queued');
      const third = await get(`${h.url}/api/orders`, token);
      assert.ok(!('error' in third), JSON.stringify(third));
      assert.equal(third.status, 429);
      assert.equal(third.headers['x-function-scaleout'], '1');
      assert.equal(third.body, '');
      assert.equal(gate.state.entered, 1, 'the queued request has not started');
      gate.release();
      const [a, b] = await Promise.all([first, second]);
      assert.ok(!('error' in a) && !('error' in b));
      assert.equal(a.status, 200);
      assert.equal(b.status, 200);
      assert.equal(gate.state.maxRunning, 1, 'never more than maxConcurrentRequests at once');
    } finally {
      gate.release();
      await h.close(1000);
    }
  });

  it('functionTimeout: the invocation past it → 500 with no body and the host\'s timeout line; the host keeps serving', async () => {
    const gate = gatedSession(db.session);
    const h = await host({ functionTimeoutInMs: 200, maxConcurrentRequests: null, maxOutstandingRequests: null }, gate.session);
    try {
      lines.length = 0;
      const r = await get(`${h.url}/api/orders`, token);
      assert.ok(!('error' in r), JSON.stringify(r));
      assert.equal(r.status, 500);
      assert.equal(r.body, '');
      assert.ok(lines.includes('error listOrders Timeout value of 00:00:00.2000000 was exceeded by function: Functions.listOrders'), lines.join('\n'));
      gate.release();
      const ok = await get(`${h.url}/api/orders`, token);
      assert.ok(!('error' in ok) && ok.status === 200);
    } finally {
      gate.release();
      await h.close(1000);
    }
  });

  it('close: new connections are refused at once, the request in flight completes with its real answer, then close resolves', async () => {
    const gate = gatedSession(db.session);
    const h = await host({ functionTimeoutInMs: null, maxConcurrentRequests: null, maxOutstandingRequests: null }, gate.session);
    const port = h.port;
    const inFlight = get(`${h.url}/api/orders`, token);
    await until(() => gate.state.entered === 1, 'the request to execute');
    let closed = false;
    const closing = h.close(10_000).then((r) => {
      closed = true;
      return r;
    });
    await until(() => refused(port), 'the listener to close');
    assert.equal(closed, false, 'close waits for the request in flight');
    gate.release();
    const r = await inFlight;
    assert.ok(!('error' in r), JSON.stringify(r));
    assert.equal(r.status, 200);
    assert.ok(Array.isArray((JSON.parse(r.body) as { items: unknown[] }).items));
    assert.equal(r.headers['connection'], 'close');
    assert.deepEqual(await closing, { cutOff: 0 });
  });

  it('close: past the grace period the request left is cut off and counted', async () => {
    const gate = gatedSession(db.session);
    const h = await host({ functionTimeoutInMs: null, maxConcurrentRequests: null, maxOutstandingRequests: null }, gate.session);
    const inFlight = get(`${h.url}/api/orders`, token);
    await until(() => gate.state.entered === 1, 'the request to execute');
    assert.deepEqual(await h.close(100), { cutOff: 1 });
    const r = await inFlight;
    assert.ok('error' in r, 'the connection was closed without an answer');
    gate.release();
  });

  it('close ends the database connections the host opened (a new cluster from the given PGlite cache, not initdb)', async () => {
    // a cache whose dump holds a table initdb never makes: the host's cluster has it only if it came from there
    const cache = mkdtempSync(join(tmpdir(), 'apim-rls-host-cache-'));
    try {
      const marked = await freshPglite();
      await marked.exec('create table marker_host_cache (x int)');
      writeFileSync(pgliteTemplateFile(cache), Buffer.from(await (await marked.dumpDataDir('none')).arrayBuffer()), { mode: 0o600 });
      await marked.close();
      const config = testConfig(t.issuer, { APIM_RLS_DB: 'pglite:memory' });
      const h = await startFunctionsHost({ port: 0, config, pgliteCache: cache, limits: { functionTimeoutInMs: null, maxConcurrentRequests: null, maxOutstandingRequests: null }, keys: createOpenIdKeySource({ openidConfigUrl: config.openidConfigUrl }), log: () => undefined });
      const session = h.runtime.deps.session;
      let marker: number;
      try {
        marker = (await session.runWithoutIdentity({ parts: ["select relname from pg_class where relname = 'marker_host_cache'"], params: [] })).rows.length;
      } finally {
        await h.close(1000);
      }
      assert.equal(marker, 1);
      await assert.rejects(session.runWithoutIdentity({ parts: ['select 1 as one'], params: [] }));
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });
});
