import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePolicyXml } from '../../../policies/xml/index.js';
import { lintPolicy, RULES, RAW_XML_MARKER, type LintOptions } from '../../../policies/lint/index.js';

const JWT_PARTS = {
  openid: '<openid-config url="https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration" />',
  audiences: '<audiences><audience>api://orders</audience></audiences>',
  issuers: '<issuers><issuer>https://login.microsoftonline.com/00000000-0000-0000-0000-000000000001/v2.0</issuer></issuers>',
};
function jwt(attrs = '', parts: Partial<typeof JWT_PARTS> = {}): string {
  const p = { ...JWT_PARTS, ...parts };
  return `<validate-jwt header-name="Authorization" failed-validation-httpcode="401" output-token-variable-name="jwt"${attrs}>${p.openid}${p.audiences}${p.issuers}</validate-jwt>`;
}
const DELETE = '<set-header name="X-Identity-Oid" exists-action="delete" />';
const FORWARD = (action = 'override', value = '@(((Jwt)context.Variables["jwt"]).Claims.GetValueOrDefault("oid", ""))') =>
  `<set-header name="X-Identity-Oid" exists-action="${action}"><value>${value}</value></set-header>`;
const MI = '<authentication-managed-identity resource="api://orders-backend" />';
const SAFE = [jwt(), DELETE, FORWARD(), MI];

/** A full policy document: `<base />` first in every section. */
function doc(inbound: string[], rest: { backend?: string[]; outbound?: string[]; onError?: string[] } = {}): string {
  const section = (name: string, items: string[] = []) => `  <${name}>\n    <base />\n    ${items.join('\n    ')}\n  </${name}>`;
  return `<policies>\n${section('inbound', inbound)}\n${section('backend', rest.backend)}\n${section('outbound', rest.outbound)}\n${section('on-error', rest.onError)}\n</policies>`;
}

interface Case {
  fires: string;
  clean: string;
  options?: LintOptions;
  /** Path the finding points at. */
  path?: string;
}

