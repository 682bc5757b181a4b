// One C# front end: the XML scanner, the linter and the liquid dialect use policies/csharp/ and
// never the emulator's internals (the linter used to load the emulator through the liquid Date filter).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../..', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

test('policies/csharp, xml, lint and liquid import nothing from the emulator', () => {
  const offenders: string[] = [];
  for (const dir of ['csharp', 'xml', 'lint', 'liquid']) {
    for (const file of sources(join(root, 'policies', dir))) {
      for (const m of readFileSync(file, 'utf8').matchAll(/^\s*(?:import|export)\b[^;]*?from\s+'([^']+)'/gm)) {
        if (m[1]!.includes('emulator')) offenders.push(`${relative(root, file)} → ${m[1]}`);
      }
    }
  }
  assert.deepEqual(offenders, []);
});

test('the XML scanner reads C# literals with the front end\'s lexer (no second literal reader)', () => {
  const scan = readFileSync(join(root, 'policies', 'xml', 'scan.ts'), 'utf8');
  assert.match(scan, /from '\.\.\/csharp\/lexer\.js'/);
  assert.doesNotMatch(scan, /verbatim && src\[pos \+ 1\] === '"'/);
});
