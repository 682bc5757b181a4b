/** A call through the chain that never answers ends the proof at its bound, with a coded error. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProveError } from '../../../scripts/chain/prove/index.js';
import { withTimeout } from '../../../scripts/chain/prove/timeout.js';

test('a call that never answers is refused at its bound (CHAIN_PROVE_TIMEOUT); one that answers passes through', async () => {
  await assert.rejects(withTimeout(new Promise<never>(() => undefined), 20, 'GET /me'), (err: unknown) => err instanceof ProveError && err.code === 'CHAIN_PROVE_TIMEOUT' && err.message === 'GET /me did not answer within 20 ms');
  assert.equal(await withTimeout(Promise.resolve(7), 10_000, 'GET /orders'), 7);
  await assert.rejects(withTimeout(Promise.reject(new Error('boom')), 10_000, 'x'), /boom/);
});
