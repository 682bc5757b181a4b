/**
 * Minting without a running issuer: what `apim-rls token` does. Loads the key folder (creating
 * a first key when missing) and signs with its active key, so the token verifies against a
 * running issuer on the same folder.
 */
import { openKeyStore } from './keys.js';
import { mintToken, type MintRequest } from './mint.js';
import { defaultIssuerPort } from './server.js';

/** The issuer a running dev issuer on the default port advertises. */
export const defaultIssuerUrl = `http://127.0.0.1:${defaultIssuerPort}`;

export interface MintFromKeyDirOptions {
  keyDir: string;
  /** The `iss` to mint; default: the URL the last issuer on this folder advertised, else {@link defaultIssuerUrl}. */
  issuer?: string;
  /** Milliseconds since the epoch; `Date.now` by default. */
  clock?: () => number;
}

export async function mintFromKeyDir(request: MintRequest, options: MintFromKeyDirOptions): Promise<{ token: string; issuer: string; kid: string }> {
  const clock = options.clock ?? Date.now;
  const store = await openKeyStore({ dir: options.keyDir, clock });
  const issuer = options.issuer ?? store.storedIssuer() ?? defaultIssuerUrl;
  const key = store.active();
  const token = await mintToken(key, issuer, request, Math.floor(clock() / 1000));
  return { token, issuer, kid: key.kid };
}
