import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack } from '../../../local/stack.js';
import { sampleUsers } from '../../../rls/sample/index.js';
// the run's cache of a fresh initdb's dump, as npm start uses one (test/support/pglite.ts): not an initdb per stack
import { testPgliteCache } from '../../support/pglite.js';

const dir = mkdtempSync(join(tmpdir(), 'apim-rls-stack-data-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('local stack with --data-dir', () => {
  it('keeps the database between runs without seeding twice', async () => {
    const alice = sampleUsers.alice;
    const options = { gatewayPort: 0, issuerPort: 0, functionsPort: 0, issuerKeyDir: join(dir, 'keys'), dataDir: join(dir, 'pglite'), pgliteCache: testPgliteCache(), functionsLog: () => undefined };
    const list = async (url: string, token: string) => ((await (await fetch(url + '/orders', { headers: { authorization: token } })).json()) as { items: { id: number }[] }).items;

    const first = await startStack(options);
    let createdId: number;
    let countBefore: number;
    try {
      const token = `Bearer ${await first.issuer.mint({ sub: alice.sub, oid: alice.oid, tid: alice.tid, roles: [...alice.roles] })}`;
      countBefore = (await list(first.gateway.url, token)).length;
      const res = await fetch(first.gateway.url + '/orders', { method: 'POST', headers: { authorization: token, 'content-type': 'application/json' }, body: JSON.stringify({ item: 'kept', quantity: 1 }) });
      assert.equal(res.status, 201, await res.clone().text());
      createdId = ((await res.json()) as { id: number }).id;
    } finally {
      await first.close();
    }

    const second = await startStack(options);
    try {
      const token = `Bearer ${await second.issuer.mint({ sub: alice.sub, oid: alice.oid, tid: alice.tid, roles: [...alice.roles] })}`;
      const items = await list(second.gateway.url, token);
      assert.equal(items.length, countBefore + 1, 'the seed ran once, the new order stayed');
      assert.ok(items.some((o) => o.id === createdId));
    } finally {
      await second.close();
    }
  });
});
