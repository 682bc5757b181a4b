/**
 * chain check: the product's chain checks clean; each test seeds exactly one mismatch into it and
 * asserts the finding's id (and, where it matters, where it points).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ordersSpec, ordersSpecInput } from '../../../rls/sample/spec.js';
import { identityChain } from '../../../policies/presets/identity.js';
import { policyDocument } from '../../../policies/model/document.js';
import { base } from '../../../policies/elements/base.js';
import { emitPolicy } from '../../../policies/model/text.js';
import { ordersClaimMap, type SessionKeyRule } from '../../../functions/identity/claim-map.js';
import { built, exampleSettings, findings, ids, seed } from './fixture.js';
import type { RlsSpecInput } from '../../../rls/spec/schema.js';

const api = built['orders-api'] as string;
const callerMode = { ...exampleSettings, APIM_RLS_AUTH_MODE: 'caller-token', APIM_RLS_GATEWAY_CLIENT_IDS: '' };
/** The orders API as built for a backend in caller-token mode: no managed-identity token replaces the caller's. */
const apiForCallerMode = seed(api, '<authentication-managed-identity resource="{{orders-backend-resource}}" />', '');

const OID_FORWARD = `<set-header name="X-Identity-Object-Id" exists-action="override">
            <value>@(Uri.EscapeDataString(((Jwt)context.Variables["jwt"]).Claims.GetValueOrDefault("oid", "")))</value>
        </set-header>`;
const REQUEST_ID_FORWARD = `<set-header name="X-Request-Id" exists-action="override">
            <value>@(context.RequestId.ToString())</value>
        </set-header>`;
const ROLES_ARRAY = 'new[] { &quot;Orders.Read&quot;, &quot;Orders.Write&quot;, &quot;Orders.Admin&quot; }';
const NAMESPACE_GUARD_CONDITION = 'h.StartsWith(&quot;X-Identity-&quot;, StringComparison.OrdinalIgnoreCase) || ';

function withSpec(edit: (s: RlsSpecInput) => void): RlsSpecInput {
  const s = structuredClone(ordersSpecInput) as RlsSpecInput;
  edit(s);
  return s;
}

function withRule(key: string, edit: (r: SessionKeyRule) => SessionKeyRule) {
  return ordersClaimMap.map((r) => (r.key === key ? edit(r) : r));
}

test('the product chain (policy build, the sample spec, local.settings.example.json) checks clean', () => {
  assert.deepEqual(findings(), []);
});

test('the product chain also checks clean for a backend in caller-token mode, without the managed-identity token', () => {
  assert.deepEqual(findings({ api: apiForCallerMode, settings: callerMode }), []);
});

test('CHAIN001: settings the backend would not start with', () => {
  const { APIM_RLS_AUDIENCE: _, ...settings } = exampleSettings;
  const f = findings({ settings });
  assert.deepEqual([...new Set(f.map((x) => x.id))], ['CHAIN001']);
  assert.equal(f[0]?.location.path, 'APIM_RLS_AUDIENCE');
});

test('CHAIN002: no token validation in the effective inbound', () => {
  const noValidation = api.replace(/<validate-jwt[\s\S]*?<\/validate-jwt>/, '');
  assert.ok(ids({ api: noValidation }).includes('CHAIN002'));
});

test('CHAIN003: a compared named value not given', () => {
  assert.deepEqual(ids({ namedValues: {} }), ['CHAIN003']);
});

test('CHAIN101: the header renamed in the policy', () => {
  const renamed = seed(api, '<set-header name="X-Identity-Object-Id" exists-action="override">', '<set-header name="X-Identity-ObjectId" exists-action="override">');
  const f = findings({ api: renamed });
  assert.deepEqual(f.map((x) => x.id), ['CHAIN101']);
  assert.equal(f[0]?.location.file, 'orders-api.xml');
  assert.match(f[0]?.message ?? '', /X-Identity-Object-Id/);
  assert.equal(typeof f[0]?.location.line, 'number');
});

test('CHAIN101: the backend reads another prefix than the policy forwards', () => {
  assert.ok(ids({ settings: { ...exampleSettings, APIM_RLS_IDENTITY_HEADER_PREFIX: 'X-Ident-' } }).includes('CHAIN101'));
});

