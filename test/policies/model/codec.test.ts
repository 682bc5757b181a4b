import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPolicy, readPolicy, decodeElement } from '../../../policies/model/codec.js';
import { policyDocument, policyFragment } from '../../../policies/model/document.js';
import { semanticEqual } from '../../../policies/model/equal.js';
import { PolicyModelError } from '../../../policies/model/errors.js';
import { element, type XmlElement, type XmlNode } from '../../../policies/xml/tree.js';
import { setHeader } from '../../../policies/elements/set-header.js';
import { base, comment } from '../../../policies/elements/base.js';
import { elementSamples } from '../elements/samples.js';

const t = (value: string): XmlNode => ({ kind: 'text', value });
const ex = (code: string) => ({ kind: 'expression' as const, code, block: code.startsWith('@{') });

test('every typed element reads back deep-equal to what was built (document and fragment)', () => {
  for (const sample of elementSamples()) {
    const doc = policyDocument({ inbound: [base(), sample] });
    assert.deepStrictEqual(readPolicy(buildPolicy(doc)), doc, sample.kind);
    const frag = policyFragment([sample, comment(' note ')]);
    assert.deepStrictEqual(readPolicy(buildPolicy(frag)), frag, sample.kind);
  }
});

test('policyDocument fills omitted sections with <base />, keeps given ones as given', () => {
  const doc = policyDocument({ inbound: [] });
  const xml = buildPolicy(doc);
  assert.deepEqual(xml.children.map((c) => (c as XmlElement).name), ['inbound', 'backend', 'outbound', 'on-error']);
  assert.equal((xml.children[0] as XmlElement).children.length, 0);
  assert.equal(((xml.children[1] as XmlElement).children[0] as XmlElement).name, 'base');
});

test('an element with an undocumented attribute is kept as a generic node, unchanged', () => {
  const el = element('set-header', [{ name: 'name', value: 'X' }, { name: 'bogus', value: '1' }], [element('value', [], [t('v')])]);
  const node = decodeElement(el);
  assert.equal(node.kind, 'xml');
  assert.equal(node.kind === 'xml' && node.node, el);
});

test('an element with a comment inside, or children out of documented order, stays generic', () => {
  const withComment = element('set-variable', [{ name: 'name', value: 'a' }, { name: 'value', value: 'b' }], [{ kind: 'comment', value: 'x' }]);
  assert.equal(decodeElement(withComment).kind, 'xml');
  const outOfOrder = element('validate-jwt', [{ name: 'header-name', value: 'Authorization' }], [
    element('audiences', [], [element('audience', [], [t('a')])]),
    element('openid-config', [{ name: 'url', value: 'https://x/' }]),
  ]);
  const node = decodeElement(outOfOrder);
  assert.equal(node.kind, 'xml');
  const inOrder = element('validate-jwt', [{ name: 'header-name', value: 'Authorization' }], [
    element('openid-config', [{ name: 'url', value: 'https://x/' }]),
    element('audiences', [], [element('audience', [], [t('a')])]),
  ]);
  assert.equal(decodeElement(inOrder).kind, 'validate-jwt');
});

test('values outside the documented set or not canonical stay generic (never coerced)', () => {
  assert.equal(decodeElement(element('set-header', [{ name: 'name', value: 'X' }, { name: 'exists-action', value: 'replace' }], [element('value', [], [t('v')])])).kind, 'xml');
  assert.equal(decodeElement(element('rate-limit-by-key', [{ name: 'calls', value: '010' }, { name: 'renewal-period', value: '60' }, { name: 'counter-key', value: 'k' }])).kind, 'xml');
  assert.equal(decodeElement(element('rewrite-uri', [{ name: 'template', value: '/a' }, { name: 'copy-unmatched-params', value: 'True' }])).kind, 'xml');
  const ok = decodeElement(element('rate-limit-by-key', [{ name: 'calls', value: '{{calls}}' }, { name: 'renewal-period', value: '60' }, { name: 'counter-key', value: ex('@(context.Subscription.Id)') }]));
  assert.deepStrictEqual(ok, { kind: 'rate-limit-by-key', calls: '{{calls}}', renewalPeriod: 60, counterKey: ex('@(context.Subscription.Id)') });
});

test('set-header delete with values, and validate-jwt with two token sources, are invalid: kept generic', () => {
  assert.equal(decodeElement(element('set-header', [{ name: 'name', value: 'X' }, { name: 'exists-action', value: 'delete' }], [element('value', [], [t('v')])])).kind, 'xml');
  assert.equal(decodeElement(element('validate-jwt', [{ name: 'header-name', value: 'A' }, { name: 'token-value', value: ex('@("x")') }])).kind, 'xml');
});

