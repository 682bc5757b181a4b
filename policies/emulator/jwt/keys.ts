/**
 * Signing keys for validate-jwt: OpenID discovery + JWKS with APIM's caching rules, and inline
 * keys. Modelled on jose's createRemoteJWKSet: keys cached for an hour, an unknown `kid`
 * refetches at most once per five minutes, concurrent callers share one fetch, every fetch is
 * bounded by a timeout and refuses redirects. Imported CryptoKeys are cached per algorithm, so
 * the hot path does no key import and no I/O.
 */
import { importJWK, type JWK } from 'jose';

export type ImportedKey = Awaited<ReturnType<typeof importJWK>>;

export const defaultKeyCacheMaxAgeMs = 60 * 60 * 1000;
export const defaultUnknownKidCooldownMs = 5 * 60 * 1000;
export const defaultFetchTimeoutMs = 5000;
/**
 * After a failed load, no new fetch for this long: "If the token being validated references a
 * validation key (using kid claim) that is missing in cached configuration, or if retrieval fails,
 * API Management pulls from the endpoint at most once per 5 min."
 * (https://learn.microsoft.com/azure/api-management/validate-jwt-policy, openid-config)
 */
export const defaultFailureBackoffMs = 5 * 60 * 1000;

export type FetchLike = (url: string, init: { signal: AbortSignal; redirect: 'manual'; headers: Record<string, string> }) => Promise<{ ok: boolean; status: number; json(): Promise<unknown> }>;

/** Which algorithms a key may verify (never `none`; HS* only for explicit symmetric keys). */
export function algorithmsFor(jwk: JWK): string[] {
  if (jwk.kty === 'RSA') return ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
  if (jwk.kty === 'EC') return jwk.crv === 'P-256' ? ['ES256'] : jwk.crv === 'P-384' ? ['ES384'] : jwk.crv === 'P-521' ? ['ES512'] : [];
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return ['EdDSA', 'Ed25519'];
  if (jwk.kty === 'oct') return ['HS256', 'HS384', 'HS512'];
  return [];
}

/** One verification key with its imported forms cached per algorithm. */
export class VerificationKey {
  readonly algorithms: readonly string[];
  private readonly imported = new Map<string, Promise<ImportedKey>>();
  constructor(
    readonly jwk: JWK,
    /** `kid` (JWKS) or `id` (inline key); undefined matches any token kid-less. */
    readonly id: string | undefined,
  ) {
    const declared = jwk.alg;
    const allowed = algorithmsFor(jwk);
    this.algorithms = declared ? allowed.filter((a) => a === declared) : allowed;
  }
  /** Imported keys by algorithm once their import has finished (read without awaiting). */
  private readonly ready = new Map<string, ImportedKey>();
  /** The key for `alg` when already imported, else undefined (then use forAlgorithm). */
  importedFor(alg: string): ImportedKey | undefined {
    return this.ready.get(alg);
  }
  /** The key for `alg`, imported once. */
  forAlgorithm(alg: string): Promise<ImportedKey> {
    let p = this.imported.get(alg);
    if (!p) {
      p =
        this.jwk.kty === 'oct'
          ? // jose imports raw HMAC bytes again on every verify; import a CryptoKey once instead
            crypto.subtle.importKey('raw', Buffer.from(this.jwk.k ?? '', 'base64url'), { name: 'HMAC', hash: `SHA-${alg.slice(2)}` }, false, ['verify'])
          : importJWK({ ...this.jwk, alg }, alg);
      p.then(
        (k) => this.ready.set(alg, k),
        () => this.imported.delete(alg),
      );
      this.imported.set(alg, p);
    }
    return p;
  }
}

/** Where validate-jwt gets keys from: inline keys or an OpenID configuration. */
export interface KeySource {
  /** Keys that may have signed a token with this `kid` (all keys when the token has none). */
  keysFor(kid: string | undefined): Promise<VerificationKey[]>;
  /** The same answer without awaiting when it needs no load (fresh cache, known kid), else undefined. */
  keysForNow?(kid: string | undefined): VerificationKey[] | undefined;
  /** Issuer named by the discovery document, when there is one. */
  issuer(): string | undefined;
  /** Why the last load of the keys failed, while no load has succeeded since (for the trace). */
  lastFailure?(): string | undefined;
}

