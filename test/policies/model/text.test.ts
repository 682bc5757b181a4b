/** String round trips through the shared writer and parser, in both forms. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { emitPolicy, parsePolicy } from '../../../policies/model/text.js';
import { buildPolicy } from '../../../policies/model/codec.js';
import { policyDocument, policyFragment } from '../../../policies/model/document.js';
import { semanticEqual } from '../../../policies/model/equal.js';
import { parsePolicyXml } from '../../../policies/xml/parse.js';
import { PolicyXmlError } from '../../../policies/xml/errors.js';
import { setHeader } from '../../../policies/elements/set-header.js';
import { setVariable } from '../../../policies/elements/set-variable.js';
import { raw, base } from '../../../policies/elements/base.js';
import { PolicyModelError } from '../../../policies/model/errors.js';
import { concat, csharpBlock, requestHeader, and, hasRequestHeader, lt, csharp } from '../../../policies/expressions/index.js';
import { elementSamples } from '../elements/samples.js';
import { productPolicies } from '../../../policies/product/index.js';
import { lintPolicy } from '../../../policies/lint/index.js';

const dir = join(import.meta.dirname, '..', '..', 'fixtures', 'policies');

test('parse(emit(model)) equals the model, in both forms, for every element sample and product policy', () => {
  const docs = [policyFragment(elementSamples()), ...productPolicies().map((p) => p.document)];
  for (const d of docs) {
    for (const form of ['xml', 'raw'] as const) assert.deepStrictEqual(parsePolicy(emitPolicy(d, { form })), d, form);
  }
});

test('emit(parse(xml)) is semantically the source for every fixture, in both forms', () => {
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.xml'))) {
    const text = readFileSync(join(dir, f), 'utf8');
    const tree = parsePolicyXml(text);
    for (const form of ['xml', 'raw'] as const) {
      const again = parsePolicyXml(emitPolicy(parsePolicy(text), { form }));
      assert.ok(semanticEqual(again, tree), `${f} (${form})`);
    }
  }
});

test('typed expressions: C# escaping inside, XML escaping outside (well-formed), verbatim in raw form', () => {
  const cond = and(hasRequestHeader('A"B'), lt(1, 2));
  const doc = policyDocument({
    inbound: [
      base(),
      setVariable({ name: 'v', value: cond }),
      setHeader({ name: 'X', existsAction: 'override', values: [concat('<tag attr="x">', requestHeader('Y'), ' & more')] }),
      setVariable({ name: 'b', value: csharpBlock<string>('\n  var s = "line";\n  return s + "\\t";\n') }),
    ],
  });
  const xml = emitPolicy(doc);
  assert.ok(xml.includes('value="@((context.Request.Headers.ContainsKey(&quot;A\\&quot;B&quot;)) &amp;&amp; (1 &lt; 2))"'), xml);
  assert.ok(xml.includes('<value>@("&lt;tag attr=\\"x\\"&gt;" + (context.Request.Headers.GetValueOrDefault("Y", "")) + " &amp; more")</value>'), xml);
  const rawText = emitPolicy(doc, { form: 'raw' });
  assert.ok(rawText.includes('value="@((context.Request.Headers.ContainsKey("A\\"B")) && (1 < 2))"'), rawText);
  assert.deepStrictEqual(parsePolicy(xml), doc);
  assert.deepStrictEqual(parsePolicy(rawText), doc);
  assert.equal(csharp('1').code, '@(1)');
});

test('raw() inserts parsed XML; it reads back as generic nodes; bad raw XML is refused with a code', () => {
  const doc = policyFragment([raw('<send-one-way-request mode="new"><set-url>https://x</set-url></send-one-way-request>')]);
  const tree = buildPolicy(doc);
  assert.deepEqual(tree.children[0], { kind: 'comment', value: ' apim-rls:raw ' });
  const child = tree.children[1];
  assert.ok(child?.kind === 'element' && child.name === 'send-one-way-request');
  const back = parsePolicy(emitPolicy(doc));
  assert.ok(back.kind === 'fragment' && back.policies[0]?.kind === 'comment' && back.policies[1]?.kind === 'xml');
  const findings = lintPolicy(tree);
  assert.ok(findings.some((f) => /raw XML/.test(f.message)), 'the linter sees the escape hatch');
  assert.throws(() => buildPolicy(policyFragment([raw('<a><b></a>')])), (e: unknown) => e instanceof PolicyModelError && e.code === 'ERR_POLICY_RAW_XML' && /line 1, column \d+/.test(e.message));
});

test('malformed text: PolicyXmlError with line and column', () => {
  assert.throws(() => parsePolicy('<policies>\n  <inbound>\n</policies>'), (e: unknown) => e instanceof PolicyXmlError && e.line > 0 && e.column > 0);
});