test('CHAIN102: the header the backend reads set from a request header, from another claim, or before validation', () => {
  const fromHeader = seed(api, 'Uri.EscapeDataString(((Jwt)context.Variables["jwt"]).Claims.GetValueOrDefault("oid", ""))', 'Uri.EscapeDataString(context.Request.Headers.GetValueOrDefault("X-Caller", ""))');
  assert.deepEqual(ids({ api: fromHeader }), ['CHAIN102']);
  const fromSub = seed(api, 'Uri.EscapeDataString(((Jwt)context.Variables["jwt"]).Claims.GetValueOrDefault("oid", ""))', 'Uri.EscapeDataString(((Jwt)context.Variables["jwt"]).Claims.GetValueOrDefault("sub", ""))');
  assert.deepEqual(ids({ api: fromSub }), ['CHAIN102']);
  const literal = seed(api, '<value>@(Uri.EscapeDataString(((Jwt)context.Variables["jwt"]).Claims.GetValueOrDefault("oid", "")))</value>', '<value>00000000</value>');
  assert.deepEqual(ids({ api: literal }), ['CHAIN102']);
  // moved ahead of validate-jwt (and of the API's own strip, which would delete it again)
  const moved = seed(seed(api, OID_FORWARD, ''), '<set-header name="X-Identity-Object-Id" exists-action="delete" />', '');
  const before = seed(moved, '<base />\n        <validate-jwt', `<base />\n        ${OID_FORWARD}\n        <validate-jwt`);
  assert.deepEqual(ids({ api: before }), ['CHAIN102']);
});

test('CHAIN103: the roles header not as a JSON array', () => {
  const joined = seed(api, 'Uri.EscapeDataString(JsonConvert.SerializeObject(', 'Uri.EscapeDataString(string.Join(",", ');
  assert.deepEqual(ids({ api: joined }), ['CHAIN103']);
  // caller-token mode reads roles from the token, never from the header
  assert.deepEqual(ids({ api: seed(apiForCallerMode, 'Uri.EscapeDataString(JsonConvert.SerializeObject(', 'Uri.EscapeDataString(string.Join(",", '), settings: callerMode }), []);
  // but compares the object id header with the token when it is present
  const unencoded = seed(apiForCallerMode, '@(Uri.EscapeDataString(((Jwt)context.Variables["jwt"]).Claims.GetValueOrDefault("oid", "")))', '@(((Jwt)context.Variables["jwt"]).Claims.GetValueOrDefault("oid", ""))');
  assert.deepEqual(ids({ api: unencoded, settings: callerMode }), ['CHAIN103']);
});

test('CHAIN104: a header the backend reads is neither set, deleted nor refused', () => {
  const unguarded = seed(api, NAMESPACE_GUARD_CONDITION, '');
  const f = findings({ api: unguarded });
  assert.deepEqual(f.map((x) => x.id), ['CHAIN104']);
  assert.match(f[0]?.message ?? '', /X-Identity-Scopes/);
});

test('CHAIN105 (and CHAIN106): the audience off by one character', () => {
  const off = seed(apiForCallerMode, '<audience>api://apim-rls-orders</audience>', '<audience>api://apim-rls-order</audience>');
  const f = findings({ api: off, settings: callerMode });
  assert.deepEqual(f.map((x) => x.id), ['CHAIN105', 'CHAIN106']);
  assert.match(f[0]?.message ?? '', /one character away/);
  assert.equal(f[0]?.location.path, 'APIM_RLS_AUDIENCE');
});

test('CHAIN107: the managed-identity resource off by one character, or missing, in gateway-token mode', () => {
  const f = findings({ namedValues: { 'orders-backend-resource': 'api://apim-rls-orders-backen' } });
  assert.deepEqual(f.map((x) => x.id), ['CHAIN107']);
  assert.match(f[0]?.message ?? '', /one character apart/);
  assert.deepEqual(ids({ api: apiForCallerMode }), ['CHAIN107']);
});

test('CHAIN108: caller-token mode while the gateway replaces the caller\'s token', () => {
  assert.deepEqual(ids({ settings: callerMode }), ['CHAIN108']);
});

test('CHAIN109: the request id not forwarded, or from the caller', () => {
  assert.deepEqual(ids({ api: seed(api, REQUEST_ID_FORWARD, '') }), ['CHAIN109']);
  const fromCaller = seed(api, '@(context.RequestId.ToString())', '@(context.Request.Headers.GetValueOrDefault("X-Request-Id", context.RequestId.ToString()))');
  assert.deepEqual(ids({ api: fromCaller }), ['CHAIN109']);
  // no request-id key in the spec (and none in the claim map): nothing to forward
  const spec = withSpec((s) => {
    s.sessionKeys = s.sessionKeys.filter((k) => k.name !== 'request_id');
  });
  assert.deepEqual(ids({ api: seed(api, REQUEST_ID_FORWARD, ''), spec, claimMap: ordersClaimMap.filter((r) => r.key !== 'request_id') }), []);
});

