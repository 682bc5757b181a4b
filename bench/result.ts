/** One benchmark result: a ratio of two rates measured in the same run (never an absolute time in a test). */
export interface BenchResult {
  name: string;
  /** measured rate of the subject divided by the rate of its baseline, in the same run */
  ratio: number;
  /** the target for the ratio, where it sets one */
  target?: number;
  /** extra figures: rates, round trips, units */
  [extra: string]: unknown;
}

/** A bench case module: `bench/cases/<area>.ts` default-exports one of these. */
export type BenchCase = () => Promise<BenchResult[]>;

/** Runs fn repeatedly for about `ms` milliseconds (after a short warm-up) and returns operations per second. */
export async function ratePerSecond(fn: () => Promise<unknown> | unknown, ms = 1500): Promise<number> {
  const warmUntil = performance.now() + Math.min(300, ms / 4);
  while (performance.now() < warmUntil) await fn();
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    await fn();
    n++;
    now = performance.now();
  }
  return (n * 1000) / (now - start);
}
