import { test } from 'node:test';
import assert from 'node:assert/strict';
import { element, writePolicyXml, parsePolicyXml, type XmlElement } from '../../../policies/xml/index.js';

const expr = (code: string) => ({ kind: 'expression' as const, code, block: code.startsWith('@{') });

function sample(): XmlElement {
  return element('policies', [], [
    element('inbound', [], [
      element('base'),
      element('check-header', [
        { name: 'name', value: 'Authorization' },
        { name: 'failed-check-httpcode', value: '401' },
        { name: 'failed-check-error-message', value: 'Not "authorized" & <bye>' },
        { name: 'ignore-case', value: 'false' },
      ]),
      element('choose', [], [
        element('when', [{ name: 'condition', value: expr('@(context.Request.Headers.GetValueOrDefault("A","") == "<b>" && true)') }], [
          element('set-body', [], [{ kind: 'text', value: expr('@(context.Request.Body.As<JObject>())') }]),
        ]),
      ]),
      { kind: 'comment', value: ' why ' },
    ]),
  ]);
}

test('well-formed form: canonical layout, source attribute order, entities escaped, <base />', () => {
  assert.equal(
    writePolicyXml(sample()),
    [
      '<policies>',
      '    <inbound>',
      '        <base />',
      '        <check-header name="Authorization" failed-check-httpcode="401" failed-check-error-message="Not &quot;authorized&quot; &amp; &lt;bye&gt;" ignore-case="false" />',
      '        <choose>',
      '            <when condition="@(context.Request.Headers.GetValueOrDefault(&quot;A&quot;,&quot;&quot;) == &quot;&lt;b&gt;&quot; &amp;&amp; true)">',
      '                <set-body>@(context.Request.Body.As&lt;JObject&gt;())</set-body>',
      '            </when>',
      '        </choose>',
      '        <!-- why -->',
      '    </inbound>',
      '</policies>',
      '',
    ].join('\n'),
  );
});

test('raw form: expressions verbatim as APIM exports them, plain values still escaped', () => {
  const raw = writePolicyXml(sample(), { form: 'raw', indent: '  ' });
  assert.ok(raw.includes('  <when condition="@(context.Request.Headers.GetValueOrDefault("A","") == "<b>" && true)">'));
  assert.ok(raw.includes('<set-body>@(context.Request.Body.As<JObject>())</set-body>'));
  assert.ok(raw.includes('failed-check-error-message="Not &quot;authorized&quot; &amp; &lt;bye&gt;"'));
  assert.ok(raw.startsWith('<policies>\n  <inbound>\n    <base />\n'));
});

test('mixed content is written inline with its whitespace; element-only content is re-indented', () => {
  const root = parsePolicyXml('<policies><inbound>\n\n\n<set-body template="liquid">\n  {{body.a}}\n  <x/> tail </set-body>   <base/></inbound></policies>');
  assert.equal(
    writePolicyXml(root),
    '<policies>\n    <inbound>\n        <set-body template="liquid">\n  {{body.a}}\n  <x /> tail </set-body>\n        <base />\n    </inbound>\n</policies>\n',
  );
});

test('writing is deterministic and a fixed point', () => {
  const once = writePolicyXml(sample());
  assert.equal(writePolicyXml(sample()), once);
  assert.equal(writePolicyXml(parsePolicyXml(once)), once);
  const raw = writePolicyXml(sample(), { form: 'raw' });
  assert.equal(writePolicyXml(parsePolicyXml(raw), { form: 'raw' }), raw);
});

test('the writer refuses what it cannot write faithfully', () => {
  assert.throws(() => writePolicyXml(element('policies', [{ name: 'a b', value: 'x' }])), TypeError);
  assert.throws(() => writePolicyXml(element('bad name')), TypeError);
  assert.throws(() => writePolicyXml(element('policies', [], [{ kind: 'comment', value: 'a -- b' }])), TypeError);
  assert.throws(() => writePolicyXml(element('policies', [], [{ kind: 'cdata', value: 'a ]]> b' }])), TypeError);
  assert.throws(() => writePolicyXml(element('policies', [{ name: 'a', value: '1' }, { name: 'a', value: '2' }])), TypeError);
  assert.throws(() => writePolicyXml(element('policies'), { indent: 'x' }), TypeError);
  // in the raw form an expression is verbatim: one that is not a single expression could break out of its attribute
  const injected = element('policies', [{ name: 'a', value: expr('@(x)" evil="1') }]);
  assert.throws(() => writePolicyXml(injected, { form: 'raw' }), /not one policy expression/);
  assert.throws(() => writePolicyXml(injected), /not one policy expression/);
  assert.throws(() => writePolicyXml(element('policies', [], [{ kind: 'text', value: expr('@(a</policies>') }]), { form: 'raw' }), TypeError);
  assert.throws(() => writePolicyXml(element('policies', [{ name: 'a', value: '@(looks like one' }])), /plain attribute value/);
});
