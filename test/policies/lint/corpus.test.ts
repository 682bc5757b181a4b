import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parsePolicyXml, PolicyXmlError } from '../../../policies/xml/index.js';
import { lintPolicy, RULES } from '../../../policies/lint/index.js';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const corpus = join(repoRoot, '..', 'shared', 'corpus', 'policy-snippets', 'examples');

function walk(d: string): string[] {
  return readdirSync(d)
    .flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : [join(d, f)]))
    .filter((f) => f.endsWith('.xml'));
}

test('the linter runs over the whole snippets corpus; every finding is located', (t) => {
  if (!existsSync(corpus)) return t.skip(`corpus not found at ${corpus}`);
  const ids = new Set(RULES.map((r) => r.id));
  const fired = new Set<string>();
  let linted = 0;
  for (const file of walk(corpus)) {
    let root;
    try {
      root = parsePolicyXml(readFileSync(file, 'utf8'));
    } catch (err) {
      assert.ok(err instanceof PolicyXmlError);
      continue;
    }
    linted++;
    for (const f of lintPolicy(root)) {
      assert.ok(ids.has(f.ruleId));
      assert.match(f.location.path, /^(policies|fragment)(\/[a-z][\w.:-]*(\[\d+\])?)*$/);
      assert.ok(f.location.line! >= 1 && f.location.column! >= 1, `${file}: ${f.ruleId} has no position`);
      fired.add(f.ruleId);
    }
  }
  assert.equal(linted, 58);
  // the corpus holds C# APIM would not compile ("latlong=""") and backends over http://
  assert.ok(fired.has('APIM501'));
  assert.ok(fired.has('APIM302'));
});
