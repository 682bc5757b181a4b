/**
 * The dev issuer's signing keys: RS256 key pairs kept as private JWK files in a local folder
 * (0600, folder 0700), created on first use and reused afterwards, so tokens minted by
 * `apim-rls token` verify against a running issuer and survive its restart.
 *
 * Layout of the key folder:
 * - `<kid>.jwk.json` — one private JWK per key (`kid` = its RFC 7638 thumbprint, `alg: RS256`);
 * - `state.json` — which key signs (`activeKid`), when each key was retired, and the issuer URL
 *   the issuer last advertised (so `apim-rls token` mints the `iss` the running issuer expects).
 *
 * Rotation: a new key becomes the signer; the previous one stays published in the JWKS for a
 * grace period, so tokens in flight still verify; after it, the key is dropped and its file removed.
 */
import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';

export const signingAlgorithm = 'RS256';
/** How long a retired key stays in the JWKS: a day, far longer than any dev token or key cache. */
export const defaultRotationGraceSeconds = 24 * 60 * 60;

const stateFile = 'state.json';
const keyFileSuffix = '.jwk.json';

export interface KeyStoreOptions {
  /** The key folder (created 0700 when missing). */
  dir: string;
  /** Milliseconds since the epoch; `Date.now` by default. */
  clock?: () => number;
  /** How long a retired key stays published after rotation. */
  rotationGraceSeconds?: number;
}

/** One signing key: the private key for signing, its public JWK for the JWKS. */
export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
  /** Milliseconds since the epoch. */
  createdAt: number;
  /** Milliseconds since the epoch; absent while the key signs. */
  retiredAt?: number;
}

interface StoredState {
  version: 1;
  activeKid: string;
  keys: { kid: string; createdAt: number; retiredAt?: number }[];
  issuer?: string;
}

export interface KeyStore {
  readonly dir: string;
  /** The key that signs new tokens. */
  active(): SigningKey;
  /** The public JWKs to publish: the active key and retired keys still within their grace period. */
  publishedJwks(): JWK[];
  /** Makes a new key the signer; the old one stays published for the grace period. Persisted. */
  rotate(): Promise<SigningKey>;
  /** The issuer URL last advertised by a running issuer on this folder, if any. */
  storedIssuer(): string | undefined;
  /** Records the issuer URL a running issuer advertises. */
  recordIssuer(issuer: string): Promise<void>;
}

/** Opens the key folder, creating the folder and a first key when missing. */
export async function openKeyStore(options: KeyStoreOptions): Promise<KeyStore> {
  const { dir } = options;
  const clock = options.clock ?? Date.now;
  const graceMs = (options.rotationGraceSeconds ?? defaultRotationGraceSeconds) * 1000;
  if (typeof dir !== 'string' || dir === '') throw new TypeError('key folder must be a non-empty path');
  if (!Number.isFinite(graceMs) || graceMs < 0) throw new RangeError('rotationGraceSeconds must be a non-negative number');

  await mkdir(dir, { recursive: true, mode: 0o700 });
  let state = await readState(dir);
  const keys = new Map<string, SigningKey>();
  if (state) {
    for (const entry of state.keys) {
      const key = await readKey(dir, entry.kid, entry.createdAt, entry.retiredAt);
      if (key) keys.set(key.kid, key);
    }
    if (!keys.has(state.activeKid)) state = undefined; // damaged folder: start over with a new key
  }
  if (!state) {
    const key = await createKey(dir, clock());
    keys.set(key.kid, key);
    state = { version: 1, activeKid: key.kid, keys: [{ kid: key.kid, createdAt: key.createdAt }] };
    await writeState(dir, state);
  }
  let current: StoredState = state;

  const isPublished = (key: SigningKey, now: number) => key.retiredAt === undefined || now - key.retiredAt < graceMs;

  return {
    dir,
    active() {
      const key = keys.get(current.activeKid);
      if (!key) throw new Error('the active signing key is missing');
      return key;
    },
    publishedJwks() {
      const now = clock();
      const out: JWK[] = [];
      // the signer first, then retired keys newest first
      const active = keys.get(current.activeKid);
      if (active) out.push(active.publicJwk);
      const retired = [...keys.values()].filter((k) => k.kid !== current.activeKid && isPublished(k, now));
      retired.sort((a, b) => (b.retiredAt ?? 0) - (a.retiredAt ?? 0));
      for (const k of retired) out.push(k.publicJwk);
      return out;
    },
    async rotate() {
      const now = clock();
      const previous = keys.get(current.activeKid);
      if (previous) previous.retiredAt = now;
      const next = await createKey(dir, now);
      keys.set(next.kid, next);
      // drop keys past their grace period, from memory and disk
      for (const k of [...keys.values()]) {
        if (!isPublished(k, now)) {
          keys.delete(k.kid);
          await rm(join(dir, k.kid + keyFileSuffix), { force: true });
        }
      }
      current = {
        ...current,
        activeKid: next.kid,
        keys: [...keys.values()].map((k) => (k.retiredAt === undefined ? { kid: k.kid, createdAt: k.createdAt } : { kid: k.kid, createdAt: k.createdAt, retiredAt: k.retiredAt })),
      };
      await writeState(dir, current);
      return next;
    },
    storedIssuer() {
      return current.issuer;
    },
    async recordIssuer(issuer) {
      if (current.issuer === issuer) return;
      // keep what another process (the token command, another rotation) may have written meanwhile
      const onDisk = (await readState(dir)) ?? current;
      current = { ...onDisk, issuer };
      await writeState(dir, current);
    },
  };
}

