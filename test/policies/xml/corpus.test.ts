import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XMLValidator } from 'fast-xml-parser';
import { parsePolicyXmlDocument, writePolicyXml, PolicyXmlError, type XmlElement, type XmlNode } from '../../../policies/xml/index.js';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const corpus = join(repoRoot, '..', 'shared', 'corpus', 'policy-snippets', 'examples');
const BROKEN = 'Filter response content based on product name.policy.xml';

function walk(d: string): string[] {
  return readdirSync(d)
    .flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : [join(d, f)]))
    .filter((f) => f.endsWith('.xml'))
    .sort();
}

/** The tree without positions and without whitespace-only text. */
function normalise(n: XmlNode): unknown {
  if (n.kind === 'element') {
    return {
      name: n.name,
      attributes: n.attributes,
      children: n.children
        .filter((c) => !(c.kind === 'text' && typeof c.value === 'string' && c.value.trim() === ''))
        .map(normalise),
    };
  }
  return { kind: n.kind, value: n.value };
}

function expressions(n: XmlNode, out: string[] = []): string[] {
  if (n.kind === 'element') {
    for (const a of n.attributes) if (typeof a.value !== 'string') out.push(a.value.code);
    for (const c of n.children) expressions(c, out);
  } else if (n.kind === 'text' && typeof n.value !== 'string') out.push(n.value.code);
  return out;
}

const files = existsSync(corpus) ? walk(corpus) : [];

test('the snippets corpus is present', (t) => {
  if (files.length === 0) return t.skip(`corpus not found at ${corpus}`);
  assert.equal(files.length, 59);
});

for (const file of files) {
  const name = file.slice(corpus.length + 1);
  if (name.endsWith(BROKEN)) continue;
  test(`corpus round trip: ${name}`, () => {
    const source = readFileSync(file, 'utf8');
    const doc = parsePolicyXmlDocument(source);
    assert.ok(doc.root.name === 'policies' || doc.root.name === 'fragment');
    const codes = expressions(doc.root);
    // each expression is a slice of the source (raw form) or of its entity-decoded text (well-formed form)
    const decoded = source.replace(/&(quot|lt|gt|apos|amp);/g, (_m, e: string) => ({ quot: '"', lt: '<', gt: '>', apos: "'", amp: '&' })[e] ?? '');
    for (const code of codes) {
      assert.ok(source.includes(code) || decoded.includes(code), `expression not byte for byte: ${code.slice(0, 60)}`);
    }
    for (const form of ['xml', 'raw'] as const) {
      const written = writePolicyXml(doc, { form });
      const again = parsePolicyXmlDocument(written);
      assert.deepEqual(normalise(again.root), normalise(doc.root), `${form} form changes the tree`);
      assert.deepEqual(expressions(again.root), codes);
      assert.equal(again.leading.length, doc.leading.length);
      // writing is canonical: a second pass changes nothing
      assert.equal(writePolicyXml(again, { form }), written);
    }
    // the well-formed form is XML that any strict parser accepts, with no masking at all
    assert.equal(XMLValidator.validate(writePolicyXml(doc, { form: 'xml' })), true);
  });
}

test('every element of every corpus file has a location inside the file', (t) => {
  if (files.length === 0) return t.skip(`corpus not found at ${corpus}`);
  for (const file of files) {
    if (file.endsWith(BROKEN)) continue;
    const source = readFileSync(file, 'utf8');
    const lines = source.split('\n');
    const visit = (el: XmlElement): void => {
      assert.ok(el.loc, `${el.name} has no loc`);
      const line = lines[el.loc.line - 1] ?? '';
      assert.equal(line.slice(el.loc.column - 1, el.loc.column + el.name.length), `<${el.name}`, `${file}: ${el.name}`);
      for (const c of el.children) if (c.kind === 'element') visit(c);
    };
    visit(parsePolicyXmlDocument(source).root);
  }
});

test('the broken corpus file gives ERR_XML_MALFORMED at the nested comment', (t) => {
  const file = files.find((f) => f.endsWith(BROKEN));
  if (file === undefined) return t.skip(`corpus not found at ${corpus}`);
  assert.throws(
    () => parsePolicyXmlDocument(readFileSync(file, 'utf8')),
    (err: unknown) => {
      assert.ok(err instanceof PolicyXmlError);
      assert.equal(err.code, 'ERR_XML_MALFORMED');
      assert.equal(err.line, 2);
      assert.equal(err.column, 1);
      assert.match(err.message, /line 2, column 1/);
      return true;
    },
  );
});
