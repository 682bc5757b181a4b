import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pgErrorToHttp } from '../../../functions/session/pg-errors.js';

const withCode = (code: string) => Object.assign(new Error('from the server: secret value 42'), { code });

describe('pgErrorToHttp', () => {
  it('a statement or lock timeout, a client-side timeout and a pool checkout timeout → 503 FN_510 with Retry-After', () => {
    const cases: [unknown, string][] = [
      [withCode('57014'), 'deadline:57014'],
      [withCode('55P03'), 'deadline:55P03'],
      [new Error('Query read timeout'), 'deadline:client_timeout'],
      [new Error('timeout exceeded when trying to connect'), 'deadline:pool_checkout'],
    ];
    for (const [err, reason] of cases) {
      const h = pgErrorToHttp(err);
      assert.equal(h.code, 'FN_510_DEADLINE_EXCEEDED', reason);
      assert.equal(h.status, 503);
      assert.equal(h.reason, reason);
      assert.ok((h.retryAfterSeconds ?? 0) > 0);
      assert.doesNotMatch(h.message, /secret|42/, 'no database message');
    }
  });

  it('a server going away or unreachable → 503 FN_503 with Retry-After', () => {
    for (const err of [withCode('57P01'), withCode('57P03'), withCode('53300'), withCode('08006'), withCode('ECONNREFUSED'), new Error('Connection terminated unexpectedly')]) {
      const h = pgErrorToHttp(err);
      assert.equal(h.code, 'FN_503_UNAVAILABLE');
      assert.ok((h.retryAfterSeconds ?? 0) > 0);
    }
  });

  it('anything else unknown → 500, never 503', () => {
    assert.equal(pgErrorToHttp(withCode('XX000')).code, 'FN_500_INTERNAL');
    assert.equal(pgErrorToHttp(new Error('timeout')).code, 'FN_500_INTERNAL');
  });
});
