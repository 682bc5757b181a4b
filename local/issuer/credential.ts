/**
 * A managed-identity stand-in: a `TokenCredential`-shaped object whose `getToken(scopes)` returns
 * an app-only token from the dev issuer for one client id — what the gateway's
 * `authentication-managed-identity` sends to the backend as proof that a request came through it.
 *
 * Like `@azure/identity`, it caches one token per resource and refreshes it five minutes before
 * it expires, so the hot path never signs.
 */
import { oidForSubject, type MintRequest } from './mint.js';

/** The shape of `@azure/core-auth`'s `AccessToken`. */
export interface AccessToken {
  token: string;
  /** Milliseconds since the epoch. */
  expiresOnTimestamp: number;
}

/** The part of `@azure/core-auth`'s `TokenCredential` the gateway and the Functions use. */
export interface TokenCredentialLike {
  getToken(scopes: string | string[], options?: { abortSignal?: AbortSignal }): Promise<AccessToken | null>;
}

export interface DevCredentialOptions {
  /** The tenant of the app-only tokens; default `local`. */
  tenantId?: string;
  /** App roles granted to the identity on the resource (`roles` claim); none by default. */
  roles?: readonly string[];
  /** Lifetime of each token; default one hour. */
  ttlSeconds?: number;
}

/** Refresh this long before expiry, as `@azure/identity` does. */
export const refreshMarginMs = 5 * 60 * 1000;

/** `api://x/.default` → `api://x`; `https://database.windows.net//.default` → `https://database.windows.net/`; a bare resource stays as is. */
export function resourceForScope(scope: string): string {
  return scope.endsWith('/.default') ? scope.slice(0, -'/.default'.length) : scope;
}

export function createDevCredential(
  clientId: string,
  mint: (request: MintRequest) => Promise<string>,
  clock: () => number,
  options: DevCredentialOptions = {},
): TokenCredentialLike {
  if (typeof clientId !== 'string' || clientId === '') throw new TypeError('clientId must be a non-empty string');
  const ttlSeconds = options.ttlSeconds ?? 3600;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= refreshMarginMs / 1000) throw new RangeError('ttlSeconds must be an integer above 300');
  const principalId = oidForSubject('managed-identity:' + clientId);
  const cache = new Map<string, Promise<AccessToken>>();

  const fetchToken = async (resource: string): Promise<AccessToken> => {
    const iat = Math.floor(clock() / 1000);
    const request: MintRequest = {
      sub: principalId,
      oid: principalId,
      tid: options.tenantId ?? 'local',
      aud: resource,
      ttlSeconds,
      iat,
      extra: { azp: clientId, appid: clientId, idtyp: 'app' },
    };
    if (options.roles) request.roles = options.roles;
    return { token: await mint(request), expiresOnTimestamp: (iat + ttlSeconds) * 1000 };
  };

  return {
    async getToken(scopes, opts) {
      opts?.abortSignal?.throwIfAborted();
      const list = typeof scopes === 'string' ? [scopes] : scopes;
      const resources = [...new Set(list.map(resourceForScope))];
      if (resources.length !== 1 || resources[0] === '') throw new TypeError('getToken takes the scope(s) of exactly one resource');
      const resource = resources[0] as string;
      const cached = cache.get(resource);
      if (cached) {
        const token = await cached.catch(() => undefined);
        if (token && clock() < token.expiresOnTimestamp - refreshMarginMs) return token;
        if (cache.get(resource) !== cached) return (await cache.get(resource)) ?? null; // another caller refreshed meanwhile
      }
      // single flight: concurrent callers share one signing
      const pending = fetchToken(resource);
      cache.set(resource, pending);
      pending.catch(() => cache.delete(resource));
      return pending;
    },
  };
}
