/** The effective policy: the scope chain folded as APIM runs it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePolicyXml, writePolicyXml, type XmlElement } from '../../../policies/xml/index.js';
import { effectivePolicy } from '../../../scripts/chain/check/effective.js';
import { walk } from '../../../policies/lint/walk.js';

const p = (file: string, xml: string) => ({ file, root: parsePolicyXml(xml) });
const names = (root: XmlElement, section: string) =>
  walk(root)
    .filter((v) => v.section === section && v.ancestors.length === 2)
    .map((v) => `${v.el.name}:${v.el.attributes.map((a) => (typeof a.value === 'string' ? a.value : a.value.code)).join(',')}`);

test('<base /> takes the enclosing scope\'s section; a scope without a section inherits it', () => {
  const global = p('global.xml', '<policies><inbound><set-header name="G" exists-action="delete" /></inbound><backend><forward-request /></backend><outbound /><on-error /></policies>');
  const product = p('product.xml', '<policies><inbound><set-header name="P1" exists-action="delete" /><base /><set-header name="P2" exists-action="delete" /></inbound></policies>');
  const api = p('api.xml', '<policies><inbound><base /><set-header name="A" exists-action="delete" /></inbound><outbound><set-header name="O" exists-action="delete" /></outbound></policies>');
  const e = effectivePolicy(api, [global, product]);
  assert.deepEqual(names(e.root, 'inbound'), ['set-header:P1,delete', 'set-header:G,delete', 'set-header:P2,delete', 'set-header:A,delete']);
  assert.deepEqual(names(e.root, 'backend'), ['forward-request:']);
  // the API's outbound has no <base />: the global's outbound is not run
  assert.deepEqual(names(e.root, 'outbound'), ['set-header:O,delete']);
  const files = walk(e.root).filter((v) => v.section === 'inbound' && v.ancestors.length === 2).map((v) => e.fileOf.get(v.el));
  assert.deepEqual(files, ['product.xml', 'global.xml', 'product.xml', 'api.xml']);
});

test('include-fragment is replaced by the fragment; named values are substituted where given', () => {
  const api = p('api.xml', '<policies><inbound><include-fragment fragment-id="f" /><include-fragment fragment-id="unknown" /><authentication-managed-identity resource="{{res}}" /><set-header name="X" exists-action="override"><value>{{other}}</value></set-header></inbound></policies>');
  const e = effectivePolicy(api, [], { f: p('f.xml', '<fragment><set-header name="F" exists-action="delete" /></fragment>') }, { res: 'api://backend' });
  assert.deepEqual(names(e.root, 'inbound'), ['set-header:F,delete', 'include-fragment:unknown', 'authentication-managed-identity:api://backend', 'set-header:X,override']);
  assert.match(writePolicyXml(e.root), /<value>\{\{other\}\}<\/value>/);
  const fragmentEl = walk(e.root).find((v) => v.el.name === 'set-header' && v.el.attributes[0]?.value === 'F');
  assert.equal(fragmentEl && e.fileOf.get(fragmentEl.el), 'f.xml');
});

test('the source trees are not changed', () => {
  const api = p('api.xml', '<policies><inbound><base /><authentication-managed-identity resource="{{res}}" /></inbound></policies>');
  const before = writePolicyXml(api.root);
  effectivePolicy(api, [p('g.xml', '<policies><inbound><set-header name="G" exists-action="delete" /></inbound></policies>')], {}, { res: 'x' });
  assert.equal(writePolicyXml(api.root), before);
});
