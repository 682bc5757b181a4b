import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PublishErrorCode, isInputError } from '../../../scripts/publish/errors.js';
import { ExitCode } from '../../../scripts/exit-codes.js';

const repoRoot = new URL('../../..', import.meta.url).pathname;

test("the publish error table in docs/publishing.md lists every code with its exit code, and no other", () => {
  const readme = readFileSync(join(repoRoot, 'docs', 'publishing.md'), 'utf8');
  const start = readme.indexOf('<!-- section:publish -->');
  const end = readme.indexOf('<!-- /section:publish -->');
  assert.ok(start >= 0 && end > start, 'docs/publishing.md has the publish section');
  const rows = [...readme.slice(start, end).matchAll(/^\| `(PUBLISH_[A-Z_]+)` \| (\d) \|/gm)].map((m) => [m[1], Number(m[2])]);
  const expected = Object.values(PublishErrorCode).map((c) => [c, isInputError(c) ? ExitCode.BadInput : ExitCode.RuntimeFailure]);
  assert.deepEqual(rows.sort(), expected.sort());
});

test('codes are unique and grouped by stage', () => {
  const codes = Object.values(PublishErrorCode);
  assert.equal(new Set(codes).size, codes.length);
  for (const c of codes) assert.match(c, /^PUBLISH_(INPUT|ARM)_[A-Z_]+$/);
});
