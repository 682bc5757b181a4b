/**
 * The backend's JWKS cache: the issuer's signing keys, kept usable while the issuer is away and
 * picked up at once when it rotates. `jose`'s `createRemoteJWKSet` cannot express either (its
 * cache expires after `cacheMaxAge`, then every verification waits on a failing fetch; one global
 * cooldown delays a rotated key behind any made-up `kid`), so this wraps `createLocalJWKSet`
 * around its own fetch (bounded by `AbortSignal.timeout`, `redirect: 'manual'`, single flight).
 *
 * It follows Microsoft's "keys metadata caching algorithm"
 * (https://learn.microsoft.com/entra/identity-platform/signing-key-rollover#keys-metadata-caching-algorithm):
 *  - keys live 24 h (`maxStaleInMs`) and are refreshed every hour (`refreshIntervalInMs`) in the
 *    background: the request that notices the age does not wait for the refresh;
 *  - "the system continues to operate with the last known good configuration if new data cannot
 *    be fetched": a failed refresh keeps the last good keys (until `maxStaleInMs`) and is logged
 *    once per failure episode; it is retried at most every `refreshRetryInMs`;
 *  - a token that names an unknown `kid` refetches at once, on the hot path.
 * Microsoft limits that last refetch with one global 5-minute window; a made-up `kid` from an
 * unauthenticated caller would then block a real rotation for 5 minutes. Here the limit is per
 * `kid` (`unknownKidCooldownInMs`: a kid the issuer just showed absent is refused without a
 * fetch), at most `maxTrackedKids` kids are remembered, and every refetch for an unknown kid
 * takes a token from one bucket (`unknownKidFetchBurst`, refilled one per
 * `unknownKidFetchIntervalInMs`): however many kids a caller cycles through, the issuer sees at
 * most burst + one fetch per interval. A request whose kid is unknown while the bucket is empty
 * waits for the next fetch (shared with every other waiter), at most `maxUnknownKidRounds` rounds.
 *
 * Errors: a key the issuer answered without → `JWKSNoMatchingKey` (the token is not valid: 401);
 * no keys, or no answer from the issuer in time → `KeySourceUnavailableError` (503, never 401).
 */
import { createLocalJWKSet, errors as joseErrors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';

export class KeySourceUnavailableError extends Error {
  readonly code = 'FN_KEYS_UNAVAILABLE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KeySourceUnavailableError';
  }
}

/** What the cache reports: never a key, a token or a response body. */
export type JwksCacheEvent =
  | { event: 'keys_refresh_failed'; jwksUri: string; reason: string; servingKeysAgeMs: number | null }
  | { event: 'keys_refresh_recovered'; jwksUri: string; failedAttempts: number; outageMs: number }
  | { event: 'keys_expired'; jwksUri: string; ageMs: number };

export interface JwksCacheOptions {
  /** default 5000 (jose's `timeoutDuration`) */
  timeoutInMs?: number;
  /** background refresh after this age; default 1 h (Microsoft: "refreshes happening every hour") */
  refreshIntervalInMs?: number;
  /** last good keys are served at most this long after their fetch; default 24 h (Microsoft's TTL) */
  maxStaleInMs?: number;
  /** after a failed refresh, the next background attempt waits this long; default 30000 */
  refreshRetryInMs?: number;
  /** a kid the issuer answered without is refused without a refetch for this long; default 300000 (Microsoft's 5 min) */
  unknownKidCooldownInMs?: number;
  /** distinct absent kids remembered (oldest dropped first); default 100 */
  maxTrackedKids?: number;
  /** refetches for unknown kids without waiting; default 3 */
  unknownKidFetchBurst?: number;
  /** one more refetch for unknown kids per this interval; default 5000 (≤ 12 a minute sustained) */
  unknownKidFetchIntervalInMs?: number;
  /** safeguard on the rounds (joins, waits) of one request for an unknown kid; default 8 */
  maxUnknownKidRounds?: number;
  /** milliseconds since the epoch; default `Date.now` (tests pass a controllable clock) */
  now?: () => number;
  /** how a request waits for the bucket; default a timer (tests advance their clock instead) */
  sleep?: (ms: number) => Promise<void>;
  /** failure episodes and recoveries; default one JSON line through console.warn (the Functions worker forwards it to the host log) */
  onEvent?: (event: JwksCacheEvent) => void;
}

export interface JwksCache {
  getKey: JWTVerifyGetKey;
  /** counters for tests and health: fetches started, and by cause */
  readonly stats: { fetches: number; unknownKidFetches: number; failures: number };
}