test('CHAIN110: the issuer the backend pins is not one the policy accepts', () => {
  const settings = { ...callerMode, APIM_RLS_ISSUER: 'https://login.microsoftonline.com/contoso/v2.0' };
  const named = { 'entra-issuer': 'https://login.microsoftonline.com/contoso/v2.0/' };
  assert.deepEqual(ids({ api: apiForCallerMode, settings, namedValues: named }), ['CHAIN110']);
  assert.deepEqual(ids({ api: apiForCallerMode, settings, namedValues: { 'entra-issuer': settings.APIM_RLS_ISSUER } }), []);
  // an issuer the check cannot read is said so, not guessed
  assert.deepEqual(ids({ api: apiForCallerMode, settings, namedValues: {} }), ['CHAIN003']);
});

test('CHAIN201 / CHAIN202: a session key renamed in the backend', () => {
  assert.deepEqual(ids({ claimMap: withRule('user_oid', (r) => ({ ...r, key: 'user_id' })) }), ['CHAIN201', 'CHAIN202']);
});

test('CHAIN203: a session key from another claim in the backend', () => {
  assert.deepEqual(ids({ claimMap: withRule('user_oid', (r) => ({ ...r, from: { claim: 'sub' } })) }), ['CHAIN203']);
});

test('CHAIN204: a longer maxLength in the backend than in RLS', () => {
  const f = findings({ claimMap: withRule('tenant_id', (r) => ({ ...r, maxLength: 65 })) });
  assert.deepEqual(f.map((x) => x.id), ['CHAIN204']);
  assert.equal(f[0]?.location.path, 'sessionKeys.0.maxLength');
  // shorter is stricter: an info (callers with longer claims get 403), not an error
  const shorter = findings({ claimMap: withRule('tenant_id', (r) => ({ ...r, maxLength: 36 })) });
  assert.deepEqual(shorter.map((x) => [x.id, x.severity]), [['CHAIN207', 'info']]);
});

test('CHAIN205: the backend limit beyond what the RLS type holds, or a list against one value', () => {
  const uuidOwner = withSpec((s) => {
    const k = s.sessionKeys.find((x) => x.name === 'user_oid')!;
    k.type = 'uuid';
    delete k.maxLength;
    const orders = s.tables.find((t) => t.name === 'orders')!;
    orders.owner = { column: 'owner_oid', key: 'user_oid' };
  });
  assert.deepEqual(ids({ spec: uuidOwner }), ['CHAIN205']);
  assert.deepEqual(ids({ claimMap: withRule('roles', (r) => ({ key: r.key, from: r.from, required: r.required, maxLength: r.maxLength })) }), ['CHAIN205']);
});

test('CHAIN206: a key RLS requires that the backend treats as optional', () => {
  assert.deepEqual(ids({ claimMap: withRule('tenant_id', (r) => ({ ...r, required: false })) }), ['CHAIN206']);
});

test('CHAIN301: a required key\'s claim not validated', () => {
  // the backend maps `oid` but the policy neither requires nor forwards it: validated nowhere
  const noOid = seed(seed(api, '<claim name="oid" />', ''), OID_FORWARD, '');
  assert.ok(ids({ api: noOid }).includes('CHAIN301'));
  // and the per-caller rate limit, keyed by `oid`, is then keyed by a claim a token may lack
  assert.deepEqual(ids({ api: seed(api, '<claim name="oid" />', '') }), ['CHAIN301', 'CHAIN401']);
});

test('CHAIN302: a claim not forwarded', () => {
  const f = findings({ api: seed(api, OID_FORWARD, '') });
  assert.deepEqual(f.map((x) => x.id), ['CHAIN302']);
  assert.match(f[0]?.message ?? '', /"oid"/);
  // a claim the backend has no header for, in gateway-token mode
  const spec = withSpec((s) => {
    s.sessionKeys.push({ name: 'email', type: 'text', maxLength: 256, claim: 'email' });
  });
  const claimMap = [...ordersClaimMap, { key: 'email', from: { claim: 'email' }, required: false, maxLength: 256 }];
  assert.deepEqual(ids({ spec, claimMap }), ['CHAIN302']);
  // in caller-token mode the claim travels in the caller's token
  assert.deepEqual(ids({ api: apiForCallerMode, settings: callerMode, spec, claimMap }), []);
});

test('CHAIN303: a role dropped from the policy', () => {
  const f = findings({ api: seed(api, ROLES_ARRAY, 'new[] { &quot;Orders.Read&quot;, &quot;Orders.Write&quot; }') });
  assert.deepEqual(f.map((x) => x.id), ['CHAIN303']);
  assert.match(f[0]?.message ?? '', /Orders\.Admin/);
  assert.equal(f[0]?.location.file, 'spec.ts');
});

test('CHAIN303: an RLS-only role', () => {
  const spec = withSpec((s) => {
    s.tables[1]!.access!.select!.push({ roles: ['Orders.Audit'], scope: 'tenant' });
  });
  const f = findings({ spec });
  assert.deepEqual(f.map((x) => x.id), ['CHAIN303']);
  assert.equal(f[0]?.location.path, 'tables.1.access.select.2.roles');
});