const cases: Record<string, Case> = {
  APIM101: { fires: doc([jwt('', { audiences: '' }), MI]), clean: doc(SAFE), path: 'policies/inbound/validate-jwt' },
  APIM102: { fires: doc([jwt('', { issuers: '<issuers />' }), MI]), clean: doc(SAFE) },
  APIM103: { fires: doc([jwt(' require-expiration-time="false"'), MI]), clean: doc([jwt(' require-expiration-time="true"'), MI]) },
  APIM104: { fires: doc([jwt(' require-signed-tokens="False"'), MI]), clean: doc([jwt(' require-signed-tokens="true"'), MI]) },
  APIM105: {
    fires: doc([jwt('', { openid: '<openid-config url="http://login.example.com/.well-known/openid-configuration" />' }), MI]),
    clean: doc(SAFE),
    path: 'policies/inbound/validate-jwt/openid-config',
  },
  APIM106: {
    fires: doc([jwt().replace('failed-validation-httpcode="401"', 'failed-validation-httpcode="403"'), MI]),
    clean: doc(SAFE),
  },
  APIM107: {
    fires: doc([jwt(' clock-skew="3600"'), MI]),
    // clean: the same skew under a larger configured maximum (see below)
    clean: doc([jwt(' clock-skew="3600"'), MI]),
  },
  APIM108: {
    fires: doc([jwt().replace('header-name="Authorization"', 'query-parameter-name="access_token"'), MI]),
    clean: doc(SAFE),
  },
  APIM109: { fires: doc([jwt('', { openid: '' }), MI]), clean: doc([jwt('', { openid: '<issuer-signing-keys><key>{{signing-key}}</key></issuer-signing-keys>' }), MI]) },
  APIM201: {
    fires: doc([DELETE, FORWARD(), MI]),
    clean: doc(SAFE),
    path: 'policies/inbound/set-header[2]',
  },
  APIM202: { fires: doc([jwt(), DELETE, FORWARD('append'), MI]), clean: doc(SAFE) },
  APIM203: { fires: doc([jwt(), FORWARD(), MI]), clean: doc(SAFE), path: 'policies/inbound/set-header' },
  APIM204: { fires: doc([jwt(), DELETE, FORWARD()]), clean: doc(SAFE) },
  APIM205: {
    fires: doc([...SAFE, '<rate-limit-by-key calls="10" renewal-period="60" counter-key="@(context.Request.IpAddress)" />']),
    clean: doc([...SAFE, '<rate-limit-by-key calls="10" renewal-period="60" counter-key="@(((Jwt)context.Variables[&quot;jwt&quot;]).Claims.GetValueOrDefault(&quot;oid&quot;, context.Request.IpAddress))" />']),
  },
  APIM206: {
    fires: doc([jwt(), DELETE, FORWARD('override', '@(context.Request.Headers.GetValueOrDefault("X-User", ""))'), MI]),
    clean: doc(SAFE),
  },
  APIM301: {
    fires: doc([...SAFE, '<set-header name="x-functions-key" exists-action="override"><value>aBcD1234eFgH5678</value></set-header>']),
    clean: doc([...SAFE, '<set-header name="x-functions-key" exists-action="override"><value>{{functions-key}}</value></set-header>']),
    path: 'policies/inbound/set-header[3]/value',
  },
  APIM302: {
    fires: doc([...SAFE, '<set-backend-service base-url="http://orders.internal.example.com/api" />']),
    clean: doc([...SAFE, '<set-backend-service base-url="https://orders.internal.example.com/api" />']),
  },
  APIM303: {
    fires: doc([...SAFE, '<trace source="debug"><message>@(context.Request.Headers.GetValueOrDefault("Authorization", ""))</message></trace>']),
    clean: doc([...SAFE, '<trace source="debug"><message>@(context.RequestId.ToString())</message></trace>']),
  },
  APIM401: {
    fires: doc(SAFE).replace('<policies>\n  <inbound>\n    <base />', '<policies>\n  <inbound>'),
    clean: doc(SAFE).replace(/<base \/>/g, ''),
    path: 'policies/inbound',
  },
  APIM402: {
    fires: doc([...SAFE, `<!-- ${RAW_XML_MARKER} -->`, '<xsl-transform><xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" /></xsl-transform>']),
    clean: doc([...SAFE, '<!-- hand-written -->', '<xsl-transform><xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" /></xsl-transform>']),
    path: 'policies/inbound/xsl-transform',
  },
  APIM403: { fires: doc(SAFE, { outbound: [jwt()] }), clean: doc(SAFE), path: 'policies/outbound/validate-jwt' },
  APIM404: { fires: doc(SAFE).replace('</policies>', '<inboud />\n</policies>'), clean: doc(SAFE), path: 'policies/inboud' },
  APIM405: { fires: doc([...SAFE, '<base />']), clean: doc(SAFE), path: 'policies/inbound/base[2]' },
  APIM406: {
    fires: doc(SAFE),
    clean: doc(SAFE).replace(/<base \/>/g, ''),
    options: { scope: 'global' },
  },
  APIM407: {
    fires: doc([...SAFE, '<rate-limit-by-key calls="1000" renewal-period="3600" counter-key="@(context.Request.IpAddress)" />']),
    clean: doc([...SAFE, '<rate-limit-by-key calls="100" renewal-period="300" counter-key="@(context.Request.IpAddress)" />', '<quota-by-key calls="1000" renewal-period="3600" counter-key="@(context.Request.IpAddress)" />']),
    path: 'policies/inbound/rate-limit-by-key',
  },
  APIM501: {
    fires: doc([...SAFE, '<set-variable name="v" value="@(context.Variables.ContainsKey("latlong="""))" />']),
    clean: doc([...SAFE, '<set-variable name="v" value="@(context.Variables.ContainsKey("latlong=\\"\\""))" />']),
  },
  APIM502: {
    fires: doc([...SAFE, '<set-header name="X-Request" exists-action="override"><value>id-@(context.RequestId)</value></set-header>']),
    clean: doc([...SAFE, '<set-header name="X-Request" exists-action="override"><value>@("id-" + context.RequestId)</value></set-header>']),
  },
  APIM503: {
    // liquid filters are PascalCase in APIM; a named value reference is not liquid
    fires: doc([...SAFE, '<set-body template="liquid">{"name": "{{ body.name | upcase }}", "region": "{{region-name}}"}</set-body>']),
    clean: doc([...SAFE, '<set-body template="liquid">{"name": "{{ body.name | Upcase }}", "region": "{{region-name}}"}</set-body>']),
  },
};

