import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RULES } from '../../../policies/lint/index.js';

// the reference moved from README.md to docs/policies.md
const readme = readFileSync(fileURLToPath(new URL('../../../docs/policies.md', import.meta.url)), 'utf8');

test('the rules table in docs/policies.md lists exactly the rules in the code, with their severity and summary', () => {
  const start = readme.indexOf('<!-- section:policies-xml -->');
  const end = readme.indexOf('<!-- /section:policies-xml -->');
  assert.ok(start !== -1 && end > start, 'docs/policies.md has no policies-xml section');
  const rows = readme
    .slice(start, end)
    .split('\n')
    .filter((l) => /^\| APIM\d{3} \|/.test(l))
    .map((l) => {
      const cells = l.slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'));
      return { id: cells[0], severity: cells[1], summary: cells[2] };
    });
  assert.deepEqual(rows, RULES.map((r) => ({ id: r.id, severity: r.severity, summary: r.summary })));
});
