import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CHAIN_RULES } from '../../../scripts/chain/check/index.js';

const doc = readFileSync(fileURLToPath(new URL('../../../docs/chain.md', import.meta.url)), 'utf8');

test('the findings table in docs/chain.md lists exactly the findings in the code, with their severity and summary', () => {
  const start = doc.indexOf('<!-- section:chain-findings -->');
  const end = doc.indexOf('<!-- /section:chain-findings -->');
  assert.ok(start !== -1 && end > start, 'docs/chain.md has no chain-findings section');
  const rows = doc
    .slice(start, end)
    .split('\n')
    .filter((l) => /^\| CHAIN\d{3} \|/.test(l))
    .map((l) => {
      const cells = l.slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'));
      return { id: cells[0], severity: cells[1], summary: cells[2] };
    });
  assert.deepEqual(rows, CHAIN_RULES.map((r) => ({ id: r.id, severity: r.severity, summary: r.summary })));
});

test('every finding id is used by the check (none declared and never reported)', () => {
  const sources = ['index.ts', 'policy-backend.ts', 'backend-rls.ts', 'policy-rls.ts', 'limits.ts']
    .map((f) => readFileSync(fileURLToPath(new URL(`../../../scripts/chain/check/${f}`, import.meta.url)), 'utf8'))
    .join('\n');
  const cli = readFileSync(fileURLToPath(new URL('../../../scripts/commands/chain.ts', import.meta.url)), 'utf8');
  for (const r of CHAIN_RULES) assert.ok(sources.includes(`'${r.id}'`) || cli.includes(`'${r.id}'`), `${r.id} is reported somewhere`);
});
