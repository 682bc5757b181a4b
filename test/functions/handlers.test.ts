/**
 * Every handler × identity on the orders sample, on PGlite and on the PostgreSQL server:
 * tenant A reader, tenant A admin, tenant A writer, tenant B writer, a token with no role, no
 * token. Rows and outcomes are those of the RLS verify cases (rls/sample).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createOpenIdKeySource } from '../../functions/identity/keys.js';
import { createRuntime, type Runtime } from '../../functions/runtime.js';
import type { IdentitySession } from '../../functions/session/types.js';
import { sampleUsers } from '../../rls/sample/index.js';
import { call, type CallResult } from './support/call.js';
import { fixedNow, startTestIssuer, testConfig, type TestIssuer } from './support/issuer.js';
import { expectedVisibleItems, type PersonaName } from './support/sample-expectations.js';
import { sampleBackends, type SampleBackend } from './support/sample-backends.js';

const { alice, bob, carol } = sampleUsers;

function countingSession(inner: IdentitySession): IdentitySession & { runs: number } {
  const s = {
    runs: 0,
    dialect: inner.dialect,
    run: (...args: Parameters<IdentitySession['run']>) => {
      s.runs++;
      return inner.run(...args);
    },
    runWithoutIdentity: (...args: Parameters<IdentitySession['runWithoutIdentity']>) => {
      s.runs++;
      return inner.runWithoutIdentity(...args);
    },
    close: () => inner.close(),
  };
  return s;
}

const items = (r: CallResult) => ((r.json as { items: { item: string }[] }).items ?? []).map((o) => o.item).sort();
const problemCode = (r: CallResult) => (r.json as { code?: string } | undefined)?.code;

for (const backend of sampleBackends) {
  describe(`handlers on ${backend.name}`, () => {
    let t: TestIssuer;
    let db: SampleBackend | { skip: string };
    let session: IdentitySession & { runs: number };
    let runtime: Runtime;
    const tokens = {} as Record<Exclude<PersonaName, 'noToken'>, string>;
    const token = (p: PersonaName) => (p === 'noToken' ? undefined : tokens[p]);
    const personas: PersonaName[] = ['readerA', 'adminA', 'writerA', 'writerB', 'noRole', 'noToken'];
    const skip = () => ('skip' in db ? db.skip : null);

    before(async () => {
      t = await startTestIssuer();
      db = await backend.open();
      if ('skip' in db) return;
      session = countingSession(db.session);
      const config = testConfig(t.issuer);
      runtime = await createRuntime({ config, session, keys: createOpenIdKeySource({ openidConfigUrl: config.openidConfigUrl }), now: fixedNow });
      tokens.readerA = await t.issuer.mint({ sub: alice.sub, oid: alice.oid, tid: alice.tid, roles: ['Orders.Read'] });
      tokens.adminA = await t.issuer.mint({ sub: bob.sub, oid: bob.oid, tid: bob.tid, roles: ['Orders.Admin'] });
      tokens.writerA = await t.issuer.mint({ sub: alice.sub, oid: alice.oid, tid: alice.tid, roles: ['Orders.Read', 'Orders.Write'] });
      tokens.writerB = await t.issuer.mint({ sub: carol.sub, oid: carol.oid, tid: carol.tid, roles: ['Orders.Read', 'Orders.Write'] });
      tokens.noRole = await t.issuer.mint({ sub: alice.sub, oid: alice.oid, tid: alice.tid });
    });
    after(async () => {
      if (db && !('skip' in db)) await db.close();
      await t?.close();
    });

    describe('reads (seeded rows)', () => {
      for (const p of personas) {
        it(`GET /orders as ${p}`, async (tt) => {
          if (skip()) return tt.skip(skip()!);
          const r = await call(runtime, 'listOrders', { token: token(p) });
          if (p === 'noToken') {
            assert.equal(r.status, 401);
            assert.equal(problemCode(r), 'FN_200_UNAUTHENTICATED');
            return;
          }
          assert.equal(r.status, 200, r.body);
          assert.deepEqual(items(r), expectedVisibleItems(p));
          // every row belongs to the caller's tenant
          const tid = p === 'writerB' ? carol.tid : alice.tid;
          for (const o of (r.json as { items: { tenantId: string }[] }).items) assert.equal(o.tenantId, tid);
        });

        it(`GET /orders/{id} of every seeded order as ${p}`, async (tt) => {
          if (skip()) return tt.skip(skip()!);
          if ('skip' in db) return;
          const all = await db.adminQuery('select id::text as id, item from app.orders order by id');
          const visible = new Set(expectedVisibleItems(p));
          for (const row of all) {
            const r = await call(runtime, 'getOrder', { token: token(p), params: { id: String(row['id']) } });
            const expected = p === 'noToken' ? 401 : visible.has(String(row['item'])) ? 200 : 404;
            assert.equal(r.status, expected, `${p} GET ${String(row['item'])}`);
            if (expected === 200) assert.equal((r.json as { item: string }).item, row['item']);
            if (expected === 404) assert.equal(problemCode(r), 'FN_110_NOT_FOUND', 'filtered rows look like missing rows');
          }
        });
      }

      it('pages with an opaque cursor: limit=2 walks all of the admin\'s rows, then next is null', async (tt) => {
        if (skip()) return tt.skip(skip()!);
        const seen: string[] = [];
        let next: string | null = null;
        let pages = 0;
        do {
          const r: CallResult = await call(runtime, 'listOrders', { token: tokens.adminA, query: next ? { limit: '2', next } : { limit: '2' } });
          assert.equal(r.status, 200);
          const page = r.json as { items: { item: string }[]; next: string | null };
          assert.ok(page.items.length <= 2);
          seen.push(...page.items.map((o) => o.item));
          next = page.next;
          pages++;
        } while (next !== null && pages < 10);
        assert.deepEqual(seen.sort(), expectedVisibleItems('adminA'));
        assert.equal(pages, Math.ceil(expectedVisibleItems('adminA').length / 2));
      });

      it('bad paging parameters → 400', async (tt) => {
        if (skip()) return tt.skip(skip()!);
        const queries: Record<string, string>[] = [{ limit: '0' }, { limit: '101' }, { limit: 'ten' }, { next: 'not a cursor' }, { next: Buffer.from('{"after":-1}').toString('base64url') }];
        for (const query of queries) {
          const r = await call(runtime, 'listOrders', { token: tokens.adminA, query });
          assert.equal(r.status, 400, JSON.stringify(query));
          assert.equal(problemCode(r), 'FN_102_BAD_PARAMETER');
        }
      });

      for (const p of personas) {
        it(`GET /me as ${p}: the database sees exactly the verified identity`, async (tt) => {
          if (skip()) return tt.skip(skip()!);
          const r = await call(runtime, 'getMe', { token: token(p), headers: { 'x-request-id': `me-${p}` } });
          if (p === 'noToken') return assert.equal(r.status, 401);
          assert.equal(r.status, 200, r.body);
          const me = r.json as { tenantId: string; objectId: string; requestId: string; database: Record<string, unknown> };
          const user = p === 'writerB' ? carol : p === 'adminA' ? bob : alice;
          assert.equal(me.tenantId, user.tid);
          assert.equal(me.objectId, user.oid);
          assert.equal(me.requestId, `me-${p}`);
          assert.equal(me.database['user'], 'apim_rls_app');
          assert.equal(me.database['tenantId'], user.tid);
          assert.equal(me.database['userOid'], user.oid);
          assert.equal(me.database['requestId'], `me-${p}`, 'the request id is a session key');
          assert.equal(typeof me.database['tenantName'], 'string', 'the caller sees its own tenant row');
        });
      }
    });

    describe('writes', () => {
      it('POST /orders per identity: writers create in their own tenant as themselves; others are refused', async (tt) => {
        if (skip()) return tt.skip(skip()!);
        const expected: Record<PersonaName, number> = { readerA: 403, adminA: 403, writerA: 201, writerB: 201, noRole: 403, noToken: 401 };
        for (const p of personas) {
          const r = await call(runtime, 'createOrder', { token: token(p), body: { item: `new-${p}`, quantity: 3 } });
          assert.equal(r.status, expected[p], `${p}: ${r.body}`);
          if (r.status === 201) {
            const o = r.json as { id: number; tenantId: string; ownerOid: string; item: string; quantity: number; status: string; createdAt: string };
            const user = p === 'writerB' ? carol : alice;
            assert.equal(o.tenantId, user.tid);
            assert.equal(o.ownerOid, user.oid);
            assert.equal(o.status, 'open');
            assert.equal(r.headers['location'], `/api/orders/${o.id}`);
            assert.ok(!Number.isNaN(Date.parse(o.createdAt)));
          } else if (r.status === 403) assert.equal(problemCode(r), 'FN_300_FORBIDDEN_BY_POLICY');
        }
      });

      it('PATCH and DELETE on an order of tenant A\'s writer, per identity', async (tt) => {
        if (skip()) return tt.skip(skip()!);
        const created = await call(runtime, 'createOrder', { token: tokens.writerA, body: { item: 'target', quantity: 1 } });
        const id = String((created.json as { id: number }).id);
        const patch: Record<PersonaName, number> = { readerA: 403, adminA: 200, writerA: 200, writerB: 404, noRole: 404, noToken: 401 };
        for (const p of personas) {
          const r = await call(runtime, 'updateOrder', { token: token(p), params: { id }, body: { quantity: 2 } });
          assert.equal(r.status, patch[p], `${p} PATCH: ${r.body}`);
        }
        const del: Record<PersonaName, number> = { readerA: 403, adminA: 0, writerA: 0, writerB: 404, noRole: 404, noToken: 401 };
        for (const p of personas) {
          if (del[p] === 0) continue;
          const r = await call(runtime, 'deleteOrder', { token: token(p), params: { id } });
          assert.equal(r.status, del[p], `${p} DELETE: ${r.body}`);
        }
        assert.equal((await call(runtime, 'getOrder', { token: tokens.writerA, params: { id } })).status, 200, 'still there');
        const d = await call(runtime, 'deleteOrder', { token: tokens.writerA, params: { id } });
        assert.equal(d.status, 204);
        assert.equal((await call(runtime, 'getOrder', { token: tokens.adminA, params: { id } })).status, 404);
        // the admin deletes any order of its tenant
        const other = await call(runtime, 'createOrder', { token: tokens.writerA, body: { item: 'admin-deletes', quantity: 1 } });
        const otherId = String((other.json as { id: number }).id);
        assert.equal((await call(runtime, 'deleteOrder', { token: tokens.adminA, params: { id: otherId } })).status, 204);
      });

      it('PATCH returns the updated order; the admin edits any order of its tenant, never another tenant\'s', async (tt) => {
        if (skip()) return tt.skip(skip()!);
        if ('skip' in db) return;
        const [carolRow] = await db.adminQuery("select id::text as id from app.orders where item = 'carol-1'");
        const [aliceRow] = await db.adminQuery("select id::text as id from app.orders where item = 'alice-1'");
        const r = await call(runtime, 'updateOrder', { token: tokens.adminA, params: { id: String(aliceRow!['id']) }, body: { status: 'shipped' } });
        assert.equal(r.status, 200);
        assert.equal((r.json as { status: string }).status, 'shipped');
        const x = await call(runtime, 'updateOrder', { token: tokens.adminA, params: { id: String(carolRow!['id']) }, body: { status: 'cancelled' } });
        assert.equal(x.status, 404);
        const [still] = await db.adminQuery("select status from app.orders where item = 'carol-1'");
        assert.equal(still!['status'], 'open');
      });
    });

    describe('input and refusals', () => {
      it('a body that tries to set tenantId or ownerOid → 422; nothing written', async (tt) => {
        if (skip()) return tt.skip(skip()!);
        const before = session.runs;
        const r = await call(runtime, 'createOrder', { token: tokens.writerA, body: { item: 'x', quantity: 1, tenantId: 'fabrikam', ownerOid: carol.oid } });
        assert.equal(r.status, 422);
        assert.equal(r.headers['content-type'], 'application/problem+json');
        assert.equal(problemCode(r), 'FN_122_VALIDATION_FAILED');
        assert.equal(session.runs, before, 'no database call');
      });

      it('400 bad JSON, 415 wrong content type, 413 too large, 422 invalid fields', async (tt) => {
        if (skip()) return tt.skip(skip()!);
        const cases: [Parameters<typeof call>[2], number, string][] = [
          [{ rawBody: '{"item": ', headers: { 'content-type': 'application/json' } }, 400, 'FN_101_BAD_JSON'],
          [{ rawBody: 'item=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415, 'FN_121_UNSUPPORTED_MEDIA_TYPE'],
          [{ rawBody: '{}' }, 415, 'FN_121_UNSUPPORTED_MEDIA_TYPE'],
          [{ body: { item: 'x'.repeat(20_000), quantity: 1 } }, 413, 'FN_120_PAYLOAD_TOO_LARGE'],
          [{ body: { item: '', quantity: 0 } }, 422, 'FN_122_VALIDATION_FAILED'],
          [{ body: { item: 'ok', quantity: 1.5 } }, 422, 'FN_122_VALIDATION_FAILED'],
          [{ body: [1, 2] }, 422, 'FN_122_VALIDATION_FAILED'],
          [{ body: { item: 'a\u0000b', quantity: 1 } }, 422, 'FN_122_VALIDATION_FAILED'],
        ];
        for (const [opts, status, code] of cases) {
          const r = await call(runtime, 'createOrder', { token: tokens.writerA, ...opts });
          assert.equal(r.status, status, r.body);
          assert.equal(problemCode(r), code);
        }
        const v = await call(runtime, 'updateOrder', { token: tokens.writerA, params: { id: '1' }, body: {} });
        assert.equal(v.status, 422);
        const s = await call(runtime, 'updateOrder', { token: tokens.writerA, params: { id: '1' }, body: { status: 'lost' } });
        assert.equal(s.status, 422);
        assert.ok((s.json as { errors: { path: string }[] }).errors.some((e) => e.path === 'status'));
        const bad = await call(runtime, 'getOrder', { token: tokens.writerA, params: { id: '1; drop table app.orders' } });
        assert.equal(bad.status, 400);
      });

      it('a token without tid or oid → 403 before any database call', async (tt) => {
        if (skip()) return tt.skip(skip()!);
        const noTid = await t.issuer.mint({ sub: 'x', oid: alice.oid, roles: ['Orders.Admin'] });
        const before = session.runs;
        for (const name of ['listOrders', 'getMe', 'createOrder'] as const) {
          const r = await call(runtime, name, { token: noTid, body: { item: 'x', quantity: 1 } });
          assert.equal(r.status, 403);
          assert.equal(problemCode(r), 'FN_210_CLAIM_MISSING');
        }
        assert.equal(session.runs, before);
      });

      it('identity headers without a token → 401, and never reach the database', async (tt) => {
        if (skip()) return tt.skip(skip()!);
        const before = session.runs;
        const r = await call(runtime, 'listOrders', { headers: { 'X-Identity-Tenant-Id': 'contoso', 'X-Identity-Object-Id': bob.oid, 'X-Identity-Roles': 'Orders.Admin' } });
        assert.equal(r.status, 401);
        assert.equal(problemCode(r), 'FN_202_UNPROVEN_IDENTITY_HEADERS');
        assert.equal(session.runs, before);
      });

      it('GET /health needs no identity and reports the database', async (tt) => {
        if (skip()) return tt.skip(skip()!);
        const r = await call(runtime, 'health');
        assert.equal(r.status, 200);
        assert.deepEqual((r.json as { database: { reachable: boolean } }).database.reachable, true);
      });
    });

    describe('audit and secrecy', () => {
      it('one audit line per request: who, what, decision, request id, duration — never the token', async (tt) => {
        if (skip()) return tt.skip(skip()!);
        const ok = await call(runtime, 'getOrder', { token: tokens.writerA, params: { id: '999999' }, headers: { 'x-request-id': 'req-audit-1' } });
        assert.equal(ok.logs.length, 1);
        const line = JSON.parse(ok.logs[0]!.message) as Record<string, unknown>;
        assert.equal(line['type'], 'apim-rls.audit');
        assert.equal(line['operation'], 'getOrder');
        assert.equal(line['resourceId'], '999999');
        assert.equal(line['oid'], alice.oid);
        assert.equal(line['tid'], alice.tid);
        assert.equal(line['decision'], 'refused');
        assert.equal(line['reason'], 'not_found');
        assert.equal(line['status'], 404);
        assert.equal(line['requestId'], 'req-audit-1');
        assert.equal(line['proof'], 'caller-token');
        assert.equal(typeof line['durationMs'], 'number');
        const allowed = await call(runtime, 'listOrders', { token: tokens.writerA });
        const a = JSON.parse(allowed.logs[0]!.message) as Record<string, unknown>;
        assert.equal(a['decision'], 'allowed');
        assert.match(String(a['requestId']), /^[0-9a-f-]{36}$/, 'a new request id when the gateway sent none');
        assert.equal(allowed.headers['x-request-id'], a['requestId']);
      });

      it('an unsafe X-Request-Id is replaced, not echoed', async (tt) => {
        if (skip()) return tt.skip(skip()!);
        const r = await call(runtime, 'getMe', { token: tokens.writerA, headers: { 'x-request-id': "x'; drop table app.orders; --" } });
        assert.equal(r.status, 200);
        assert.match(r.headers['x-request-id'] ?? '', /^[0-9a-f-]{36}$/);
      });

      it('no response or log line ever contains a token', async (tt) => {
        if (skip()) return tt.skip(skip()!);
        const expired = await t.issuer.mint({ sub: 'alice', oid: alice.oid, tid: alice.tid, iat: 1_000_000, ttlSeconds: 60 });
        for (const tok of [tokens.writerA, expired, 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.']) {
          for (const name of ['listOrders', 'getMe', 'createOrder'] as const) {
            const r = await call(runtime, name, { token: tok, body: { item: 'x', quantity: 1 } });
            const signature = tok.split('.')[2] || tok.split('.')[1]!;
            assert.ok(!r.body.includes(signature), `${name} response`);
            assert.ok(!JSON.stringify(r.headers).includes(signature), `${name} headers`);
            for (const l of r.logs) assert.ok(!l.message.includes(signature), `${name} log`);
          }
        }
      });
    });
  });
}
