import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack, stackBackendResource, stackGatewayClientId, type Stack } from '../../../local/stack.js';
import { sampleUsers } from '../../../rls/sample/index.js';
// the run's cache of a fresh initdb's dump, as npm start uses one (test/support/pglite.ts): not an initdb per stack
import { testPgliteCache } from '../../support/pglite.js';

describe('local stack', () => {
  let stack: Stack;
  let dir: string;
  const logs: string[] = [];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'apim-rls-stack-'));
    stack = await startStack({ gatewayPort: 0, issuerPort: 0, functionsPort: 0, issuerKeyDir: join(dir, 'keys'), pgliteCache: testPgliteCache(), functionsLog: (_l, _f, m) => logs.push(m) });
  });
  after(async () => {
    await stack?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const token = async (user: { sub: string; oid: string; tid: string; roles: readonly string[] }) =>
    `Bearer ${await stack.issuer.mint({ sub: user.sub, oid: user.oid, tid: user.tid, roles: [...user.roles] })}`;
  type Order = { id: number; tenantId: string; ownerOid: string; item: string };

  it('serves a caller through gateway → Functions → PGlite with row-level security', async () => {
    assert.deepEqual(stack.parts.map((p) => p.name), ['issuer', 'functions', 'gateway']);
    assert.equal(stack.entryUrl, stack.gateway.url);
    const alice = sampleUsers.alice;
    const res = await fetch(stack.gateway.url + '/orders', { headers: { authorization: await token(alice) } });
    assert.equal(res.status, 200, await res.clone().text());
    const mine = ((await res.json()) as { items: Order[] }).items;
    assert.ok(mine.length > 0, 'alice sees her seeded orders');
    for (const o of mine) assert.deepEqual([o.tenantId, o.ownerOid], ['contoso', alice.oid]);

    const admin = await fetch(stack.gateway.url + '/orders', { headers: { authorization: await token(sampleUsers.bob) } });
    const all = ((await admin.json()) as { items: Order[] }).items;
    assert.ok(all.every((o) => o.tenantId === 'contoso'));
    assert.ok(all.some((o) => o.ownerOid !== alice.oid), 'the admin sees other contoso owners');
    assert.ok(mine.every((o) => all.some((a) => a.id === o.id)));

    const carol = await fetch(stack.gateway.url + '/orders', { headers: { authorization: await token(sampleUsers.carol) } });
    const theirs = ((await carol.json()) as { items: Order[] }).items;
    assert.ok(theirs.length > 0 && theirs.every((o) => o.tenantId === 'fabrikam'));
  });

  it('writes as the caller and keeps spoofed identity headers out', async () => {
    const alice = sampleUsers.alice;
    const created = await fetch(stack.gateway.url + '/orders', {
      method: 'POST',
      headers: { authorization: await token(alice), 'content-type': 'application/json', 'X-Identity-Tenant-Id': 'fabrikam', 'X-Identity-Roles': 'Orders.Admin' },
      body: JSON.stringify({ item: 'stack test widget', quantity: 3 }),
    });
    assert.equal(created.status, 201, await created.clone().text());
    const order = (await created.json()) as Order;
    assert.equal(order.tenantId, 'contoso');
    assert.equal(order.ownerOid, alice.oid);
    const read = await fetch(`${stack.gateway.url}/orders/${order.id}`, { headers: { authorization: await token(alice) } });
    assert.equal(read.status, 200);
    const other = await fetch(`${stack.gateway.url}/orders/${order.id}`, { headers: { authorization: await token(sampleUsers.carol) } });
    assert.equal(other.status, 404, 'another tenant cannot see it');
    const me = await fetch(stack.gateway.url + '/me', { headers: { authorization: await token(alice), 'X-Identity-Roles': 'Orders.Admin' } });
    assert.equal(me.status, 200);
    const body = JSON.stringify(await me.json());
    assert.ok(!body.includes('Orders.Admin'), body);
  });

  it('refuses a caller without a token at the gateway', async () => {
    const res = await fetch(stack.gateway.url + '/orders');
    assert.equal(res.status, 401);
  });

  it('runs the Functions host on the seeded sample behind the issuer\'s keys', async () => {
    const functions = stack.parts.find((p) => p.name === 'functions');
    assert.ok(functions);
    const alice = sampleUsers.alice;
    const proof = await stack.issuer.credential(stackGatewayClientId).getToken(stackBackendResource + '/.default');
    assert.ok(proof);
    const res = await fetch(functions.url + '/api/orders', {
      headers: {
        authorization: `Bearer ${proof.token}`,
        'x-identity-tenant-id': alice.tid,
        'x-identity-object-id': alice.oid,
        'x-identity-subject': alice.sub,
        'x-identity-roles': encodeURIComponent(JSON.stringify(alice.roles)),
      },
    });
    assert.equal(res.status, 200, await res.clone().text());
    const body = (await res.json()) as { items: { tenantId: string; ownerOid: string }[] };
    assert.ok(body.items.length > 0, 'alice sees her seeded orders');
    for (const o of body.items) {
      assert.equal(o.tenantId, 'contoso');
      assert.equal(o.ownerOid, alice.oid);
    }
  });

  it('refuses identity headers without the gateway\'s proof', async () => {
    const functions = stack.parts.find((p) => p.name === 'functions')!;
    const alice = sampleUsers.alice;
    const callerToken = await stack.issuer.mint({ sub: alice.sub, oid: alice.oid, tid: alice.tid, roles: [...alice.roles] });
    const spoofed = await fetch(functions.url + '/api/orders', { headers: { 'x-identity-tenant-id': 'contoso', 'x-identity-object-id': alice.oid, 'x-identity-roles': 'Orders.Admin' } });
    assert.equal(spoofed.status, 401);
    const notGateway = await fetch(functions.url + '/api/orders', { headers: { authorization: `Bearer ${callerToken}`, 'x-identity-tenant-id': 'contoso', 'x-identity-object-id': alice.oid, 'x-identity-roles': 'Orders.Admin' } });
    assert.ok(notGateway.status === 401 || notGateway.status === 403, `caller token is no gateway proof (got ${notGateway.status})`);
    const text = await notGateway.text();
    assert.ok(!text.includes(callerToken), 'the token is never echoed');
  });

  // last: it closes the file's stack (a stack of its own for it cost a second start: PGlite, sample, keys, policies)
  it('closes every part', async () => {
    const urls = stack.parts.map((p) => p.url);
    assert.equal(urls.length, 3);
    await stack.close();
    for (const url of urls) await assert.rejects(fetch(url + '/'), url);
  });
});
