import { test } from 'node:test';
import assert from 'node:assert/strict';
import { element, type XmlElement, type XmlExpression, type XmlNode } from '../../../policies/xml/tree.js';
import { chooseWireForm, planPublish } from '../../../scripts/publish/plan.js';
import { canonicalText } from '../../../scripts/publish/canonical.js';
import { missingNamedValues, referencedNamedValues } from '../../../scripts/publish/named-values.js';

const expr = (code: string): XmlExpression => ({ kind: 'expression', code, block: code.startsWith('@{') });
const text = (value: string | XmlExpression): XmlNode => ({ kind: 'text', value });
const ws = text('\n    ');

function policy(header: XmlElement, extraInbound: XmlNode[] = []): XmlElement {
  return element('policies', [], [
    ws,
    element('inbound', [], [ws, element('base'), ws, header, ...extraInbound, ws]),
    ws,
    element('backend', [], [element('base')]),
  ]);
}

const header = (value: string): XmlElement =>
  element('set-header', [{ name: 'name', value: 'x-user' }, { name: 'exists-action', value: 'override' }], [element('value', [], [text(expr(value))])]);
const headerReordered = (value: string): XmlElement =>
  element('set-header', [{ name: 'exists-action', value: 'override' }, { name: 'name', value: 'x-user' }], [text('  '), element('value', [], [text(expr(value))])]);

const target = { scope: 'api', apiId: 'orders' } as const;
const rendered = { raw: '<policies />', xml: '<policies />' };

test('attribute order and whitespace do not make a change', () => {
  const local = policy(header('@(context.User.Id)'));
  const remote = policy(headerReordered('@(context.User.Id)'));
  const plan = planPublish({ target, local, remote: { root: remote, etag: '"7"' }, rendered, sourceLabel: 'p.xml' });
  assert.equal(plan.action, 'unchanged');
  assert.equal(plan.diff, '');
  assert.equal(plan.ifMatch, '"7"');
});

test('an expression differing by one byte is a change, shown as a unified diff', () => {
  const local = policy(header('@(context.User.Id )'));
  const remote = policy(headerReordered('@(context.User.Id)'));
  const plan = planPublish({ target, local, remote: { root: remote, etag: '"7"' }, rendered, sourceLabel: 'p.xml' });
  assert.equal(plan.action, 'update');
  assert.match(plan.diff, /^--- apim: api orders\n\+\+\+ local: p\.xml\n@@ /);
  assert.ok(plan.diff.includes('\n-      <value>@(context.User.Id)</value>\n+      <value>@(context.User.Id )</value>\n'), plan.diff);
  // attributes are sorted in the canonical text, so the reordered header is not part of the diff
  assert.ok(!/^[-+].*set-header/m.test(plan.diff), plan.diff);
});

test('no policy in the service is a create, diffed against nothing', () => {
  const plan = planPublish({ target, local: policy(header('@("a")')), remote: undefined, rendered, sourceLabel: 'p.xml' });
  assert.equal(plan.action, 'create');
  assert.equal(plan.ifMatch, undefined);
  assert.match(plan.diff, /^--- apim: api orders \(none\)\n\+\+\+ local: p\.xml\n@@ -0,0 \+1,\d+ @@\n\+<policies>/);
});

test('wire format: xml when no expression needs escaping, else rawxml with the raw text', () => {
  assert.deepEqual(chooseWireForm({ raw: '<policies />', xml: '<policies />' }), { value: '<policies />', format: 'xml' });
  assert.deepEqual(chooseWireForm({ raw: '<a b="@("x")" />', xml: '<a b="@(&quot;x&quot;)" />' }), { value: '<a b="@("x")" />', format: 'rawxml' });
});

test('canonical text: sorted attributes, trimmed text, expressions verbatim, escaped literals', () => {
  const root = element('policies', [], [
    element('inbound', [], [
      element('set-variable', [{ name: 'value', value: expr('@(a < b && c)') }, { name: 'name', value: 'v' }]),
      element('set-body', [], [text('  a < b & c  ')]),
      { kind: 'comment', value: ' keep me ' },
    ]),
  ]);
  assert.equal(
    canonicalText(root),
    [
      '<policies>',
      '  <inbound>',
      '    <set-variable name="v" value="@(a < b && c)" />',
      '    <set-body>a &lt; b &amp; c</set-body>',
      '    <!-- keep me -->',
      '  </inbound>',
      '</policies>',
      '',
    ].join('\n'),
  );
});

test('named values: attributes, text and expressions count; liquid bodies and comments do not', () => {
  const root = element('policies', [], [
    element('inbound', [], [
      element('validate-jwt', [{ name: 'header-name', value: 'Authorization' }], [
        element('openid-config', [{ name: 'url', value: 'https://login.microsoftonline.com/{{tenant-id}}/v2.0/.well-known/openid-configuration' }]),
        element('audiences', [], [element('audience', [], [text('{{api-audience}}')])]),
      ]),
      element('set-header', [{ name: 'name', value: 'x' }], [element('value', [], [text(expr('@("{{header.prefix}}" + context.User.Id)'))])]),
      element('set-body', [{ name: 'template', value: 'liquid' }], [text('{"user": "{{body.user}}"}')]),
      { kind: 'comment', value: ' {{old-value}} ' },
    ]),
  ]);
  const refs = referencedNamedValues(root);
  assert.deepEqual(refs, ['api-audience', 'header.prefix', 'tenant-id']);
  assert.deepEqual(missingNamedValues(refs, new Set(['tenant-id', 'api-audience'])), ['header.prefix']);
});
