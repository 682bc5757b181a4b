/** The identity preset given the RLS spec (or its claim map): what it derives, and what explicit options override. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { identityChain, identityFromContract, IDENTITY_HEADER_SUFFIXES, type IdentityChainOptions } from '../../../policies/presets/identity.js';
import { identityHeaderClaims } from '../../../functions/identity/trust-boundary.js';
import { claimMapFromSpec } from '../../../functions/identity/claim-map-from-spec.js';
import { ordersSpec, ordersSpecInput } from '../../../rls/sample/spec.js';
import { parseSpec } from '../../../rls/spec/load.js';
import type { PolicyNode } from '../../../policies/model/nodes.js';

const base: IdentityChainOptions = {
  trust: { openidConfigUrls: ['https://issuer.example/.well-known/openid-configuration'], issuers: ['https://issuer.example/'] },
  audiences: ['api://orders'],
};

const jwtOf = (chain: PolicyNode[]) => {
  const j = chain.find((n) => n.kind === 'validate-jwt');
  assert.ok(j?.kind === 'validate-jwt');
  return j;
};
const forwarded = (chain: PolicyNode[]) => chain.filter((n) => n.kind === 'set-header' && n.existsAction === 'override').map((n) => (n.kind === 'set-header' ? n.name : ''));

test('the header suffixes are the ones the Functions trust boundary reads, claim for claim', () => {
  assert.deepEqual(
    Object.entries(IDENTITY_HEADER_SUFFIXES).sort(),
    Object.entries(identityHeaderClaims).map(([suffix, claim]) => [claim, suffix]).sort(),
  );
});

test('the sample spec: forwards its keys\' claims under the backend\'s headers, requires the required ones, admits the roles its rules grant', () => {
  const d = identityFromContract(ordersSpec);
  assert.deepEqual(d.forwardClaims, [
    { claim: 'tid', header: 'X-Identity-Tenant-Id' },
    { claim: 'oid', header: 'X-Identity-Object-Id' },
    { claim: 'roles', header: 'X-Identity-Roles' },
  ]);
  assert.deepEqual(d.requiredClaims, ['tid', 'oid']);
  assert.deepEqual(d.roles, ['Orders.Read', 'Orders.Write', 'Orders.Admin']);
  assert.equal(d.requestId, true);
});

test('a chain from the spec equals the chain written out by hand', () => {
  const fromSpec = identityChain({ ...base, contract: ordersSpec });
  const byHand = identityChain({
    ...base,
    permissions: { roles: ['Orders.Read', 'Orders.Write', 'Orders.Admin'], match: 'any' },
    forwardClaims: [
      { claim: 'tid', header: 'X-Identity-Tenant-Id' },
      { claim: 'oid', header: 'X-Identity-Object-Id' },
      { claim: 'roles', header: 'X-Identity-Roles' },
    ],
  });
  assert.deepEqual(fromSpec, byHand);
  assert.deepEqual(jwtOf(fromSpec).requiredClaims?.map((c) => c.name), ['tid', 'oid']);
});

test('the claim map derived from the spec gives the same forwards and required claims, and no role check (it names no roles)', () => {
  const d = identityFromContract(claimMapFromSpec(ordersSpec));
  assert.deepEqual(d.forwardClaims, identityFromContract(ordersSpec).forwardClaims);
  assert.deepEqual(d.requiredClaims, ['tid', 'oid']);
  assert.equal(d.roles, undefined);
  const chain = identityChain({ ...base, contract: claimMapFromSpec(ordersSpec) });
  assert.ok(!JSON.stringify(chain).includes('"code":403'), 'no 403 role check');
});

test('explicit options override: a header renamed, an extra claim, other permissions, another prefix', () => {
  const chain = identityChain({
    ...base,
    contract: ordersSpec,
    identityHeaderPrefix: 'X-Caller-',
    forwardClaims: [{ claim: 'oid', header: 'X-Caller-Oid' }, { claim: 'sub', header: 'X-Caller-Subject' }],
    permissions: { roles: ['Orders.Read'] },
  });
  assert.deepEqual(forwarded(chain), ['X-Caller-Tenant-Id', 'X-Caller-Oid', 'X-Caller-Subject', 'X-Caller-Roles', 'X-Request-Id']);
  const check = chain.find((n) => n.kind === 'choose' && JSON.stringify(n).includes('"code":403'));
  assert.ok(check !== undefined && JSON.stringify(check).includes('Orders.Read') && !JSON.stringify(check).includes('Orders.Admin'));
});

test('a session key from a claim the backend reads from no header needs an explicit forward', () => {
  const spec = parseSpec({ ...structuredClone(ordersSpecInput), sessionKeys: [...ordersSpecInput.sessionKeys, { name: 'email', type: 'text', maxLength: 256, claim: 'email' }] });
  assert.throws(() => identityFromContract(spec), { name: 'RangeError', message: /claim email/ });
  const d = identityFromContract(spec, 'X-Identity-', [{ claim: 'email', header: 'X-Identity-Email' }]);
  assert.deepEqual(d.forwardClaims.map((f) => f.header), ['X-Identity-Tenant-Id', 'X-Identity-Object-Id', 'X-Identity-Roles', 'X-Identity-Email']);
});

test('a spec without role rules admits every authenticated caller', () => {
  const input = structuredClone(ordersSpecInput) as { tables: { access?: unknown }[]; rolesKey?: string };
  for (const t of input.tables) delete t.access;
  const d = identityFromContract(parseSpec(input));
  assert.equal(d.roles, undefined);
});