async function createKey(dir: string, now: number): Promise<SigningKey> {
  const { privateKey } = await generateKeyPair(signingAlgorithm, { extractable: true, modulusLength: 2048 });
  const privateJwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(privateJwk);
  const stored: JWK = { ...privateJwk, kid, alg: signingAlgorithm, use: 'sig' };
  await writeSecretFile(join(dir, kid + keyFileSuffix), JSON.stringify(stored, null, 2) + '\n');
  return { kid, privateKey, publicJwk: publicPart(stored), createdAt: now };
}

async function readKey(dir: string, kid: string, createdAt: number, retiredAt: number | undefined): Promise<SigningKey | undefined> {
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(kid)) return undefined; // never build a path from an odd name
  const file = join(dir, kid + keyFileSuffix);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  // a key file readable by others is tightened, not trusted as is
  const mode = (await stat(file)).mode & 0o777;
  if (mode !== 0o600) await chmod(file, 0o600);
  let jwk: JWK;
  let privateKey: CryptoKey;
  try {
    jwk = JSON.parse(text) as JWK;
    if (jwk.kty !== 'RSA' || typeof jwk.d !== 'string' || jwk.kid !== kid) return undefined;
    privateKey = (await importJWK(jwk, signingAlgorithm)) as CryptoKey;
  } catch {
    return undefined; // a damaged key file is skipped; without an active key the folder starts over
  }
  const key: SigningKey = { kid, privateKey, publicJwk: publicPart(jwk), createdAt };
  if (retiredAt !== undefined) key.retiredAt = retiredAt;
  return key;
}

function publicPart(jwk: JWK): JWK {
  return { kty: 'RSA', use: 'sig', alg: signingAlgorithm, kid: jwk.kid, n: jwk.n, e: jwk.e };
}

async function readState(dir: string): Promise<StoredState | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, stateFile), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as Partial<StoredState>;
    if (parsed.version !== 1 || typeof parsed.activeKid !== 'string' || !Array.isArray(parsed.keys)) return undefined;
    const keys = parsed.keys.filter((k) => typeof k?.kid === 'string' && typeof k.createdAt === 'number');
    const state: StoredState = { version: 1, activeKid: parsed.activeKid, keys };
    if (typeof parsed.issuer === 'string') state.issuer = parsed.issuer;
    return state;
  } catch {
    return undefined;
  }
}

async function writeState(dir: string, state: StoredState): Promise<void> {
  await writeSecretFile(join(dir, stateFile), JSON.stringify(state, null, 2) + '\n');
}

/** Writes through a temporary file and a rename, so a concurrent reader never sees half a file. */
async function writeSecretFile(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(tmp, text, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, file);
}
