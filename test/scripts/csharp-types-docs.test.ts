// docs/csharp-types.md is generated from the type table: this fails when the table changed and the
// document was not regenerated (npm run docs:csharp-types), so the reference is never written twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DOC, renderDocs } from '../../scripts/csharp-types/docs.js';
import { TYPES } from '../../policies/csharp/library/index.js';

test('docs/csharp-types.md is current with the type table', () => {
  assert.ok(readFileSync(DOC, 'utf8') === renderDocs(TYPES), 'docs/csharp-types.md is stale: run npm run docs:csharp-types');
});

test('the document lists every type, String.Split\'s overloads, and the restricted rows\' members', () => {
  const doc = renderDocs(TYPES);
  for (const t of TYPES) assert.ok(doc.includes(t.fullName), t.fullName);
  assert.ok(doc.includes('string[] Split(char[] separator, int count, StringSplitOptions options)'));
  assert.ok(!doc.includes('Split(string separator'));
  assert.ok(doc.includes('APIM allows only: `Index`, `Length`, `Value`, `ToString`.'));
  assert.match(doc, /### System\.Xml\.Linq\.XDocument\n[\s\S]*?Not allowed: `Load`\./);
});