test('every rule has a firing and a clean case, and ids are unique, grouped and well-formed', () => {
  const ids = RULES.map((r) => r.id);
  assert.equal(new Set(ids).size, ids.length);
  assert.ok(ids.length >= 12);
  for (const r of RULES) {
    assert.match(r.id, /^APIM[1-5]\d\d$/);
    assert.ok(['error', 'warning', 'info'].includes(r.severity));
    assert.ok(r.summary.length > 10);
  }
  assert.deepEqual(Object.keys(cases).sort(), [...ids].sort());
});

for (const rule of RULES) {
  const c = cases[rule.id];
  if (c === undefined) continue;
  test(`${rule.id} fires`, () => {
    const findings = lintPolicy(parsePolicyXml(c.fires), c.options).filter((f) => f.ruleId === rule.id);
    assert.ok(findings.length >= 1, `${rule.id} did not fire`);
    const f = findings[0]!;
    assert.equal(f.severity, rule.severity);
    assert.ok(f.message.length > 10);
    assert.ok(typeof f.location.line === 'number' && typeof f.location.column === 'number');
    if (c.path !== undefined) assert.equal(f.location.path, c.path);
  });
  test(`${rule.id} stays quiet on the fixed policy`, () => {
    const options = rule.id === 'APIM107' ? { maxClockSkewSeconds: 3600 } : rule.id === 'APIM401' ? { scope: 'global' as const } : c.options;
    const findings = lintPolicy(parsePolicyXml(c.clean), options).filter((f) => f.ruleId === rule.id);
    assert.deepEqual(findings, []);
  });
}

test('the safe identity chain lints clean at API scope', () => {
  assert.deepEqual(lintPolicy(parsePolicyXml(doc(SAFE))), []);
});

test('a validation inside one choose branch does not protect what follows the choose', () => {
  const xml = doc([`<choose><when condition="@(true)">${jwt()}</when></choose>`, DELETE, FORWARD(), MI]);
  assert.deepEqual(lintPolicy(parsePolicyXml(xml)).map((f) => f.ruleId), ['APIM201']);
  const inside = doc([`<choose><when condition="@(true)">${jwt()}${DELETE}${FORWARD()}</when></choose>`, MI]);
  assert.deepEqual(lintPolicy(parsePolicyXml(inside)).map((f) => f.ruleId), []);
});

test('identity prefixes are configurable and case-insensitive', () => {
  const xml = doc([DELETE, '<set-header name="x-acme-user" exists-action="override"><value>@(context.Request.Headers.GetValueOrDefault("x-acme-user"))</value></set-header>', MI]);
  assert.deepEqual(lintPolicy(parsePolicyXml(xml)).map((f) => f.ruleId), []);
  const ids = lintPolicy(parsePolicyXml(xml), { identityHeaderPrefixes: ['X-ACME-'] }).map((f) => f.ruleId);
  assert.deepEqual(ids, ['APIM201', 'APIM203', 'APIM206']);
});

