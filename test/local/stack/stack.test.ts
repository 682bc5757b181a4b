import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack, stackBackendResource, stackGatewayClientId, type Stack } from '../../../local/stack.js';
import { sampleUsers } from '../../../rls/sample/index.js';

describe('local stack', () => {
  let stack: Stack;
  let dir: string;
  const logs: string[] = [];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'apim-rls-stack-'));
    stack = await startStack({ gatewayPort: 0, issuerPort: 0, functionsPort: 0, issuerKeyDir: join(dir, 'keys'), functionsLog: (_l, _f, m) => logs.push(m) });
  });
  after(async () => {
    await stack?.close();
    rmSync(dir, { recursive: true, force: true });
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
        'x-identity-roles': alice.roles.join(','),
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

  it('closes every part', async () => {
    const extra = await startStack({ gatewayPort: 0, issuerPort: 0, functionsPort: 0, issuerKeyDir: join(dir, 'keys2'), functionsLog: () => undefined });
    const urls = extra.parts.map((p) => p.url);
    await extra.close();
    for (const url of urls) await assert.rejects(fetch(url + '/'), url);
  });
});
