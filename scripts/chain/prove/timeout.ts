/** The bound of one call through the chain: past it the proof stops with CHAIN_PROVE_TIMEOUT (and closes every part). */
import { ProveError } from './errors.js';

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ProveError('CHAIN_PROVE_TIMEOUT', `${what} did not answer within ${ms} ms`)), ms);
  });
  p.catch(() => undefined); // a call abandoned at the timeout must not fail unobserved later
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