export class StaticKeySource implements KeySource {
  constructor(private readonly keys: VerificationKey[]) {}
  keysFor(kid: string | undefined): Promise<VerificationKey[]> {
    return Promise.resolve(kid === undefined ? this.keys : this.keys.filter((k) => k.id === undefined || k.id === kid));
  }
  issuer(): undefined {
    return undefined;
  }
}

export interface OpenIdKeySourceOptions {
  fetch?: FetchLike;
  /** Milliseconds since the epoch; default Date.now. */
  now?: () => number;
  cacheMaxAgeMs?: number;
  unknownKidCooldownMs?: number;
  timeoutMs?: number;
}

/** Error while loading keys; the message never carries a token. */
export class KeyFetchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyFetchError';
  }
}

export class OpenIdKeySource implements KeySource {
  private keys: VerificationKey[] = [];
  private byKid = new Map<string, VerificationKey[]>();
  private discoveredIssuer: string | undefined;
  private loadedAt = -Infinity;
  private failedAt = -Infinity;
  private failure: string | undefined;
  private lastUnknownKidRefetch = -Infinity;
  private pending: Promise<void> | null = null;
  private readonly fetchImpl: FetchLike;
  private readonly now: () => number;
  private readonly maxAge: number;
  private readonly cooldown: number;
  private readonly timeoutMs: number;
  /** How many times the discovery document and JWKS were fetched (diagnostics and tests). */
  fetchCount = 0;

  constructor(
    readonly configUrl: string,
    options: OpenIdKeySourceOptions = {},
  ) {
    this.fetchImpl = options.fetch ?? (globalThis.fetch as unknown as FetchLike);
    this.now = options.now ?? Date.now;
    this.maxAge = options.cacheMaxAgeMs ?? defaultKeyCacheMaxAgeMs;
    this.cooldown = options.unknownKidCooldownMs ?? defaultUnknownKidCooldownMs;
    this.timeoutMs = options.timeoutMs ?? defaultFetchTimeoutMs;
    if (!(this.maxAge > 0) || !(this.cooldown >= 0) || !(this.timeoutMs > 0)) throw new RangeError('key cache durations must be positive');
  }

  issuer(): string | undefined {
    return this.discoveredIssuer;
  }

  lastFailure(): string | undefined {
    return this.failure;
  }

  keysForNow(kid: string | undefined): VerificationKey[] | undefined {
    if (this.now() - this.loadedAt >= this.maxAge) return undefined;
    return kid === undefined ? this.keys : this.byKid.get(kid);
  }

  async keysFor(kid: string | undefined): Promise<VerificationKey[]> {
    if (this.now() - this.loadedAt >= this.maxAge) {
      if (this.now() - this.failedAt < defaultFailureBackoffMs) {
        // the last load failed moments ago: serve stale keys, or fail, without another fetch
        if (this.keys.length === 0) throw new KeyFetchError(`keys from ${this.configUrl} are unavailable (${this.failure ?? 'the last fetch failed'}; no new fetch until 5 minutes after it)`);
      } else {
        try {
          await this.reload();
        } catch (err) {
          // a failed scheduled refresh keeps serving the cached keys ("Configuration ... is pulled
          // from the endpoint every 1 hour and cached"; a failed retrieval is retried at most once
          // per 5 min); with nothing cached the token is refused (fail closed)
          if (this.keys.length === 0) throw err;
        }
      }
    }
    if (kid === undefined) return this.keys;
    const found = this.byKid.get(kid);
    if (found) return found;
    // unknown kid: the issuer may have rotated; refetch at most once per cooldown
    const now = this.now();
    if (this.pending) await this.pending;
    else if (now - this.lastUnknownKidRefetch >= this.cooldown) {
      // one token with an unknown kid (a probe with a random kid as well as a rotated key) spends
      // the window: a key published after this refetch is seen at the next one, up to the
      // cooldown later — as APIM ("at most once per 5 min")
      this.lastUnknownKidRefetch = now;
      try {
        await this.reload();
      } catch {
        // the refetch failed: the cached keys stay; the token's kid is not among them
      }
    }
    return this.byKid.get(kid) ?? [];
  }