test('CHAIN304: a role the policy admits that no RLS rule grants', () => {
  const f = findings({ api: seed(api, ROLES_ARRAY, 'new[] { &quot;Orders.Read&quot;, &quot;Orders.Write&quot;, &quot;Orders.Admin&quot;, &quot;Orders.Audit&quot; }') });
  assert.deepEqual(f.map((x) => x.id), ['CHAIN304']);
  assert.equal(f[0]?.location.file, 'orders-api.xml');
});

test('CHAIN304 is not reported when the spec has no role rules (every caller gets tenant-only access)', () => {
  const spec = withSpec((s) => {
    for (const t of s.tables) delete t.access;
  });
  assert.deepEqual(ids({ spec }), []);
});

test('CHAIN303 also reads a role gate in validate-jwt\'s required claims', () => {
  const gate = seed(api, '<claim name="oid" />', '<claim name="oid" />\n<claim name="roles" match="any"><value>Orders.Read</value><value>Orders.Write</value><value>Orders.Admin</value><value>Orders.Audit</value></claim>');
  assert.deepEqual(ids({ api: gate }), ['CHAIN304']);
});

test('CHAIN401: a rate limit keyed by something other than a validated claim', () => {
  const key = 'counter-key="@(((Jwt)context.Variables[&quot;jwt&quot;]).Claims.GetValueOrDefault(&quot;oid&quot;, &quot;&quot;))"';
  assert.deepEqual(ids({ api: seed(api, key, 'counter-key="@(context.Request.IpAddress)"') }), ['CHAIN401']);
  assert.deepEqual(ids({ api: seed(api, key, 'counter-key="@(context.Request.Headers.GetValueOrDefault(&quot;X-Identity-Object-Id&quot;, &quot;&quot;))"') }), ['CHAIN401']);
  assert.deepEqual(ids({ api: seed(api, key, 'counter-key="@(((Jwt)context.Variables[&quot;jwt&quot;]).Claims.GetValueOrDefault(&quot;email&quot;, &quot;&quot;))"') }), ['CHAIN401']);
});

test('the scope chain: the global scope\'s deletes after the API\'s forwards (its <base /> last) leave the backend no identity', () => {
  const late = seed(api, '<inbound>\n        <base />', '<inbound>').replace('</inbound>', '    <base />\n    </inbound>');
  const f = findings({ api: late });
  assert.deepEqual([...new Set(f.map((x) => x.id))], ['CHAIN302']);
  assert.deepEqual(f.map((x) => /"(\w+)"/.exec(x.message)?.[1]).sort(), ['oid', 'roles', 'tid']);
  // without the scope the same API policy is clean
  assert.deepEqual(ids({ api: late, global: '<policies><inbound /><backend><forward-request /></backend><outbound /><on-error /></policies>' }), []);
});

test('a policy built from the spec with an explicit override that disagrees with the backend is caught', () => {
  const doc = policyDocument({
    inbound: [
      base(),
      ...identityChain({
        trust: { openidConfigUrls: ['{{entra-openid-config}}'], issuers: ['{{entra-issuer}}'] },
        audiences: ['api://apim-rls-orders'],
        allowedTenants: ['{{entra-tenant-id}}'],
        contract: ordersSpec,
        // the override: the object id under another name than the backend reads
        forwardClaims: [{ claim: 'oid', header: 'X-Identity-Oid' }],
        backendManagedIdentity: { resource: '{{orders-backend-resource}}' },
      }),
    ],
    backend: [base()],
    outbound: [base()],
    onError: [base()],
  });
  assert.deepEqual(ids({ api: emitPolicy(doc, { form: 'xml' }) }), ['CHAIN101']);
});

test('either mode: the product chain is clean; the gateway token is checked as in gateway-token mode, callers\' audiences as in caller-token mode', () => {
  const either = { ...exampleSettings, APIM_RLS_AUTH_MODE: 'either' };
  assert.deepEqual(ids({ settings: either }), []);
  assert.deepEqual(ids({ settings: either, api: seed(api, OID_FORWARD, '') }), ['CHAIN302']);
  assert.deepEqual(ids({ settings: either, namedValues: { 'orders-backend-resource': 'api://apim-rls-orders-backen' } }), ['CHAIN107']);
  assert.deepEqual(ids({ settings: either, api: seed(api, '<audience>api://apim-rls-orders</audience>', '<audience>api://apim-rls-order</audience>') }), ['CHAIN105', 'CHAIN106']);
  // without a managed-identity token, either mode still accepts callers' own tokens
  assert.deepEqual(ids({ settings: either, api: apiForCallerMode }), []);
});
