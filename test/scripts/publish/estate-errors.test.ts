import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EstateErrorCode, isEstateInputError } from '../../../scripts/publish/estate/errors.js';
import { ExitCode } from '../../../scripts/exit-codes.js';

const repoRoot = new URL('../../..', import.meta.url).pathname;

test('the estate error table in docs/estate-publish.md lists every code with its exit code, and no other', () => {
  const doc = readFileSync(join(repoRoot, 'docs', 'estate-publish.md'), 'utf8');
  const start = doc.indexOf('<!-- section:estate -->');
  const end = doc.indexOf('<!-- /section:estate -->');
  assert.ok(start >= 0 && end > start, 'docs/estate-publish.md has the estate section');
  const rows = [...doc.slice(start, end).matchAll(/^\| `(ESTATE_[A-Z_]+)` \| (\d) \|/gm)].map((m) => [m[1], Number(m[2])]);
  const expected = Object.values(EstateErrorCode).map((c) => [c, isEstateInputError(c) ? ExitCode.BadInput : ExitCode.RuntimeFailure]);
  assert.deepEqual(rows.sort(), expected.sort());
});

test('estate codes are unique and grouped by stage', () => {
  const codes = Object.values(EstateErrorCode);
  assert.equal(new Set(codes).size, codes.length);
  for (const c of codes) assert.match(c, /^ESTATE_(INPUT|ARM)_[A-Z_]+$/);
});

test('the layout names in the docs are the ones the reader uses', async () => {
  const { LAYOUT } = await import('../../../scripts/publish/estate/layout.js');
  const doc = readFileSync(join(repoRoot, 'docs', 'estate-publish.md'), 'utf8');
  for (const name of Object.values(LAYOUT)) assert.ok(doc.includes(name), `docs/estate-publish.md names ${name}`);
});
