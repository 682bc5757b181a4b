/**
 * Signing keys as Entra publishes them: the OpenID configuration (discovery) is fetched once
 * (single flight, retried after a failure), its `jwks_uri` is read through `jose`'s
 * `createRemoteJWKSet` (cached, cooldown before refetching on an unknown `kid`, bounded by a
 * timeout). Nothing is fetched at construction: the first verification pays for it.
 */
import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';

export interface OpenIdKeySourceOptions {
  openidConfigUrl: string;
  /** default 5000 */
  timeoutInMs?: number;
  /** jose's cooldown before an unknown kid triggers a JWKS refetch; default 30000 */
  cooldownInMs?: number;
}

export interface OpenIdKeySource {
  /** the issuer the OpenID configuration declares */
  issuer(): Promise<string>;
  /** the key resolver for `jwtVerify` */
  getKey: JWTVerifyGetKey;
}

interface Discovery {
  issuer: string;
  getKey: JWTVerifyGetKey;
}

export class KeySourceUnavailableError extends Error {
  readonly code = 'FN_KEYS_UNAVAILABLE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KeySourceUnavailableError';
  }
}

export function createOpenIdKeySource(options: OpenIdKeySourceOptions): OpenIdKeySource {
  const timeoutInMs = options.timeoutInMs ?? 5000;
  const cooldownInMs = options.cooldownInMs ?? 30_000;
  let pending: Promise<Discovery> | undefined;

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
    const jwks = createRemoteJWKSet(new URL(doc.jwks_uri), { timeoutDuration: timeoutInMs, cooldownDuration: cooldownInMs });
    return { issuer: doc.issuer, getKey: jwks };
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
      const d = await discovery();
      return d.getKey(header, token);
    },
  };
}
