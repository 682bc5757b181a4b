/**
 * Builder output against the documented XML shape (policies/model/reference.ts, transcribed
 * from the APIM policy reference): every element and attribute name is documented, every
 * literal value is one the reference allows, required attributes are present — and every
 * documented attribute and child is produced by some builder (coverage of the reference).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { POLICY_REFERENCE, type DocumentedElement } from '../../../policies/model/reference.js';
import { buildPolicy } from '../../../policies/model/codec.js';
import { policyFragment } from '../../../policies/model/document.js';
import { isExpression, type XmlElement } from '../../../policies/xml/tree.js';
import { elementSamples } from './samples.js';
import { productPolicies } from '../../../policies/product/index.js';

const seen = new Set<string>();

function checkElement(el: XmlElement, doc: DocumentedElement, path: string): void {
  for (const a of el.attributes) {
    const kind = doc.attributes[a.name];
    assert.ok(kind !== undefined, `${path}: attribute ${a.name} is not documented`);
    seen.add(`${path}@${a.name}`);
    if (isExpression(a.value) || /^\{\{[^}]+\}\}$/.test(a.value)) continue;
    if (kind === 'int') assert.match(a.value, /^-?\d+$/, `${path}@${a.name}`);
    else if (kind === 'bool') assert.ok(a.value === 'true' || a.value === 'false', `${path}@${a.name}=${a.value}`);
    else if (Array.isArray(kind)) {
      assert.ok(kind.includes(a.value), `${path}@${a.name}=${a.value} not in ${kind.join('|')}`);
      seen.add(`${path}@${a.name}=${a.value}`);
    }
  }
  for (const r of doc.required ?? []) assert.ok(el.attributes.some((a) => a.name === r), `${path}: required ${r} missing`);
  const kids = el.children;
  if (doc.children === 'none') assert.equal(kids.filter((k) => k.kind !== 'text' || (typeof k.value === 'string' && k.value.trim() !== '')).length, 0, `${path}: no children documented`);
  else if (doc.children === 'text') assert.ok(kids.every((k) => k.kind === 'text' || k.kind === 'cdata'), `${path}: text only`);
  else if (doc.children === 'policies') kids.forEach((k) => k.kind === 'element' && checkPolicy(k));
  else {
    for (const k of kids) {
      if (k.kind !== 'element') continue;
      const d = doc.children[k.name];
      assert.ok(d !== undefined, `${path}: child <${k.name}> is not documented`);
      seen.add(`${path}/${k.name}`);
      checkElement(k, d, `${path}/${k.name}`);
    }
  }
}

function checkPolicy(el: XmlElement): void {
  const doc = POLICY_REFERENCE[el.name];
  assert.ok(doc !== undefined, `<${el.name}> is not a documented policy`);
  seen.add(el.name);
  checkElement(el, doc, el.name);
}

test('every builder writes only documented element and attribute names and allowed values', () => {
  const root = buildPolicy(policyFragment(elementSamples()));
  assert.equal(root.name, 'fragment');
  for (const c of root.children) {
    assert.equal(c.kind, 'element');
    checkPolicy(c as XmlElement);
  }
});

test('the samples cover every documented element, attribute, child and literal value', () => {
  const missing: string[] = [];
  const walk = (doc: DocumentedElement, path: string): void => {
    for (const [name, kind] of Object.entries(doc.attributes)) {
      if (!seen.has(`${path}@${name}`)) missing.push(`${path}@${name}`);
      if (Array.isArray(kind)) for (const v of kind) if (!seen.has(`${path}@${name}=${v}`)) missing.push(`${path}@${name}=${v}`);
    }
    if (typeof doc.children === 'object') {
      for (const [name, d] of Object.entries(doc.children)) {
        if (!seen.has(`${path}/${name}`)) missing.push(`${path}/${name}`);
        walk(d, `${path}/${name}`);
      }
    }
  };
  for (const [name, doc] of Object.entries(POLICY_REFERENCE)) {
    if (!seen.has(name)) missing.push(name);
    walk(doc, name);
  }
  assert.deepEqual(missing, []);
});

test('the reference table itself names a URL for every policy', () => {
  for (const [name, doc] of Object.entries(POLICY_REFERENCE)) assert.match(doc.url ?? '', /^https:\/\/learn\.microsoft\.com\/azure\/api-management\//, name);
});

test("the product's policies (identity preset included) use only documented names and values", () => {
  for (const p of productPolicies()) {
    const root = buildPolicy(p.document);
    for (const section of root.children) {
      assert.ok(section.kind === 'element');
      for (const c of section.children) if (c.kind === 'element') checkPolicy(c);
    }
  }
});