test('unknown policies and stray text are kept in place; whitespace is layout', () => {
  const send = element('send-request', [{ name: 'mode', value: 'new' }], [element('set-url', [], [t('https://x')])]);
  const root = element('policies', [], [t('\n  '), element('inbound', [], [t('\n'), element('base'), send, { kind: 'comment', value: ' c ' }])]);
  const doc = readPolicy(root);
  assert.equal(doc.kind, 'policies');
  assert.deepStrictEqual(doc.kind === 'policies' && doc.inbound, [{ kind: 'base' }, { kind: 'xml', node: send }, { kind: 'comment', text: ' c ' }]);
  assert.ok(semanticEqual(buildPolicy(doc), root));
});

test('root layout: comments, out-of-order and repeated sections survive', () => {
  const root = element('policies', [], [
    { kind: 'comment', value: 'top' },
    element('inbound', [], [element('base')]),
    element('on-error', [], [element('base')]),
    element('outbound', [], [element('base')]),
    element('outbound', [], []),
  ]);
  const doc = readPolicy(root);
  assert.ok(doc.kind === 'policies' && doc.layout !== undefined);
  assert.ok(semanticEqual(buildPolicy(doc), root));
  const plain = element('policies', [], [element('inbound', [], [element('base')]), element('outbound', [], [])]);
  const d2 = readPolicy(plain);
  assert.equal(d2.kind === 'policies' && d2.layout, undefined);
  assert.ok(semanticEqual(buildPolicy(d2), plain));
});

test('a root that is neither <policies> nor <fragment> is refused with a code', () => {
  assert.throws(() => readPolicy(element('inbound')), (e: unknown) => e instanceof PolicyModelError && e.code === 'ERR_POLICY_ROOT');
});

test('semantic equality: attribute order and whitespace aside, expressions byte for byte', () => {
  const a = element('x', [{ name: 'a', value: '1' }, { name: 'b', value: ex('@(1)') }], [t(' hi ')]);
  const b = element('x', [{ name: 'b', value: ex('@(1)') }, { name: 'a', value: '1' }], [t('hi'), t('  ')]);
  assert.ok(semanticEqual(a, b));
  assert.ok(!semanticEqual(a, element('x', [{ name: 'b', value: ex('@( 1)') }, { name: 'a', value: '1' }], [t('hi')])));
  assert.ok(!semanticEqual(a, element('x', [{ name: 'b', value: '@(1)' }, { name: 'a', value: '1' }], [t('hi')])));
});

test('a set-header inside choose inside retry decodes typed at every level', () => {
  const xml = buildPolicy(policyFragment([setHeader({ name: 'X', values: ['1'] })]));
  const inner = xml.children[0] as XmlElement;
  const root = element('fragment', [], [element('retry', [{ name: 'condition', value: ex('@(true)') }, { name: 'count', value: '2' }, { name: 'interval', value: '1' }], [
    element('choose', [], [element('when', [{ name: 'condition', value: ex('@(false)') }], [inner])]),
  ])]);
  const frag = readPolicy(root);
  assert.ok(frag.kind === 'fragment');
  const r = frag.policies[0];
  assert.ok(r?.kind === 'retry');
  const c = r.policies[0];
  assert.ok(c?.kind === 'choose');
  assert.equal(c.when[0].policies[0]?.kind, 'set-header');
});

test('comments before a <when> stay with it; a comment the model cannot place keeps the choose generic', () => {
  const when = (cond: string) => element('when', [{ name: 'condition', value: ex(cond) }], [element('base')]);
  const el = element('choose', [], [{ kind: 'comment', value: ' a ' }, when('@(true)'), { kind: 'comment', value: ' b ' }, { kind: 'comment', value: ' c ' }, when('@(false)')]);
  const node = decodeElement(el);
  assert.ok(node.kind === 'choose');
  assert.deepEqual(node.when.map((w) => w.comments), [[' a '], [' b ', ' c ']]);
  assert.ok(semanticEqual(buildPolicy(policyFragment([node])).children[0] as XmlNode, el));
  const trailing = element('choose', [], [when('@(true)'), { kind: 'comment', value: ' end ' }]);
  assert.equal(decodeElement(trailing).kind, 'xml');
  const beforeOtherwise = element('choose', [], [when('@(true)'), { kind: 'comment', value: ' x ' }, element('otherwise')]);
  assert.equal(decodeElement(beforeOtherwise).kind, 'xml');
});