  private reload(): Promise<void> {
    if (!this.pending) {
      this.pending = this.load()
        .catch((err: unknown) => {
          this.failedAt = this.now();
          this.failure = err instanceof Error ? err.message : String(err);
          throw err;
        })
        .finally(() => {
        this.pending = null;
      });
    }
    return this.pending;
  }

  private async load(): Promise<void> {
    this.fetchCount++;
    const config = await this.getJson(this.configUrl);
    const jwksUri = typeof config === 'object' && config !== null ? (config as { jwks_uri?: unknown }).jwks_uri : undefined;
    if (typeof jwksUri !== 'string') throw new KeyFetchError(`OpenID configuration at ${this.configUrl} has no jwks_uri`);
    const iss = (config as { issuer?: unknown }).issuer;
    const jwks = await this.getJson(jwksUri);
    const list = typeof jwks === 'object' && jwks !== null ? (jwks as { keys?: unknown }).keys : undefined;
    if (!Array.isArray(list)) throw new KeyFetchError(`JWKS at ${jwksUri} has no keys array`);
    const keys: VerificationKey[] = [];
    for (const raw of list) {
      if (typeof raw !== 'object' || raw === null) continue;
      const jwk = raw as JWK;
      // only public signature keys; symmetric keys from a JWKS are never trusted
      if (jwk.kty === 'oct' || (jwk.use !== undefined && jwk.use !== 'sig') || 'd' in jwk) continue;
      keys.push(new VerificationKey(jwk, jwk.kid));
    }
    const byKid = new Map<string, VerificationKey[]>();
    for (const k of keys) if (k.id !== undefined) byKid.set(k.id, [...(byKid.get(k.id) ?? []), k]);
    this.keys = keys;
    this.byKid = byKid;
    this.discoveredIssuer = typeof iss === 'string' ? iss : undefined;
    this.loadedAt = this.now();
    this.failure = undefined;
  }

  private async getJson(url: string): Promise<unknown> {
    let res;
    try {
      res = await this.fetchImpl(url, { signal: AbortSignal.timeout(this.timeoutMs), redirect: 'manual', headers: { accept: 'application/json' } });
    } catch (err) {
      // undici says only "fetch failed"; the reason (ECONNREFUSED, a timeout, DNS) is its cause
      const cause = err instanceof Error && err.cause instanceof Error ? ` (${(err.cause as { code?: string }).code ?? err.cause.message})` : '';
      throw new KeyFetchError(`could not fetch ${url}: ${err instanceof Error ? err.message : String(err)}${cause}`);
    }
    if (!res.ok) throw new KeyFetchError(`fetching ${url} answered ${res.status}`);
    try {
      return await res.json();
    } catch {
      throw new KeyFetchError(`${url} did not answer JSON`);
    }
  }
}

/**
 * Shares OpenID key sources by configuration URL, so every policy (and every request) that names
 * the same URL uses one cache — as one APIM instance does.
 */
export class KeyCache {
  private readonly sources = new Map<string, OpenIdKeySource>();
  constructor(private readonly options: OpenIdKeySourceOptions = {}) {}
  openId(url: string): OpenIdKeySource {
    let s = this.sources.get(url);
    if (!s) {
      s = new OpenIdKeySource(url, this.options);
      this.sources.set(url, s);
    }
    return s;
  }
  /** Total fetches over all sources. */
  get fetchCount(): number {
    let n = 0;
    for (const s of this.sources.values()) n += s.fetchCount;
    return n;
  }
}
