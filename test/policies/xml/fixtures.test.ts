import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XMLValidator } from 'fast-xml-parser';
import { parsePolicyXmlDocument, writePolicyXml, type XmlNode } from '../../../policies/xml/index.js';
import { lintPolicy } from '../../../policies/lint/index.js';

// The hand-written policy documents of test/fixtures/policies (written from the APIM policy
// reference for the typed model) must also survive the XML layer alone, in both forms.
const dir = fileURLToPath(new URL('../../fixtures/policies', import.meta.url));
const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.xml')).sort() : [];

function normalise(n: XmlNode): unknown {
  if (n.kind !== 'element') return { kind: n.kind, value: n.value };
  return {
    name: n.name,
    attributes: n.attributes,
    children: n.children.filter((c) => !(c.kind === 'text' && typeof c.value === 'string' && c.value.trim() === '')).map(normalise),
  };
}

test('policy fixtures are present', (t) => {
  if (files.length === 0) return t.skip(`no fixtures at ${dir}`);
  assert.ok(files.length >= 40);
});

for (const f of files) {
  test(`fixture round trip and lint: ${f}`, () => {
    const doc = parsePolicyXmlDocument(readFileSync(join(dir, f), 'utf8'));
    for (const form of ['xml', 'raw'] as const) {
      const written = writePolicyXml(doc, { form });
      assert.deepEqual(normalise(parsePolicyXmlDocument(written).root), normalise(doc.root), form);
    }
    assert.equal(XMLValidator.validate(writePolicyXml(doc)), true);
    for (const finding of lintPolicy(doc.root)) assert.ok(finding.location.line !== undefined, finding.ruleId);
  });
}
