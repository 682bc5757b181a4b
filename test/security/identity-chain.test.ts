/**
 * Attacks on the identity chain through the real local stack: dev issuer → gateway (the
 * product's policies in the emulator) → Functions host (gateway-token mode) → PGlite with RLS.
 * Every token here is validly signed by the issuer: what is under test is what a signed token
 * can and cannot make the chain do (issue 13, items 1–6). Fixed clock.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack, stackBackendResource, stackGatewayClientId, type Stack } from '../../local/stack.js';
import type { MintRequest } from '../../local/issuer/index.js';
import { sampleUsers } from '../../rls/sample/index.js';
import { testPgliteCache } from '../support/pglite.js';

const NOW_MS = Date.UTC(2026, 0, 1, 12);
const NOW = NOW_MS / 1000;
const alice = sampleUsers.alice;
const bob = sampleUsers.bob;
const carol = sampleUsers.carol;

type Order = { id: number; tenantId: string; ownerOid: string; item: string };
type Me = { objectId: string | null; tenantId: string | null; roles: string[]; proof: string };

describe('identity chain under attack (through the gateway)', () => {
  let stack: Stack;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'apim-rls-security-'));
    stack = await startStack({ gatewayPort: 0, issuerPort: 0, functionsPort: 0, issuerKeyDir: join(dir, 'keys'), pgliteCache: testPgliteCache(), clock: () => NOW_MS, functionsLog: () => undefined });
  });
  after(async () => {
    await stack?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const as = (user: { sub: string; oid: string; tid: string; roles: readonly string[] }, more: Partial<MintRequest> = {}) =>
    stack.issuer.mint({ sub: user.sub, oid: user.oid, tid: user.tid, roles: [...user.roles], ...more });
  const get = async (path: string, token: string) => fetch(stack.gateway.url + path, { headers: { authorization: `Bearer ${token}` } });
  const orders = async (token: string) => {
    const r = await get('/orders', token);
    assert.equal(r.status, 200, await r.clone().text());
    return ((await r.json()) as { items: Order[] }).items;
  };
  const me = async (token: string) => {
    const r = await get('/me', token);
    assert.equal(r.status, 200, await r.clone().text());
    return (await r.json()) as Me;
  };
  const refusedAtGateway = async (token: string, why: string, status = 401) => {
    const r = await get('/orders', token);
    const body = await r.text();
    assert.equal(r.status, status, `${why}: ${body}`);
    assert.equal(r.headers.get('content-type'), 'application/problem+json', why);
    return JSON.parse(body) as { detail?: string };
  };

  describe('1. claim names are case-sensitive', () => {
    it('a second claim "TID" cannot move the caller to another tenant (read or write): 401', async () => {
      const token = await as(bob, { extra: { TID: carol.tid } });
      const p = await refusedAtGateway(token, 'TID beside tid');
      assert.match(String(p.detail), /"tid" in different letter case/);
      const write = await fetch(stack.gateway.url + '/orders', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ item: 'cross-tenant widget', quantity: 1 }),
      });
      assert.equal(write.status, 401);
      // carol's tenant holds no order written by bob
      const theirs = await orders(await as(carol));
      assert.ok(theirs.every((o) => o.ownerOid !== bob.oid && o.item !== 'cross-tenant widget'));
    });

    it('any case variant of a forwarded or identity claim is refused (Oid, ROLES, Sub)', async () => {
      for (const extra of [{ Oid: carol.oid }, { ROLES: ['Orders.Admin'] }, { Sub: 'carol' }]) {
        await refusedAtGateway(await as(alice, { extra }), JSON.stringify(extra));
      }
      // an unrelated claim whose name only differs by case from nothing forwarded is fine
      assert.equal((await me(await as(alice, { extra: { Department: 'x', department: 'y' } }))).tenantId, 'contoso');
    });
  });

  describe('2. the lifetime cap cannot be stepped around', () => {
    it('iat ten years ahead with nbf now and exp - iat = 3600: 401', async () => {
      const iat = NOW + 10 * 365 * 24 * 3600;
      const p = await refusedAtGateway(await as(alice, { iat, nbf: NOW, ttlSeconds: 3600 }), 'iat in the future');
      assert.match(String(p.detail), /lifetime/);
    });

    it('an iat beyond the clock skew is refused; a remaining lifetime within the cap (and skew) is served', async () => {
      await refusedAtGateway(await as(alice, { iat: NOW + 3600, nbf: NOW, ttlSeconds: 600 }), 'iat an hour ahead, short token');
      assert.equal((await me(await as(alice, { iat: NOW + 30, nbf: NOW, ttlSeconds: 3600 }))).objectId, alice.oid, 'issuer clock 30 s ahead: within the skew');
      assert.equal((await me(await as(alice, { iat: NOW - 600, ttlSeconds: 3600 }))).objectId, alice.oid);
    });
  });

  describe('3. roles travel unambiguously', () => {
    it('a role holding a comma is one role, not two: no admin rights', async () => {
      const token = await as(alice, { roles: ['Orders.Read', 'Orders.Read,Orders.Admin'] });
      assert.deepEqual((await me(token)).roles, ['Orders.Read', 'Orders.Read,Orders.Admin']);
      const mine = await orders(token);
      assert.ok(mine.length > 0);
      assert.ok(mine.every((o) => o.ownerOid === alice.oid), 'the admin sees other owners; alice must not');
    });

    it('a role with surrounding spaces is not trimmed into another role', async () => {
      const token = await as(alice, { roles: ['Orders.Read', ' Orders.Admin '] });
      assert.deepEqual((await me(token)).roles, ['Orders.Read', ' Orders.Admin ']);
      assert.ok((await orders(token)).every((o) => o.ownerOid === alice.oid));
    });

    it('a role that only looks like JSON stays that text', async () => {
      const token = await as(alice, { roles: ['Orders.Read', '["Orders.Admin"]'] });
      assert.deepEqual((await me(token)).roles, ['Orders.Read', '["Orders.Admin"]']);
      assert.ok((await orders(token)).every((o) => o.ownerOid === alice.oid));
    });

    it('a permission check cannot be met by a comma inside one role', async () => {
      await refusedAtGateway(await as(alice, { roles: ['Other,Orders.Read'] }), 'comma-joined role', 403);
    });
  });

  describe('4. forwarded values are exact bytes', () => {
    it('an oid with surrounding spaces reaches the backend as sent: not trimmed into another user', async () => {
      const spaced = ` ${alice.oid} `;
      const token = await as(alice, { oid: spaced });
      assert.equal((await me(token)).objectId, spaced);
      assert.ok((await orders(token)).every((o) => o.ownerOid !== alice.oid), "not alice's rows");
    });

    it('non-Latin-1 text is forwarded exactly; CR/LF and NUL are refused with a reason, never a 500', async () => {
      const unicode = '名前-😀-ü';
      assert.equal((await me(await as(alice, { oid: unicode }))).objectId, unicode);
      assert.equal((await me(await as(alice, { roles: ['Orders.Read', 'Rôle ✓'] }))).roles[1], 'Rôle ✓');
      for (const oid of ['a\r\nX-Identity-Tenant-Id: fabrikam', 'a\u0000b', 'tab\there']) {
        const r = await get('/orders', await as(alice, { oid }));
        assert.ok(r.status === 401 || r.status === 403, `${JSON.stringify(oid)} → ${r.status}`);
        assert.equal(r.headers.get('content-type'), 'application/problem+json');
      }
    });

    it('a lone surrogate (JSON "\\ud800") cannot be carried exactly: 401 with a reason', async () => {
      const p = await refusedAtGateway(await as(alice, { oid: 'a\ud800b' }), 'lone surrogate');
      assert.match(String(p.detail), /"oid" holds text that is not valid Unicode/);
    });
  });

  describe('5. single-valued identity claims hold one string', () => {
    it('tid/oid/sub as an array, object, number or boolean: 401 at the gateway', async () => {
      for (const [claim, value] of [
        ['tid', ['contoso', 'fabrikam']],
        ['tid', { id: 'contoso' }],
        ['oid', 12345],
        ['oid', [alice.oid]],
        ['sub', true],
      ] as const) {
        const p = await refusedAtGateway(await as(alice, { extra: { [claim]: value } }), `${claim}: ${JSON.stringify(value)}`);
        assert.match(String(p.detail), new RegExp(`"${claim}" must be one string`));
      }
      // a JSON null is no value: validate-jwt's required-claim check already answers 401
      assert.equal((await get('/orders', await as(alice, { extra: { sub: null } }))).status, 401);
    });

    it('roles as something other than strings: 401', async () => {
      await refusedAtGateway(await as(alice, { extra: { roles: ['Orders.Read', 7] } }), 'a number among the roles');
      await refusedAtGateway(await as(alice, { extra: { roles: { admin: true } } }), 'roles as an object');
    });
  });

  describe("6. the gateway's managed-identity token is not a master key", () => {
    const functionsUrl = () => stack.parts.find((p) => p.name === 'functions')!.url + '/api/orders';
    const forwarded = { 'x-identity-tenant-id': 'fabrikam', 'x-identity-object-id': encodeURIComponent(carol.oid), 'x-identity-roles': encodeURIComponent('["Orders.Admin"]') };

    it("a user token minted with azp = the gateway's client id, sent straight to the backend: 401 FN_203", async () => {
      const userToken = await stack.issuer.mint({ sub: 'mallory', tid: 'contoso', aud: stackBackendResource, scp: 'user_impersonation', extra: { azp: stackGatewayClientId } });
      const r = await fetch(functionsUrl(), { headers: { authorization: `Bearer ${userToken}`, ...forwarded } });
      assert.equal(r.status, 401);
      assert.equal(((await r.json()) as { code: string }).code, 'FN_203_GATEWAY_NOT_ALLOWED');
    });

    it('an app+user token claiming idtyp=app but carrying scp, or azp and appid that disagree: 401', async () => {
      for (const extra of [
        { azp: stackGatewayClientId, idtyp: 'app', scp: 'user_impersonation' },
        { azp: stackGatewayClientId, appid: 'someone-else', idtyp: 'app' },
        { appid: stackGatewayClientId, idtyp: 'user' },
      ]) {
        const token = await stack.issuer.mint({ sub: 'mallory', tid: 'contoso', aud: stackBackendResource, extra });
        const r = await fetch(functionsUrl(), { headers: { authorization: `Bearer ${token}`, ...forwarded } });
        assert.equal(r.status, 401, JSON.stringify(extra));
      }
    });

    it("the gateway's own app-only token still works", async () => {
      const proof = await stack.issuer.credential(stackGatewayClientId).getToken(stackBackendResource + '/.default');
      const r = await fetch(functionsUrl(), { headers: { authorization: `Bearer ${proof!.token}`, ...forwarded } });
      assert.equal(r.status, 200, await r.clone().text());
    });
  });
  describe('7. backend input', () => {
    const functionsUrl = () => stack.parts.find((p) => p.name === 'functions')!.url;
    const proof = async () => (await stack.issuer.credential(stackGatewayClientId).getToken(stackBackendResource + '/.default'))!.token;
    const headersFor = async (roles: string) => ({
      authorization: `Bearer ${await proof()}`,
      'x-identity-tenant-id': 'contoso',
      'x-identity-object-id': encodeURIComponent(alice.oid),
      'x-identity-roles': roles,
    });

    it('roles JSON whose escapes decode to control characters: 403 FN_211, not a database error (22P05 → 500)', async () => {
      for (const roles of [encodeURIComponent('["Orders.Read","x\\u0000y"]'), encodeURIComponent('["Orders.Read","\\u0007"]'), '["Orders.Read","x\\u0000y"]']) {
        const r = await fetch(functionsUrl() + '/api/orders', { headers: await headersFor(roles) });
        assert.equal(r.status, 403, `${roles}: ${await r.clone().text()}`);
        assert.equal(((await r.json()) as { code: string }).code, 'FN_211_CLAIM_INVALID');
      }
    });

    it('identity headers in any other form than the gateway sends are refused (no comma splitting, no JSON guessing)', async () => {
      for (const roles of ['Orders.Read,Orders.Admin', ' Orders.Admin ', '["Orders.Admin"]', '%5B%22Orders.Admin%22', encodeURIComponent('{"0":"Orders.Admin"}'), '%E0%A4%A']) {
        const r = await fetch(functionsUrl() + '/api/orders', { headers: await headersFor(roles) });
        assert.equal(r.status, 403, roles);
        assert.equal(((await r.json()) as { code: string }).code, 'FN_211_CLAIM_INVALID', roles);
      }
    });

    it("the local host's own 404/405/413 problem bodies carry the request id", async () => {
      const cases: [string, RequestInit, number][] = [
        ['/api/no-such-route', {}, 404],
        ['/api/orders', { method: 'PATCH' }, 405],
        ['/api/orders', { method: 'POST', body: 'x'.repeat(1_100_000), headers: { 'content-type': 'application/json' } }, 413],
      ];
      for (const [path, init, status] of cases) {
        const r = await fetch(functionsUrl() + path, { ...init, headers: { ...(init.headers as Record<string, string> | undefined), 'x-request-id': 'req-sec-7' } });
        assert.equal(r.status, status, path);
        assert.equal(r.headers.get('x-request-id'), 'req-sec-7', path);
        assert.equal(((await r.json()) as { instance?: string }).instance, 'urn:apim-rls:request:req-sec-7', path);
        const fresh = await fetch(functionsUrl() + path, init);
        assert.match(String(((await fresh.json()) as { instance?: string }).instance), /^urn:apim-rls:request:[0-9a-f-]{36}$/, `${path} without an id gets one`);
      }
    });
  });
});