interface KeySet {
  getKey: ReturnType<typeof createLocalJWKSet>;
  kids: ReadonlySet<string>;
  fetchedAt: number;
  /** which fetch produced it (fetches are numbered from 1 as they start) */
  seq: number;
}

interface Flight {
  seq: number;
  promise: Promise<KeySet>;
}

const maxJwksBytes = 512 * 1024;
/** longer kids are never tracked or fetched for (Entra's are ~30 characters) */
const maxKidLength = 256;

export function createJwksCache(jwksUri: string, options: JwksCacheOptions = {}): JwksCache {
  const timeoutInMs = positive(options.timeoutInMs ?? 5000, 'timeoutInMs');
  const refreshIntervalInMs = positive(options.refreshIntervalInMs ?? 3_600_000, 'refreshIntervalInMs');
  const maxStaleInMs = positive(options.maxStaleInMs ?? 24 * 3_600_000, 'maxStaleInMs');
  const refreshRetryInMs = nonNegative(options.refreshRetryInMs ?? 30_000, 'refreshRetryInMs');
  const kidCooldownInMs = nonNegative(options.unknownKidCooldownInMs ?? 300_000, 'unknownKidCooldownInMs');
  const maxTrackedKids = positive(options.maxTrackedKids ?? 100, 'maxTrackedKids');
  const burst = positive(options.unknownKidFetchBurst ?? 3, 'unknownKidFetchBurst');
  const intervalInMs = positive(options.unknownKidFetchIntervalInMs ?? 5000, 'unknownKidFetchIntervalInMs');
  const maxRounds = positive(options.maxUnknownKidRounds ?? 8, 'maxUnknownKidRounds');
  const now = options.now ?? (() => Date.now());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const onEvent = options.onEvent ?? ((e: JwksCacheEvent) => console.warn(JSON.stringify(e)));

  const stats = { fetches: 0, unknownKidFetches: 0, failures: 0 };
  let current: KeySet | undefined;
  let flight: Flight | undefined;
  let lastFailure: { seq: number; at: number; err: unknown } | undefined;
  let episode: { failures: number; since: number } | undefined;
  /** kid → when a completed fetch showed it absent (insertion order = age) */
  const absent = new Map<string, number>();
  let tokens = burst;
  let tokensAt = now();

  async function load(seq: number): Promise<KeySet> {
    let res: Response;
    try {
      res = await fetch(jwksUri, { redirect: 'manual', headers: { accept: 'application/json' }, signal: AbortSignal.timeout(timeoutInMs) });
    } catch (err) {
      throw new KeySourceUnavailableError('the signing keys could not be fetched', { cause: err });
    }
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => undefined);
      throw new KeySourceUnavailableError(`the JWKS endpoint answered ${res.status}`);
    }
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw new KeySourceUnavailableError('the JWKS response was cut off', { cause: err });
    }
    if (text.length > maxJwksBytes) throw new KeySourceUnavailableError('the JWKS response is too large');
    let jwks: JSONWebKeySet;
    try {
      jwks = JSON.parse(text) as JSONWebKeySet;
    } catch (err) {
      throw new KeySourceUnavailableError('the JWKS response is not JSON', { cause: err });
    }
    let getKey: KeySet['getKey'];
    try {
      getKey = createLocalJWKSet(jwks);
    } catch (err) {
      throw new KeySourceUnavailableError('the JWKS response is not a key set', { cause: err });
    }
    const kids = new Set(jwks.keys.map((k) => k.kid).filter((k): k is string => typeof k === 'string'));
    return { getKey, kids, fetchedAt: now(), seq };
  }

  /** One fetch at a time; every caller in the meantime shares it. */
  function start(): Flight {
    if (flight) return flight;
    stats.fetches++;
    const seq = stats.fetches;
    const promise = load(seq).then(
      (set) => {
        if (episode) onEvent({ event: 'keys_refresh_recovered', jwksUri, failedAttempts: episode.failures, outageMs: set.fetchedAt - episode.since });
        episode = undefined;
        lastFailure = undefined;
        current = set;
        // kids the new set holds are no longer absent
        for (const kid of set.kids) absent.delete(kid);
        return set;
      },
      (err: unknown) => {
        stats.failures++;
        const t = now();
        lastFailure = { seq, at: t, err };
        if (!episode) {
          episode = { failures: 0, since: t };
          onEvent({ event: 'keys_refresh_failed', jwksUri, reason: describe(err), servingKeysAgeMs: usable(t) ? t - current!.fetchedAt : null });
        }
        episode.failures++;
        throw err;
      },
    );
    const f: Flight = { seq, promise };
    flight = f;
    void promise.then(
      () => { if (flight === f) flight = undefined; },
      () => { if (flight === f) flight = undefined; },
    );
    return f;
  }

  function usable(t: number): boolean {
    if (!current) return false;
    if (t - current.fetchedAt <= maxStaleInMs) return true;
    onEvent({ event: 'keys_expired', jwksUri, ageMs: t - current.fetchedAt });
    current = undefined;
    return false;
  }

  /** The keys to verify with now: the last good set, refreshed in the background when due. */
  async function keySet(): Promise<KeySet> {
    const t = now();
    if (usable(t)) {
      const due = t - current!.fetchedAt > refreshIntervalInMs && (lastFailure === undefined || t - lastFailure.at >= refreshRetryInMs);
      if (due) start().promise.catch(() => undefined); // failures are logged in start()
      return current!;
    }
    try {
      return await start().promise;
    } catch (err) {
      throw unavailable(err);
    }
  }

  /** 0 when a refetch may start now (a token is taken), else the wait until the next token. */
  function takeToken(): number {
    const t = now();
    const refill = Math.floor((t - tokensAt) / intervalInMs);
    if (refill > 0) {
      tokens = Math.min(burst, tokens + refill);
      tokensAt = tokens === burst ? t : tokensAt + refill * intervalInMs;
    }
    if (tokens > 0) {
      tokens--;
      return 0;
    }
    return Math.max(1, tokensAt + intervalInMs - t);
  }

  function markAbsent(kid: string): void {
    absent.delete(kid);
    while (absent.size >= maxTrackedKids) {
      const oldest = absent.keys().next();
      if (oldest.done) break;
      absent.delete(oldest.value);
    }
    absent.set(kid, now());
  }

  /**
   * A kid the current keys lack: decided by the first fetch that started after this request
   * arrived (`seq > arrivedSeq`), so a fetch begun before the key was published never refuses it.
   */
  async function resolveUnknown(kid: string, arrivedSeq: number): Promise<KeySet> {
    if (kid.length > maxKidLength) throw new joseErrors.JWKSNoMatchingKey();
    for (let round = 0; round < maxRounds; round++) {
      const set = current;
      if (set?.kids.has(kid)) return set;
      if (set && set.seq > arrivedSeq) {
        markAbsent(kid); // the issuer answered after this token arrived, without its key
        throw new joseErrors.JWKSNoMatchingKey();
      }
      if (flight) {
        // join the fetch under way (if it began before this token arrived, look again after it)
        const late = flight.seq > arrivedSeq;
        try {
          await flight.promise;
        } catch (err) {
          if (late) throw unavailable(err);
        }
        continue;
      }
      if (lastFailure && lastFailure.seq > arrivedSeq) throw unavailable(lastFailure.err);
      const seen = absent.get(kid);
      if (seen !== undefined) {
        if (now() - seen < kidCooldownInMs) throw new joseErrors.JWKSNoMatchingKey(); // the issuer showed it absent lately
        absent.delete(kid);
      }
      const wait = takeToken();
      if (wait === 0) {
        stats.unknownKidFetches++;
        start().promise.catch(() => undefined); // joined in the next round
        continue;
      }
      await sleep(Math.min(wait, intervalInMs));
    }
    throw new KeySourceUnavailableError('the signing keys could not be refreshed in time for an unknown key id');
  }

  const getKey: JWTVerifyGetKey = async (header, token) => {
    const arrivedSeq = stats.fetches;
    let set = await keySet();
    const kid = header.kid;
    if (typeof kid === 'string' && !set.kids.has(kid)) set = await resolveUnknown(kid, arrivedSeq);
    return set.getKey(header, token);
  };

  return { getKey, stats };
}

function unavailable(err: unknown): KeySourceUnavailableError {
  return err instanceof KeySourceUnavailableError ? err : new KeySourceUnavailableError('the signing keys could not be fetched', { cause: err });
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return 'unknown error';
  const cause = err.cause;
  const code = cause instanceof Error ? ((cause as { code?: unknown }).code ?? (cause.cause as { code?: unknown } | undefined)?.code ?? cause.name) : undefined;
  return typeof code === 'string' ? `${err.message} (${code})` : err.message;
}

function positive(v: number, name: string): number {
  if (!Number.isFinite(v) || v <= 0) throw new RangeError(`${name} must be a positive number`);
  return v;
}

function nonNegative(v: number, name: string): number {
  if (!Number.isFinite(v) || v < 0) throw new RangeError(`${name} must be a non-negative number`);
  return v;
}
