/**
 * Signing keys as Entra publishes them: the OpenID configuration (discovery) is fetched once
 * (single flight, retried after a failure), its `jwks_uri` is read through the JWKS cache
 * (`jwks-cache.ts`: last good keys served while the issuer is away, a rotated key picked up on
 * the first token naming it, refetches bounded per kid and in total, every fetch bounded by a
 * timeout). Nothing is fetched at construction: the first verification pays for it.
 */
import type { JWTVerifyGetKey } from 'jose';
import { createJwksCache, KeySourceUnavailableError, type JwksCache, type JwksCacheOptions } from './jwks-cache.js';

export { KeySourceUnavailableError, type JwksCacheEvent, type JwksCacheOptions } from './jwks-cache.js';

export interface OpenIdKeySourceOptions {
  openidConfigUrl: string;
  /** default 5000 (discovery and every JWKS fetch) */
  timeoutInMs?: number;
  /** a kid the issuer answered without is refused without a refetch for this long; default 300000 */
  cooldownInMs?: number;
  /** the JWKS cache's other bounds, clock and event sink (see `JwksCacheOptions`) */
  jwks?: Omit<JwksCacheOptions, 'timeoutInMs' | 'unknownKidCooldownInMs'>;
}

export interface OpenIdKeySource {
  /** the issuer the OpenID configuration declares */
  issuer(): Promise<string>;
  /** the key resolver for `jwtVerify` */
  getKey: JWTVerifyGetKey;
  /** the JWKS cache's counters once discovery succeeded (tests, health) */
  jwksStats?(): JwksCache['stats'] | undefined;
}

interface Discovery {
  issuer: string;
  jwks: JwksCache;
}

export function createOpenIdKeySource(options: OpenIdKeySourceOptions): OpenIdKeySource {
  const timeoutInMs = options.timeoutInMs ?? 5000;
  const cooldownInMs = options.cooldownInMs ?? 300_000;
  let pending: Promise<Discovery> | undefined;
  let discovered: Discovery | undefined;

  async function discover(): Promise<Discovery> {
    let res: Response;
    try {
      res = await fetch(options.openidConfigUrl, { redirect: 'manual', signal: AbortSignal.timeout(timeoutInMs) });
    } catch (err) {
      throw new KeySourceUnavailableError('the OpenID configuration could not be fetched', { cause: err });
    }
    if (res.status !== 200) throw new KeySourceUnavailableError(`the OpenID configuration answered ${res.status}`);
    const doc = (await res.json()) as { issuer?: unknown; jwks_uri?: unknown };
    if (typeof doc.issuer !== 'string' || typeof doc.jwks_uri !== 'string') {
      throw new KeySourceUnavailableError('the OpenID configuration has no issuer or jwks_uri');
    }
    if (!/^https?:\/\//.test(doc.jwks_uri)) throw new KeySourceUnavailableError('the OpenID configuration has no http(s) jwks_uri');
    const jwks = createJwksCache(doc.jwks_uri, { ...options.jwks, timeoutInMs, unknownKidCooldownInMs: cooldownInMs });
    discovered = { issuer: doc.issuer, jwks };
    return discovered;
  }

  function discovery(): Promise<Discovery> {
    if (!pending) {
      pending = discover();
      // a failed discovery is retried by the next request, never cached
      pending.catch(() => {
        pending = undefined;
      });
    }
    return pending;
  }

  return {
    async issuer() {
      return (await discovery()).issuer;
    },
    getKey: async (header, token) => {
      const d = discovered ?? (await discovery());
      return d.jwks.getKey(header, token);
    },
    jwksStats: () => discovered?.jwks.stats,
  };
}
