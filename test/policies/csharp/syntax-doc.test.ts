// docs/csharp-syntax.md's table of refused later-C# features is executable: each example is
// parsed and must be refused as CS_VERSION naming the version the table gives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CSharpError } from '../../../policies/csharp/diagnostics.js';
import { parseExpression } from '../../../policies/csharp/parse.js';
import { checkExpression } from '../../../policies/csharp/check/index.js';

const doc = readFileSync(fileURLToPath(new URL('../../../docs/csharp-syntax.md', import.meta.url)), 'utf8');

test('every row of the later-C# table in docs/csharp-syntax.md is refused with its version', () => {
  const start = doc.indexOf('<!-- section:csharp-versions -->');
  const end = doc.indexOf('<!-- /section:csharp-versions -->');
  assert.ok(start !== -1 && end > start);
  const rows = doc
    .slice(start, end)
    .split('\n')
    .filter((l) => /^\| `/.test(l))
    .map((l) => {
      const m = /^\| `(.+?)` \| .+ \| (\d+) \|$/.exec(l);
      assert.ok(m, l);
      return { example: m[1]!, version: m[2]! };
    });
  assert.ok(rows.length >= 15);
  for (const { example, version } of rows) {
    const code = example.startsWith('@{') ? example : `@(${example})`;
    assert.throws(
      () => parseExpression(code),
      (e: unknown) => e instanceof CSharpError && e.code === 'CS_VERSION' && e.detail.includes(` is C# ${version}; APIM compiles C# 7`),
      code,
    );
  }
});

test('the checker refusals the doc names are refused', () => {
  for (const code of [
    '@("x".GetType())',
    '@(context.Variables["x"].Length)',
    '@("a".StartsWith(\'a\'))',
    '@(string.Join(\',\', new[] { "a" }))',
    '@(1 + true)',
    '@(true ? 1 : null)',
    '@{ var x = null; return x; }',
    '@{ var f = (int x) => x; return 1; }',
    '@{ context.Variables["x"] = 1; return 1; }',
    '@{ try { return 1; } catch (FormatException) { return 2; } }',
    '@{ if (context.Request.Method == "GET") { return 1; } }',
  ]) {
    assert.equal(checkExpression(code)?.code, 'CS_TYPE', code);
  }
  // and what compiles through extension methods after the instance lookup
  assert.equal(checkExpression('@("abc".Contains(\'a\'))'), undefined);
});
