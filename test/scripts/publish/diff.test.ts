import { test } from 'node:test';
import assert from 'node:assert/strict';
import { unifiedDiff } from '../../../scripts/publish/diff.js';

const labels = { fromLabel: 'apim', toLabel: 'local' };

test('equal texts give an empty diff', () => {
  assert.equal(unifiedDiff('a\nb\n', 'a\nb\n', labels), '');
  assert.equal(unifiedDiff('', '', labels), '');
});

test('one changed line shows as - then + with its context and line numbers', () => {
  const before = ['1', '2', '3', '4', '5', '6', '7', '8', '9'].join('\n') + '\n';
  const after = ['1', '2', '3', '4', 'five', '6', '7', '8', '9'].join('\n') + '\n';
  assert.equal(
    unifiedDiff(before, after, labels),
    ['--- apim', '+++ local', '@@ -2,7 +2,7 @@', ' 2', ' 3', ' 4', '-5', '+five', ' 6', ' 7', ' 8', ''].join('\n'),
  );
});

test('creating from nothing is one hunk of additions', () => {
  assert.equal(unifiedDiff('', 'a\nb\n', labels), ['--- apim', '+++ local', '@@ -0,0 +1,2 @@', '+a', '+b', ''].join('\n'));
});

test('distant changes make separate hunks; near ones merge', () => {
  const base = Array.from({ length: 20 }, (_, i) => `l${i + 1}`);
  const far = [...base];
  far[1] = 'X';
  far[17] = 'Y';
  const d = unifiedDiff(base.join('\n'), far.join('\n'), labels);
  assert.deepEqual(d.split('\n').filter((l) => l.startsWith('@@')), ['@@ -1,5 +1,5 @@', '@@ -15,6 +15,6 @@']);
  const near = [...base];
  near[5] = 'X';
  near[9] = 'Y';
  const d2 = unifiedDiff(base.join('\n'), near.join('\n'), labels);
  assert.deepEqual(d2.split('\n').filter((l) => l.startsWith('@@')), ['@@ -3,11 +3,11 @@']);
});

test('an insertion in the middle keeps the lines around it unchanged', () => {
  const d = unifiedDiff('a\nb\nc\n', 'a\nb\nnew\nc\n', { ...labels, context: 1 });
  assert.equal(d, ['--- apim', '+++ local', '@@ -2,2 +2,3 @@', ' b', '+new', ' c', ''].join('\n'));
});

test('a deletion is reported against the old line numbers', () => {
  const d = unifiedDiff('a\nb\nc\nd\n', 'a\nd\n', { ...labels, context: 0 });
  assert.equal(d, ['--- apim', '+++ local', '@@ -2,2 +1,0 @@', '-b', '-c', ''].join('\n'));
});