test('secrets: JWTs, SAS signatures and connection strings inside expressions; named values are fine', () => {
  const at = (inner: string) => lintPolicy(parsePolicyXml(doc([...SAFE, inner]))).filter((f) => f.ruleId === 'APIM301').length;
  assert.equal(at('<set-variable name="t" value="@("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abc")" />'), 1);
  assert.equal(at('<set-variable name="u" value="https://a.blob.core.windows.net/c?sv=2020&amp;sig=AbCdEfGhIjKlMnOpQrStUv%3D" />'), 1);
  assert.equal(at('<set-variable name="c" value="@("Endpoint=sb://x/;SharedAccessKeyName=k;SharedAccessKey=" + "abc")" />'), 0);
  assert.equal(at('<set-variable name="c" value="Endpoint=sb://x/;SharedAccessKey=AbCdEfGh12345678" />'), 1);
  assert.equal(at('<authentication-basic username="svc" password="hunter2hunter2" />'), 1);
  assert.equal(at('<authentication-basic username="svc" password="{{svc-password}}" />'), 0);
  assert.equal(at('<set-variable name="u" value="@("https://a/?sig={{sas-sig}}")" />'), 0);
});

test('options are checked', () => {
  const root = parsePolicyXml(doc(SAFE));
  assert.throws(() => lintPolicy(root, { scope: 'planet' as never }), TypeError);
  assert.throws(() => lintPolicy(root, { maxClockSkewSeconds: -1 }), TypeError);
  assert.throws(() => lintPolicy(root, { identityHeaderPrefixes: [''] }), TypeError);
  assert.deepEqual(lintPolicy(parsePolicyXml(cases.APIM103!.fires), { disable: ['APIM103'] }).filter((f) => f.ruleId === 'APIM103'), []);
});

test('a fragment is linted without the section rules', () => {
  const fragment = `<fragment>${jwt()}${DELETE}${FORWARD()}</fragment>`;
  assert.deepEqual(lintPolicy(parsePolicyXml(fragment)).map((f) => f.ruleId), ['APIM204']);
});

test('APIM407 also covers rate-limit and a quota period below 300 s', () => {
  const ids = (el: string) => lintPolicy(parsePolicyXml(doc([...SAFE, el]))).filter((f) => f.ruleId === 'APIM407').length;
  assert.equal(ids('<rate-limit calls="5" renewal-period="301" />'), 1);
  assert.equal(ids('<quota-by-key calls="5" renewal-period="60" counter-key="k" />'), 1);
  assert.equal(ids('<quota calls="5" renewal-period="0" />'), 0);
  assert.equal(ids('<rate-limit-by-key calls="5" renewal-period="{{period}}" counter-key="k" />'), 0);
});

test('APIM108 also covers validate-azure-ad-token', () => {
  const ad = (source: string) =>
    doc([`<validate-azure-ad-token tenant-id="contoso.onmicrosoft.com" ${source}><audiences><audience>api://orders</audience></audiences></validate-azure-ad-token>`, MI]);
  const ids = (xml: string) => lintPolicy(parsePolicyXml(xml)).map((f) => f.ruleId);
  assert.ok(ids(ad('query-parameter-name="token"')).includes('APIM108'));
  assert.ok(!ids(ad('header-name="Authorization"')).includes('APIM108'));
});

test('APIM503 names what does not parse: a file tag, an unclosed block, a snake_case filter', () => {
  for (const [template, problem] of [
    ["{% include 'other' %}", /tag "include" not found/],
    ['{% if body.a %}open', /not closed/],
    ['{{ body.a | upcase }}', /undefined filter: upcase/],
  ] as const) {
    const findings = lintPolicy(parsePolicyXml(doc([...SAFE, `<set-body template="liquid">${template}</set-body>`]))).filter((f) => f.ruleId === 'APIM503');
    assert.equal(findings.length, 1, template);
    assert.match(findings[0]!.message, problem);
    assert.equal(findings[0]!.location.path, 'policies/inbound/set-body');
  }
});
