import { test } from 'node:test';
import assert from 'node:assert/strict';
import { identityChain, entraIssuer, entraOpenIdConfigUrl, type IdentityChainOptions } from '../../../policies/presets/identity.js';
import type { PolicyNode } from '../../../policies/model/nodes.js';
import type { ValidateJwt } from '../../../policies/elements/validate-jwt.js';

const base: IdentityChainOptions = {
  trust: { openidConfigUrls: ['https://issuer.example/.well-known/openid-configuration'], issuers: ['https://issuer.example/'] },
  audiences: ['api://orders'],
  forwardClaims: [
    { claim: 'tid', header: 'X-Identity-Tenant-Id' },
    { claim: 'oid', header: 'X-Identity-Object-Id' },
  ],
};

const jwtOf = (chain: PolicyNode[]): ValidateJwt => {
  const j = chain.find((n) => n.kind === 'validate-jwt');
  assert.ok(j?.kind === 'validate-jwt');
  return j;
};

const shape = (chain: PolicyNode[]): string[] =>
  chain.map((n) => (n.kind === 'set-header' ? `set-header:${String(n.name)}:${n.existsAction}` : n.kind));

test('the chain runs validate → strip → forward → correlation → managed identity, in that order', () => {
  const chain = identityChain({ ...base, maxTokenLifetimeSeconds: 3600, allowedCallerIps: ['10.0.0.1', { from: '10.1.0.0', to: '10.1.0.255' }], backendManagedIdentity: { resource: 'api://backend' } });
  assert.deepEqual(shape(chain), [
    'ip-filter',
    'validate-jwt',
    'set-variable',
    'choose',
    'choose',
    'set-header:X-Identity-Tenant-Id:delete',
    'set-header:X-Identity-Object-Id:delete',
    'set-header:X-MS-CLIENT-PRINCIPAL:delete',
    'set-header:X-MS-CLIENT-PRINCIPAL-ID:delete',
    'set-header:X-MS-CLIENT-PRINCIPAL-NAME:delete',
    'set-header:X-MS-CLIENT-PRINCIPAL-IDP:delete',
    'choose',
    'set-header:X-Identity-Tenant-Id:override',
    'set-header:X-Identity-Object-Id:override',
    'set-header:X-Request-Id:override',
    'authentication-managed-identity',
  ]);
});

test('validate-jwt fails closed: expiry and signatures required, Bearer scheme, token stored, forwarded claims required', () => {
  const j = jwtOf(identityChain(base));
  assert.equal(j.headerName, 'Authorization');
  assert.equal(j.requireExpirationTime, true);
  assert.equal(j.requireSignedTokens, true);
  assert.equal(j.requireScheme, 'Bearer');
  assert.equal(j.failedValidationHttpCode, 401);
  assert.equal(j.outputTokenVariableName, 'jwt');
  assert.equal(j.clockSkew, 0);
  assert.deepEqual(j.requiredClaims, [{ name: 'tid' }, { name: 'oid' }]);
  assert.deepEqual(j.issuers, ['https://issuer.example/']);
  assert.deepEqual(j.openidConfigs, [{ url: 'https://issuer.example/.well-known/openid-configuration' }]);
});

test('forwarded values come from the validated token, never from the request', () => {
  const chain = identityChain(base);
  const fwd = chain.filter((n) => n.kind === 'set-header' && n.existsAction === 'override' && String(n.name).startsWith('X-Identity-'));
  assert.equal(fwd.length, 2);
  for (const f of fwd) {
    assert.ok(f.kind === 'set-header' && f.values !== undefined);
    const v = f.values[0];
    assert.ok(typeof v === 'object');
    assert.ok(v.code.startsWith('@(Uri.EscapeDataString(((Jwt)context.Variables["jwt"]).Claims.GetValueOrDefault('), v.code);
  }
  // a list claim travels as a JSON array of its values (never comma-joined), percent-encoded
  const roles = identityChain({ ...base, forwardClaims: [{ claim: 'roles', header: 'X-Identity-Roles' }] }).find((n) => n.kind === 'set-header' && n.name === 'X-Identity-Roles' && n.existsAction === 'override');
  assert.ok(roles?.kind === 'set-header' && typeof roles.values?.[0] === 'object');
  assert.equal(
    roles.values[0].code,
    '@(Uri.EscapeDataString(JsonConvert.SerializeObject((((Jwt)context.Variables["jwt"]).Claims.ContainsKey("roles") ? ((Jwt)context.Variables["jwt"]).Claims["roles"] : new string[0]))))',
  );
});

