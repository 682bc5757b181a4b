/**
 * The backend's side of issue 13: what the trust boundary, the claim map, the database error
 * mapping and the audit line refuse or bound, whatever reaches them (items 3–7). Fixed clock.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HttpError } from '../../functions/errors.js';
import { createOpenIdKeySource } from '../../functions/identity/keys.js';
import { createTrustBoundary, decodeIdentityHeader, type HeaderGetter } from '../../functions/identity/trust-boundary.js';
import { mapClaims, ordersClaimMap } from '../../functions/identity/claim-map.js';
import { pgErrorToHttp } from '../../functions/session/pg-errors.js';
import { auditValueMaxLength, writeAudit } from '../../functions/audit.js';
import { fixedNow, gatewayClientId, startTestIssuer, testConfig, type TestIssuer } from '../functions/support/issuer.js';

const headers = (h: Record<string, string>): HeaderGetter => {
  const lower = new Map(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
  return (name) => lower.get(name.toLowerCase()) ?? null;
};

async function refused(p: Promise<unknown>, code: string, reason?: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof HttpError, String(e));
    assert.equal(e.code, code);
    if (reason) assert.match(e.reason, reason);
    return true;
  });
}

describe('forwarded identity headers: one exact encoding', () => {
  it('decodes percent-encoded UTF-8 exactly, nothing trimmed', () => {
    assert.equal(decodeIdentityHeader('%20a%20', 'single'), ' a ');
    assert.equal(decodeIdentityHeader('%E5%90%8D%F0%9F%98%80', 'single'), '名😀');
    assert.equal(decodeIdentityHeader('a%0D%0Ab', 'single'), 'a\r\nb', 'decoded as sent; the claim map refuses control characters');
    assert.deepEqual(decodeIdentityHeader(encodeURIComponent('["A,B"," C ","[\\"D\\"]"]'), 'list'), ['A,B', ' C ', '["D"]']);
    assert.deepEqual(decodeIdentityHeader('%5B%5D', 'list'), []);
    assert.equal(decodeIdentityHeader("it's(ok)!*", 'single'), "it's(ok)!*", "RFC 2396 marks .NET Framework may leave unescaped");
  });

  it('refuses anything else: raw lists, raw JSON, bad escapes, invalid UTF-8, non-string items', () => {
    for (const [v, form] of [
      ['A,B', 'list'],
      ['["A"]', 'list'],
      [' x', 'single'],
      ['a b', 'single'],
      ['%zz', 'single'],
      ['%E0%A4%A', 'single'],
      ['%ED%A0%80', 'single'], // a UTF-8-encoded lone surrogate
      ['%C0%AF', 'single'], // an overlong form
      [encodeURIComponent('{"0":"A"}'), 'list'],
      [encodeURIComponent('["A",1]'), 'list'],
      [encodeURIComponent('"A"'), 'list'],
      ['名', 'single'],
    ] as const) {
      assert.equal(decodeIdentityHeader(v, form), undefined, `${v} (${form})`);
    }
  });
});

describe('trust boundary: identity claims and gateway proof', () => {
  let t: TestIssuer;
  before(async () => {
    t = await startTestIssuer();
  });
  after(async () => {
    await t.close();
  });
  const boundary = (mode: 'caller-token' | 'gateway-token' | 'either', settings: Record<string, string> = {}) => {
    const config = testConfig(t.issuer, { APIM_RLS_AUTH_MODE: mode, ...settings });
    return createTrustBoundary({ config, keys: createOpenIdKeySource({ openidConfigUrl: config.openidConfigUrl }), now: fixedNow });
  };
  const caller = (extra: Record<string, unknown>) => t.issuer.mint({ sub: 'alice', oid: 'oid-a1', tid: 'contoso', roles: ['Orders.Read'], extra });

  it('item 5: a caller token whose tid/oid/sub/scp is not one string, or roles not strings → 401, in caller-token and either mode', async () => {
    for (const mode of ['caller-token', 'either'] as const) {
      for (const extra of [{ tid: ['contoso', 'fabrikam'] }, { oid: 12345 }, { sub: true }, { tid: { id: 'x' } }, { scp: ['a'] }, { roles: ['A', 1] }, { roles: { a: 1 } }, { oid: 'a\ud800' }]) {
        await refused(boundary(mode).authenticate(headers({ authorization: `Bearer ${await caller(extra)}` })), 'FN_201_INVALID_TOKEN', /^invalid_token:claim_shape:/);
      }
    }
  });

  it('item 1: a caller token with a case variant of an identity claim → 401', async () => {
    for (const extra of [{ TID: 'fabrikam' }, { Oid: 'x' }, { ROLES: ['Orders.Admin'] }]) {
      await refused(boundary('caller-token').authenticate(headers({ authorization: `Bearer ${await caller(extra)}` })), 'FN_201_INVALID_TOKEN', /claim_shape/);
    }
    const ok = await boundary('caller-token').authenticate(headers({ authorization: `Bearer ${await caller({ Department: 'x' })}` }));
    assert.equal(ok.claims['tid'], 'contoso');
  });

  it('caller-token mode: forwarded headers are compared decoded; a spaced or raw copy disagrees', async () => {
    const token = await caller({});
    const b = boundary('caller-token');
    assert.equal((await b.authenticate(headers({ authorization: `Bearer ${token}`, 'X-Identity-Object-Id': 'oid-a1' }))).claims['oid'], 'oid-a1');
    await refused(b.authenticate(headers({ authorization: `Bearer ${token}`, 'X-Identity-Object-Id': '%20oid-a1' })), 'FN_202_UNPROVEN_IDENTITY_HEADERS');
  });

  const gatewayToken = (aud = 'api://apim-rls-orders') => t.issuer.credential(gatewayClientId).getToken(`${aud}/.default`).then((a) => a!.token);
  const userTokenFor = (extra: Record<string, unknown>) => t.issuer.mint({ sub: 'mallory', tid: 'contoso', extra: { azp: gatewayClientId, ...extra } });

  it('item 6: gateway-token mode accepts only app-only tokens of the gateway', async () => {
    const b = boundary('gateway-token');
    assert.equal((await b.authenticate(headers({ authorization: `Bearer ${await gatewayToken()}` }))).source, 'gateway-token');
    for (const [extra, why] of [
      [{ scp: 'user_impersonation' }, /not_app_only/],
      [{ idtyp: 'app', scp: 'user_impersonation' }, /delegated_scopes/],
      [{ idtyp: 'user' }, /not_app_only/],
      [{ idtyp: 'app', appid: 'another-app' }, /^gateway_not_allowed$/],
      [{ idtyp: 'app', azp: 42, appid: gatewayClientId }, /^gateway_not_allowed$/],
    ] as const) {
      await refused(b.authenticate(headers({ authorization: `Bearer ${await userTokenFor(extra)}`, 'X-Identity-Roles': '%5B%22Orders.Admin%22%5D' })), 'FN_203_GATEWAY_NOT_ALLOWED', why);
    }
  });

  it("item 6: either mode does not fall back to the caller when a token names the gateway's client id but is not app-only", async () => {
    await refused(boundary('either').authenticate(headers({ authorization: `Bearer ${await userTokenFor({ scp: 'x', oid: 'oid-m' })}` })), 'FN_203_GATEWAY_NOT_ALLOWED', /not_app_only/);
  });

  it("item 6: with APIM_RLS_GATEWAY_OBJECT_IDS, the token's oid must be the gateway identity's", async () => {
    const token = await gatewayToken();
    const oid = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).oid as string;
    assert.equal((await boundary('gateway-token', { APIM_RLS_GATEWAY_OBJECT_IDS: oid }).authenticate(headers({ authorization: `Bearer ${token}` }))).source, 'gateway-token');
    await refused(boundary('gateway-token', { APIM_RLS_GATEWAY_OBJECT_IDS: 'another-object-id' }).authenticate(headers({ authorization: `Bearer ${token}` })), 'FN_203_GATEWAY_NOT_ALLOWED', /object_id/);
  });
});

describe('claim map, database errors and the audit line (item 7)', () => {
  const refusal = (f: () => unknown) =>
    assert.throws(f, (e: unknown) => e instanceof HttpError && e.code === 'FN_211_CLAIM_INVALID' && e.status === 403);

  it('a list value holding a control character or a lone surrogate → 403 FN_211 (its JSON text hid it as \\u0000)', () => {
    refusal(() => mapClaims({ tid: 't', oid: 'o', roles: ['Orders.Read', 'x\u0000y'] }, ordersClaimMap, 'r'));
    refusal(() => mapClaims({ tid: 't', oid: 'o', roles: ['\u0007'] }, ordersClaimMap, 'r'));
    refusal(() => mapClaims({ tid: 't', oid: 'o', roles: ['a\udc00'] }, ordersClaimMap, 'r'));
    refusal(() => mapClaims({ tid: 't', oid: 'o\ud800' }, ordersClaimMap, 'r'));
    const ok = mapClaims({ tid: 't', oid: 'o', roles: ['Rôle ✓', '😀'] }, ordersClaimMap, 'r');
    assert.equal(ok.find((v) => v.key === 'roles')?.value, '["Rôle ✓","😀"]');
  });

  it('PostgreSQL 22P05 (untranslatable character) and 22021 (bad encoding) are the input\'s fault: 400', () => {
    for (const code of ['22P05', '22021']) {
      const e = pgErrorToHttp(Object.assign(new Error('unsupported Unicode escape sequence'), { code }));
      assert.equal(e.status, 400, code);
      assert.equal(e.code, 'FN_100_BAD_REQUEST');
      assert.equal(e.reason, `bad_value:${code}`);
    }
  });

  it('bounds every text it writes: an over-long refused claim is not logged whole', () => {
    const lines: string[] = [];
    const logger = { info: (l: unknown) => lines.push(String(l)), warn: (l: unknown) => lines.push(String(l)) };
    const long = 'o'.repeat(50_000);
    const line = writeAudit(logger, {
      operation: 'listOrders',
      resourceId: 'r'.repeat(1000),
      oid: long,
      tid: `${'t'.repeat(auditValueMaxLength - 1)}😀tail`,
      decision: 'refused',
      reason: 'claim_invalid:oid',
      status: 403,
      requestId: 'req-1',
      durationMs: 1,
      proof: 'caller-token',
    });
    assert.ok(line.length < 1000, `${line.length} characters`);
    const parsed = JSON.parse(line) as Record<string, string>;
    assert.equal(parsed['oid'], `${'o'.repeat(auditValueMaxLength)}…`);
    assert.equal(parsed['tid'], `${'t'.repeat(auditValueMaxLength - 1)}…`, 'a surrogate pair is never cut in half');
    assert.equal(parsed['resourceId']!.length, auditValueMaxLength + 1);
    assert.equal(parsed['requestId'], 'req-1');
    assert.deepEqual(lines, [line]);
  });
});
