/**
 * The counters of rate-limit, rate-limit-by-key, quota and quota-by-key, shared by every
 * emulator of one gateway (as one APIM instance has one set of counters).
 *
 * - rate limits count in a **sliding window** of `renewal-period` seconds: a call counts until
 *   `renewal-period` seconds after it was made (https://learn.microsoft.com/azure/api-management/rate-limit-by-key-policy,
 *   "The length in seconds of the sliding window").
 * - quotas count in **fixed periods** of `renewal-period` seconds starting at `first-period-start`
 *   (https://learn.microsoft.com/azure/api-management/quota-by-key-policy, "The length in seconds
 *   of the fixed window after which the quota resets. The start of each period is calculated
 *   relative to first-period-start").
 *
 * "For each key value, a single counter is used for all scopes at which the policy is configured"
 * (both references): a counter is identified by the element, its period and the key value, not
 * by where the element was compiled.
 *
 * The map is bounded: when it holds `maxKeys` counters, the ones with nothing left to count
 * (every call out of the window, the period over) are dropped; if every counter is still live,
 * the oldest-created tenth is dropped (documented in docs/gateway-fidelity.md: a flood of keys
 * can then forget a live counter, which APIM's distributed store does not).
 */

/** Calls (or units) in a sliding window, oldest first. */
export class SlidingLog {
  private times: number[] = [];
  private counts: number[] = [];
  private head = 0;
  /** Units still inside the window (after `prune`). */
  total = 0;
  /** When the last counted call leaves the window (eviction). */
  expiresAt = 0;
  constructor(readonly periodMs: number) {}
  /** Drops what left the window: a call made at t counts while now < t + period. */
  prune(now: number): void {
    const limit = now - this.periodMs;
    const times = this.times;
    let head = this.head;
    while (head < times.length && times[head]! <= limit) this.total -= this.counts[head++]!;
    if (head > 64 && head * 2 > times.length) {
      this.times = times.slice(head);
      this.counts = this.counts.slice(head);
      head = 0;
    }
    this.head = head;
  }
  add(now: number, units: number): void {
    if (!(units > 0)) return;
    const last = this.times.length - 1;
    if (last >= this.head && this.times[last] === now) this.counts[last]! += units;
    else {
      this.times.push(now);
      this.counts.push(units);
    }
    this.total += units;
    this.expiresAt = now + this.periodMs;
  }
  /** Milliseconds until `units` more fit under `limit` (the period when they never fit). */
  waitMs(now: number, limit: number, units: number): number {
    let excess = this.total + units - limit;
    if (units > limit) return this.periodMs;
    for (let i = this.head; i < this.times.length; i++) {
      excess -= this.counts[i]!;
      if (excess <= 0) return Math.max(0, this.times[i]! + this.periodMs - now);
    }
    return this.periodMs;
  }
}

/** Calls and kilobytes in one fixed period. */
export class FixedPeriod {
  calls = 0;
  bytes = 0;
  constructor(
    readonly start: number,
    /** End of the period (exclusive). */
    readonly expiresAt: number,
  ) {}
}

export const DEFAULT_MAX_COUNTER_KEYS = 10_000;

export class LimitCounters {
  private readonly sliding = new Map<string, SlidingLog>();
  private readonly fixed = new Map<string, FixedPeriod>();
  constructor(readonly maxKeys: number = DEFAULT_MAX_COUNTER_KEYS) {
    if (!Number.isInteger(maxKeys) || maxKeys < 1) throw new RangeError('maxKeys must be a positive integer');
  }
  /** Number of counters held (both kinds). */
  get size(): number {
    return this.sliding.size + this.fixed.size;
  }
  /** The sliding window of `id`, pruned to `now`. */
  window(id: string, periodMs: number, now: number): SlidingLog {
    let log = this.sliding.get(id);
    if (log === undefined) {
      this.makeRoom(now);
      log = new SlidingLog(periodMs);
      this.sliding.set(id, log);
    } else log.prune(now);
    return log;
  }
  /** The fixed period of `id` holding `now`: periods of `periodMs` from `originMs`. */
  period(id: string, originMs: number, periodMs: number, now: number): FixedPeriod {
    let p = this.fixed.get(id);
    if (p !== undefined && now >= p.start && now < p.expiresAt) return p;
    const start = originMs + Math.floor((now - originMs) / periodMs) * periodMs;
    if (p === undefined) this.makeRoom(now);
    else this.fixed.delete(id);
    p = new FixedPeriod(start, start + periodMs);
    this.fixed.set(id, p);
    return p;
  }
  private makeRoom(now: number): void {
    if (this.size < this.maxKeys) return;
    for (const [id, log] of this.sliding) if (log.expiresAt <= now) this.sliding.delete(id);
    for (const [id, p] of this.fixed) if (p.expiresAt <= now || (p.calls === 0 && p.bytes === 0)) this.fixed.delete(id);
    if (this.size < this.maxKeys) return;
    // still full of live counters: drop the oldest-created tenth, so the next inserts do not sweep again
    let drop = this.size - this.maxKeys + Math.ceil(this.maxKeys / 10);
    for (const map of [this.sliding, this.fixed] as Map<string, unknown>[]) {
      for (const id of map.keys()) {
        if (drop <= 0) return;
        map.delete(id);
        drop--;
      }
    }
  }
}
