import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HttpError } from '../../../functions/errors.js';
import { checkClaimMap, mapClaims, ordersClaimMap } from '../../../functions/identity/claim-map.js';

function refusal(fn: () => unknown, code: string): void {
  assert.throws(fn, (e: unknown) => e instanceof HttpError && e.code === code && e.status === 403);
}

describe('claim map', () => {
  it('maps only the allow-listed claims, in the map order, every key present', () => {
    const values = mapClaims({ tid: 'contoso', oid: 'o1', roles: ['Orders.Read'], name: 'Alice', email: 'a@x', is_admin: true }, ordersClaimMap, 'r1');
    assert.deepEqual(values, [
      { key: 'tenant_id', value: 'contoso' },
      { key: 'user_oid', value: 'o1' },
      { key: 'roles', value: '["Orders.Read"]' },
      { key: 'request_id', value: 'r1' },
      { key: 'trace_id', value: null },
    ]);
  });

  it('fills a trace-id key from the trace id, and refuses one longer than its maxLength', () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    assert.deepEqual(mapClaims({ tid: 't', oid: 'o' }, ordersClaimMap, 'r1', traceId).at(-1), { key: 'trace_id', value: traceId });
    refusal(() => mapClaims({ tid: 't', oid: 'o' }, ordersClaimMap, 'r1', `${traceId}0`), 'FN_211_CLAIM_INVALID');
  });

  it('passes a multi-valued claim as JSON array text; absent → []', () => {
    assert.equal(mapClaims({ tid: 't', oid: 'o' }, ordersClaimMap, 'r')[2]?.value, '[]');
    assert.equal(mapClaims({ tid: 't', oid: 'o', roles: 'Orders.Admin' }, ordersClaimMap, 'r')[2]?.value, '["Orders.Admin"]');
    assert.equal(mapClaims({ tid: 't', oid: 'o', roles: ['a"b', 'c'] }, ordersClaimMap, 'r')[2]?.value, '["a\\"b","c"]');
  });

  it('a missing required claim → 403 FN_210 (tid, oid)', () => {
    refusal(() => mapClaims({ oid: 'o' }, ordersClaimMap, 'r'), 'FN_210_CLAIM_MISSING');
    refusal(() => mapClaims({ tid: 't' }, ordersClaimMap, 'r'), 'FN_210_CLAIM_MISSING');
    refusal(() => mapClaims({ tid: '', oid: 'o' }, ordersClaimMap, 'r'), 'FN_210_CLAIM_MISSING');
  });

  it('wrong types and lengths → 403 FN_211', () => {
    refusal(() => mapClaims({ tid: 5, oid: 'o' }, ordersClaimMap, 'r'), 'FN_211_CLAIM_INVALID');
    refusal(() => mapClaims({ tid: ['contoso'], oid: 'o' }, ordersClaimMap, 'r'), 'FN_211_CLAIM_INVALID');
    refusal(() => mapClaims({ tid: 't', oid: 'o', roles: [1] }, ordersClaimMap, 'r'), 'FN_211_CLAIM_INVALID');
    refusal(() => mapClaims({ tid: 't', oid: 'o', roles: {} }, ordersClaimMap, 'r'), 'FN_211_CLAIM_INVALID');
    refusal(() => mapClaims({ tid: 'x'.repeat(65), oid: 'o' }, ordersClaimMap, 'r'), 'FN_211_CLAIM_INVALID');
    assert.equal(mapClaims({ tid: 'x'.repeat(64), oid: 'o' }, ordersClaimMap, 'r')[0]?.value?.length, 64);
    refusal(() => mapClaims({ tid: 't', oid: 'o', roles: Array.from({ length: 400 }, (_, i) => `Role.Number${i}`) }, ordersClaimMap, 'r'), 'FN_211_CLAIM_INVALID');
  });

  it('control characters in a claim → 403 FN_211 (a NUL could cut a query short)', () => {
    refusal(() => mapClaims({ tid: 'contoso\u0000', oid: 'o' }, ordersClaimMap, 'r'), 'FN_211_CLAIM_INVALID');
    refusal(() => mapClaims({ tid: 'contoso', oid: 'o\n1' }, ordersClaimMap, 'r'), 'FN_211_CLAIM_INVALID');
  });

  it('checks a map once at start-up', () => {
    assert.throws(() => checkClaimMap([{ key: 'Bad Key', from: { claim: 'x' }, required: false, maxLength: 10 }]), TypeError);
    assert.throws(() => checkClaimMap([{ key: 'a', from: { claim: 'x' }, required: false, maxLength: 10 }, { key: 'a', from: { claim: 'y' }, required: false, maxLength: 10 }]), TypeError);
    assert.throws(() => checkClaimMap([{ key: 'a', from: { claim: 'x' }, required: false, maxLength: 9000 }]), TypeError);
    assert.equal(checkClaimMap(ordersClaimMap).length, 5);
  });
});

describe('claim map from the RLS spec', () => {
  it("the orders claim map is exactly the sample spec's session keys", async () => {
    const { ordersSpec } = await import('../../../rls/sample/index.js');
    const { claimMapFromSpec } = await import('../../../functions/identity/claim-map-from-spec.js');
    assert.deepEqual(claimMapFromSpec(ordersSpec), ordersClaimMap);
  });

  it('defaults lengths by type and reads the claim name', async () => {
    const { claimMapFromSpec } = await import('../../../functions/identity/claim-map-from-spec.js');
    const map = claimMapFromSpec({ sessionKeys: [{ name: 'app_id', type: 'uuid', source: 'claim', claim: 'azp', required: true, multiValued: false }] });
    assert.deepEqual(map, [{ key: 'app_id', from: { claim: 'azp' }, required: true, maxLength: 36 }]);
  });
});