test('roles (app permissions) versus scp (delegated, space-separated): checked after validation, 403 not 401', () => {
  const conditionOf = (chain: PolicyNode[]): string => {
    const at = chain.findIndex((n) => n.kind === 'validate-jwt');
    assert.equal(chain[at + 1]?.kind, 'set-variable', 'the claims-shape check follows validate-jwt');
    const next = chain[at + 3];
    assert.ok(next?.kind === 'choose', 'then the permission check');
    const json = JSON.stringify(next);
    assert.match(json, /"code":403/);
    const m = /"code":"(@\(.*?\))"/.exec(json);
    assert.ok(m, json);
    return JSON.parse(`"${m[1]}"`) as string;
  };
  const roles = identityChain({ ...base, permissions: { roles: ['Orders.Read', 'Orders.Write'] } });
  assert.equal(jwtOf(roles).requiredClaims?.some((c) => c.name === 'roles'), false, 'validate-jwt would answer 401');
  assert.equal(
    conditionOf(roles),
    '@(!((((Jwt)context.Variables["jwt"]).Claims.ContainsKey("roles") ? ((Jwt)context.Variables["jwt"]).Claims["roles"] : new string[0]).Intersect(new[] { "Orders.Read", "Orders.Write" }).Any()))',
  );
  const scopes = identityChain({ ...base, permissions: { scopes: ['orders.read', 'orders.write'], match: 'all' } });
  assert.equal(jwtOf(scopes).requiredClaims?.some((c) => c.name === 'scp'), false);
  const cond = conditionOf(scopes);
  assert.equal(cond, '@(!(!new[] { "orders.read", "orders.write" }.Except(((Jwt)context.Variables["jwt"]).Claims.GetValueOrDefault("scp", "").Split(\' \')).Any()))');
  assert.equal(cond.split('Split(').length, 2, 'the claim is split once');
  // a forwarded permission claim is not required to be present (its absence is a 403, not a 401)
  const fwd = identityChain({ ...base, permissions: { roles: ['A'] }, forwardClaims: [...(base.forwardClaims ?? []), { claim: 'roles', header: 'X-Identity-Roles' }] });
  assert.equal(jwtOf(fwd).requiredClaims?.some((c) => c.name === 'roles'), false);
  assert.equal(jwtOf(fwd).requiredClaims?.some((c) => c.name === 'oid'), true);
});

test('Entra v1 and v2 issuer forms; tenant allow-list enforced on tid', () => {
  assert.equal(entraIssuer('t1', 'v1'), 'https://sts.windows.net/t1/');
  assert.equal(entraIssuer('t1', 'v2'), 'https://login.microsoftonline.com/t1/v2.0');
  assert.equal(entraOpenIdConfigUrl('t1', 'v1'), 'https://login.microsoftonline.com/t1/.well-known/openid-configuration');
  assert.throws(() => entraIssuer('t1/../x', 'v1'), RangeError);
  const one = jwtOf(identityChain({ ...base, trust: { entra: { tenantIds: ['t1'], version: 'v2' } } }));
  assert.deepEqual(one.issuers, ['https://login.microsoftonline.com/t1/v2.0']);
  assert.deepEqual(one.openidConfigs, [{ url: 'https://login.microsoftonline.com/t1/v2.0/.well-known/openid-configuration' }]);
  assert.deepEqual(one.requiredClaims?.[0], { name: 'tid', match: 'any', values: ['t1'] });
  const many = jwtOf(identityChain({ ...base, trust: { entra: { tenantIds: ['t1', 't2'], version: 'both' } } }));
  assert.deepEqual(many.issuers, ['https://sts.windows.net/t1/', 'https://login.microsoftonline.com/t1/v2.0', 'https://sts.windows.net/t2/', 'https://login.microsoftonline.com/t2/v2.0']);
  assert.deepEqual(many.openidConfigs, [{ url: 'https://login.microsoftonline.com/organizations/v2.0/.well-known/openid-configuration' }]);
  assert.deepEqual(many.requiredClaims?.[0], { name: 'tid', match: 'any', values: ['t1', 't2'] });
  const allow = jwtOf(identityChain({ ...base, allowedTenants: ['t9'] }));
  assert.deepEqual(allow.requiredClaims?.[0], { name: 'tid', match: 'any', values: ['t9'] });
});

