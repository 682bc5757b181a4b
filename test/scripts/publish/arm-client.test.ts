import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isRetryable, retryAfterMs } from '../../../scripts/publish/estate/arm-client.js';

test('Retry-After: delta seconds or an HTTP date, else undefined', () => {
  const now = Date.parse('2026-11-29T12:00:00Z');
  assert.equal(retryAfterMs('7', now), 7000);
  assert.equal(retryAfterMs('0', now), 0);
  assert.equal(retryAfterMs('Sun, 29 Nov 2026 12:00:30 GMT', now), 30_000);
  assert.equal(retryAfterMs('Sun, 29 Nov 2026 11:00:00 GMT', now), 0, 'a date in the past: no wait');
  assert.equal(retryAfterMs(undefined, now), undefined);
  assert.equal(retryAfterMs('soon', now), undefined);
  assert.equal(retryAfterMs('-3', now), undefined);
});

test('retried: 429, 409 PessimisticConcurrencyConflict, 500/502/503/504; not: other 4xx, other 409s, 501', () => {
  for (const [status, code] of [[429, undefined], [409, 'PessimisticConcurrencyConflict'], [500, undefined], [502, undefined], [503, 'ServiceUnavailable'], [504, undefined]] as const) {
    assert.equal(isRetryable(status, code), true, `${status} ${code ?? ''}`);
  }
  for (const [status, code] of [[400, 'ValidationError'], [404, undefined], [409, 'Conflict'], [412, 'PreconditionFailed'], [501, undefined]] as const) {
    assert.equal(isRetryable(status, code), false, `${status} ${code ?? ''}`);
  }
});
