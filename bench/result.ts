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

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Rates of several subjects in short interleaved rounds, so a burst of load on a shared machine
 * hits all of them alike; the order within a round alternates. One record of rates per round:
 * report the median of the per-round ratios.
 */
export async function interleavedRounds<K extends string>(
  subjects: Record<K, () => Promise<unknown> | unknown>,
  options: { rounds: number; roundMs: number; beforeRound?: (round: number) => void },
): Promise<Record<K, number>[]> {
  const names = Object.keys(subjects) as K[];
  const perRound: Record<K, number>[] = [];
  for (let round = 0; round < options.rounds; round++) {
    options.beforeRound?.(round);
    const rates = {} as Record<K, number>;
    for (const name of round % 2 ? [...names].reverse() : names) rates[name] = await ratePerSecond(subjects[name], options.roundMs);
    perRound.push(rates);
  }
  return perRound;
}