test('maximum token lifetime: a choose that answers 401 problem+json', () => {
  const chain = identityChain({ ...base, maxTokenLifetimeSeconds: 900, clockSkewSeconds: 30 });
  const c = chain[3];
  assert.ok(c?.kind === 'choose');
  const code = c.when[0].condition.code;
  assert.match(code, /\(\(\(Jwt\)context\.Variables\["jwt"\]\)\.ExpirationTime\.Value - \(\(Jwt\)context\.Variables\["jwt"\]\)\.IssuedAt\.Value\)\.TotalSeconds > 900/);
  assert.match(code, /IssuedAt\.Value > DateTime\.UtcNow\.AddSeconds\(30\)/, 'iat in the future beyond the skew');
  assert.match(code, /\(\(\(Jwt\)context\.Variables\["jwt"\]\)\.ExpirationTime\.Value - DateTime\.UtcNow\)\.TotalSeconds > 930\)$/, 'remaining lifetime');
  const rr = c.when[0].policies[0];
  assert.ok(rr?.kind === 'return-response');
  assert.equal(rr.status?.code, 401);
  assert.ok(rr.headers?.some((h) => h.name === 'Content-Type' && h.values?.[0] === 'application/problem+json'));
  assert.equal(identityChain(base).filter((n) => n.kind === 'choose').length, 2, 'only the claims-shape and reserved-header checks without a lifetime limit');
});

test('forwarded headers must live in the stripped namespace; misuse is refused', () => {
  assert.throws(() => identityChain({ ...base, forwardClaims: [{ claim: 'oid', header: 'X-User' }] }), RangeError);
  assert.throws(() => identityChain({ ...base, forwardClaims: [{ claim: 'oid', header: 'X-Identity-' }] }), RangeError);
  assert.throws(() => identityChain({ ...base, forwardClaims: [{ claim: 'oid', header: 'X-Identity-A' }, { claim: 'tid', header: 'x-identity-a' }] }), RangeError);
  assert.throws(() => identityChain({ ...base, identityHeaderPrefix: 'X Bad' }), RangeError);
  assert.throws(() => identityChain({ ...base, clockSkewSeconds: 3600 }), RangeError);
  const custom = identityChain({ ...base, identityHeaderPrefix: 'X-Caller-', forwardClaims: [{ claim: 'oid', header: 'X-Caller-Oid' }], correlationHeader: false });
  assert.ok(custom.some((n) => n.kind === 'set-header' && n.name === 'X-Caller-Oid' && n.existsAction === 'delete'));
  assert.ok(!custom.some((n) => n.kind === 'set-header' && n.name === 'X-Request-Id'));
});

test('explicit keys instead of discovery', () => {
  const j = jwtOf(identityChain({ ...base, trust: { issuers: ['https://i/'], issuerSigningKeys: [{ n: 'mod', e: 'AQAB' }] } }));
  assert.equal(j.openidConfigs, undefined);
  assert.deepEqual(j.issuerSigningKeys, [{ n: 'mod', e: 'AQAB' }]);
});
