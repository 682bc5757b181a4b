/**
 * The identity provider of a proof: the local issuer's key store (local/issuer, in a temporary
 * folder removed at the end) stands in for Entra ID at every OpenID configuration URL the policy
 * or the backend names. Nothing goes to the network: the emulator gets a `fetch` that answers
 * only discovery and JWKS requests, and the backend gets a key source over the same keys.
 *
 * One provider, one issuer: the caller tokens carry the issuer the backend expects
 * (`APIM_RLS_ISSUER`, else the prefix of its OpenID configuration URL — an OpenID provider
 * publishes its configuration at `{issuer}/.well-known/openid-configuration` and the document's
 * `issuer` must equal that prefix, OpenID Connect Discovery 1.0 §4 and §4.3:
 * https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderConfig). Every discovery
 * document advertises that issuer, so a gateway that trusts another issuer refuses the tokens,
 * as APIM would.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, type JWTPayload } from 'jose';
import { openKeyStore, type KeyStore } from '../../../local/issuer/keys.js';
import { signClaims } from '../../../local/issuer/mint.js';
import type { OpenIdKeySource } from '../../../functions/identity/keys.js';
import type { TokenCredentialLike } from '../../../policies/emulator/index.js';

export const discoverySuffix = '/.well-known/openid-configuration';
/** Where the provider's JWKS lives (a reserved name, RFC 2606: never resolved; only the proof's fetch answers it). */
export const proveJwksUri = 'https://apim-rls-prove.invalid/discovery/keys';
/** The lifetime of every token of a proof. */
const tokenTtlSeconds = 3600;

/** The issuer whose configuration lives at `url` (OpenID Connect Discovery 1.0 §4): the URL without the suffix. */
export function issuerOfDiscoveryUrl(url: string): string {
  const u = url.split(/[?#]/, 1)[0] ?? url;
  return u.endsWith(discoverySuffix) ? u.slice(0, -discoverySuffix.length) : u;
}

type FetchResponse = { ok: boolean; status: number; json(): Promise<unknown> };

export interface ProveIdentityProvider {
  readonly issuer: string;
  /** For the emulator (`EmulateOptions.fetch`): discovery and JWKS only; anything else is refused. */
  readonly fetch: typeof globalThis.fetch;
  /** The backend's key source (in place of discovery over the network). */
  readonly backendKeys: OpenIdKeySource;
  /** Signs a caller token with these claims (`iss`, `iat`, `nbf`, `exp` added; a claim set to undefined is left out). */
  mint(claims: Record<string, unknown>): Promise<string>;
  /** The gateway's managed identity: app-only tokens for a resource (`idtyp` app, `azp`/`appid` = client id). */
  credential(clientId: string, objectId: string): TokenCredentialLike;
  close(): Promise<void>;
}

export interface ProveIdentityProviderOptions {
  issuer: string;
  /** milliseconds since the epoch */
  now: () => number;
}

export async function openIdentityProvider(options: ProveIdentityProviderOptions): Promise<ProveIdentityProvider> {
  const dir = await mkdtemp(join(tmpdir(), 'apim-rls-prove-'));
  let store: KeyStore;
  try {
    store = await openKeyStore({ dir, clock: options.now });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const { issuer, now } = options;
  const jwks = { keys: store.publishedJwks() };
  const getKey = createLocalJWKSet(jwks);

  const answer = (status: number, body: unknown): FetchResponse => ({ ok: status >= 200 && status < 300, status, json: async () => body });
  const fetchImpl = async (input: string | URL | Request): Promise<FetchResponse> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (url === proveJwksUri) return answer(200, jwks);
    if ((url.split(/[?#]/, 1)[0] ?? '').endsWith(discoverySuffix)) {
      return answer(200, { issuer, jwks_uri: proveJwksUri, id_token_signing_alg_values_supported: ['RS256'] });
    }
    // a proof is hermetic: no other URL is fetched (forward-request goes to the in-process backend)
    return answer(404, {});
  };

  const sign = async (claims: Record<string, unknown>): Promise<string> => {
    const iat = Math.floor(now() / 1000);
    const payload: JWTPayload = { iss: issuer, iat, nbf: iat, exp: iat + tokenTtlSeconds };
    for (const [k, v] of Object.entries(claims)) if (v !== undefined) payload[k] = v;
    return signClaims(store.active(), payload);
  };

  return {
    issuer,
    fetch: fetchImpl as unknown as typeof globalThis.fetch,
    backendKeys: { issuer: async () => issuer, getKey },
    mint: sign,
    credential(clientId, objectId) {
      const cache = new Map<string, { token: string; expiresOnTimestamp: number }>();
      return {
        async getToken(scopes) {
          const list = typeof scopes === 'string' ? [scopes] : scopes;
          const scope = list[0] ?? '';
          const resource = scope.endsWith('/.default') ? scope.slice(0, -'/.default'.length) : scope;
          const hit = cache.get(resource);
          if (hit && now() < hit.expiresOnTimestamp - 300_000) return hit;
          const token = await sign({ sub: objectId, oid: objectId, aud: resource, azp: clientId, appid: clientId, idtyp: 'app', ver: '2.0' });
          const entry = { token, expiresOnTimestamp: now() + tokenTtlSeconds * 1000 };
          cache.set(resource, entry);
          return entry;
        },
      };
    },
    async close() {
      await rm(dir, { recursive: true, force: true });
    },
  };
}
