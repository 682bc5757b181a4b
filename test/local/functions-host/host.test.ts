import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createOpenIdKeySource } from '../../../functions/identity/keys.js';
import { defaultFunctionsPort, startFunctionsHost, type FunctionsHost } from '../../../local/functions-host/index.js';
import { sampleUsers } from '../../../rls/sample/index.js';
import { fixedNow, startTestIssuer, testConfig, type TestIssuer } from '../../functions/support/issuer.js';
import { sampleBackends, type SampleBackend } from '../../functions/support/sample-backends.js';

describe('local Functions host', () => {
  let t: TestIssuer;
  let db: SampleBackend;
  let host: FunctionsHost;
  const lines: string[] = [];
  let token: string;

  before(async () => {
    t = await startTestIssuer();
    const opened = await sampleBackends[0]!.open(); // PGlite: always available
    if ('skip' in opened) throw new Error(opened.skip);
    db = opened;
    const config = testConfig(t.issuer);
    host = await startFunctionsHost({
      port: 0,
      config,
      session: db.session,
      keys: createOpenIdKeySource({ openidConfigUrl: config.openidConfigUrl }),
      now: fixedNow,
      log: (_level, fn, message) => void lines.push(`${fn} ${message}`),
    });
    const a = sampleUsers.alice;
    token = await t.issuer.mint({ sub: a.sub, oid: a.oid, tid: a.tid, roles: [...a.roles] });
  });
  after(async () => {
    await host?.close();
    await db?.close();
    await t?.close();
  });

  it('defaults to port 7071 like func start', () => {
    assert.equal(defaultFunctionsPort, 7071);
  });

  it('routes /api/... to the same handlers, with route parameters', async () => {
    const health = await fetch(`${host.url}/api/health`);
    assert.equal(health.status, 200);
    const list = await fetch(`${host.url}/api/orders?limit=2`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(list.status, 200);
    const page = (await list.json()) as { items: { id: number; tenantId: string }[]; next: string | null };
    assert.equal(page.items.length, 2);
    assert.ok(page.next);
    const one = await fetch(`${host.url}/api/orders/${page.items[0]!.id}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(one.status, 200);
    assert.equal(((await one.json()) as { id: number }).id, page.items[0]!.id);
    const created = await fetch(`${host.url}/api/orders`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ item: 'via-host', quantity: 2 }) });
    assert.equal(created.status, 201);
    const id = ((await created.json()) as { id: number }).id;
    const patched = await fetch(`${host.url}/api/orders/${id}`, { method: 'PATCH', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ quantity: 3 }) });
    assert.equal(patched.status, 200);
    const deleted = await fetch(`${host.url}/api/orders/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    assert.equal(deleted.status, 204);
    assert.ok(lines.some((l) => l.startsWith('deleteOrder ') && l.includes('"decision":"allowed"')), 'audit lines reach the host logger');
  });

  it('refusals are problem+json: 401, 404 for an unknown route, 405 with Allow', async () => {
    const r401 = await fetch(`${host.url}/api/orders`);
    assert.equal(r401.status, 401);
    assert.equal(r401.headers.get('content-type'), 'application/problem+json');
    const r404 = await fetch(`${host.url}/api/nope`);
    assert.equal(r404.status, 404);
    assert.equal(((await r404.json()) as { code: string }).code, 'FN_111_ROUTE_NOT_FOUND');
    const r405 = await fetch(`${host.url}/api/orders`, { method: 'PUT' });
    assert.equal(r405.status, 405);
    assert.equal(r405.headers.get('allow'), 'GET, POST');
    const badEncoding = await fetch(`${host.url}/api/orders/%E0%A4%A`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(badEncoding.status, 400);
    const outside = await fetch(`${host.url}/orders`);
    assert.equal(outside.status, 404, 'only under the api route prefix');
  });

  it('stops reading a body over the limit and answers 413', async () => {
    const big = Buffer.alloc(200_000, 'a');
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${host.url}/api/orders`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' || e.code === 'ECONNRESET' ? undefined : reject(e)));
      req.end(big);
    });
    assert.equal(status, 413);
  });
});
