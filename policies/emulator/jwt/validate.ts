/**
 * Token validation as validate-jwt / validate-azure-ad-token do it, with real signatures (jose).
 * Order: parse → signature (key by kid; algorithm must fit the key; `none` refused) → lifetime
 * (exp required unless told otherwise, clock skew) → audience → issuer → required claims.
 * Failures carry APIM's reason and message; messages never include the token.
 */
import { compactVerify, errors as joseErrors } from 'jose';
import { JwtValue } from '../expressions/jwt-value.js';
import { KeyFetchError, type KeySource, type VerificationKey } from './keys.js';

/** APIM's validate-jwt failure reasons (a closed union). */
export type JwtFailureReason =
  | 'TokenNotPresent'
  | 'JwtInvalid'
  | 'TokenSignatureInvalid'
  | 'TokenSignatureKeyNotFound'
  | 'TokenExpired'
  | 'TokenNotYetValid'
  | 'TokenAudienceNotAllowed'
  | 'TokenIssuerNotAllowed'
  | 'TokenClaimNotFound'
  | 'TokenClaimValueNotAllowed';

export interface RequiredClaim {
  name: string;
  /** `all` (default): every listed value must be present; `any`: at least one. */
  match: 'all' | 'any';
  /** Splits a string claim into several values (e.g. `scp` with " "). */
  separator?: string;
  values: string[];
}

export interface JwtValidationConfig {
  keySources: KeySource[];
  /** null: audience not checked. */
  audiences: string[] | null;
  /** null: issuer not checked (unless a discovery document names one). */
  issuers: string[] | null;
  requiredClaims: RequiredClaim[];
  requireExpirationTime: boolean;
  requireSignedTokens: boolean;
  clockSkewSeconds: number;
}

export interface JwtValidationFailure {
  ok: false;
  reason: JwtFailureReason;
  /** APIM's message (what context.LastError.Message holds) */
  message: string;
  /**
   * TokenSignatureKeyNotFound because the keys could not be loaded: why (the discovery document
   * or JWKS unreachable, an error status, not JSON). Not part of APIM's message; the emulator
   * puts it in the trace.
   */
  keyFetchFailure?: string;
}

export type JwtValidationResult = { ok: true; jwt: JwtValue } | JwtValidationFailure;

function fail(reason: JwtFailureReason, message: string): JwtValidationFailure {
  return { ok: false, reason, message };
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

function decodeSegment(seg: string): Record<string, unknown> | undefined {
  if (!BASE64URL.test(seg)) return undefined;
  try {
    const v: unknown = JSON.parse(Buffer.from(seg, 'base64url').toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Decoded protected headers by their encoded form. One issuer's tokens share a handful of
 * headers (alg, kid, typ), so most tokens skip decoding theirs. Entries are frozen: shared.
 */
const headerCache = new Map<string, Readonly<Record<string, unknown>> | undefined>();
const HEADER_CACHE_SIZE = 64;

function decodeHeader(seg: string): Readonly<Record<string, unknown>> | undefined {
  if (headerCache.has(seg)) return headerCache.get(seg);
  const header = decodeSegment(seg);
  if (header) Object.freeze(header);
  if (headerCache.size >= HEADER_CACHE_SIZE) headerCache.clear();
  headerCache.set(seg, header);
  return header;
}

/** The protected header when it is one validation can go on with (an `alg`, no `b64`), else undefined. */
function usableHeader(seg: string): (Readonly<Record<string, unknown>> & { alg: string }) | undefined {
  const header = decodeHeader(seg);
  return header && typeof header.alg === 'string' && !('b64' in header) ? (header as Readonly<Record<string, unknown>> & { alg: string }) : undefined;
}

const notWellFormed = (): JwtValidationFailure => fail('JwtInvalid', 'JWT is not well formed. Access denied.');

/**
 * A validation under way: the outcome of every check but the signature, and the signature check
 * itself (null when the token is unsigned or a failure was found before it started). The final
 * result is `signature`'s failure when it has one (a bad signature wins), else `checks`.
 */
export interface JwtValidationInProgress {
  checks: JwtValidationResult;
  signature: Promise<JwtValidationFailure | null> | null;
}

/** Validates one compact JWS. `nowMs` is the emulator's clock. */
export async function validateJwtToken(token: string, config: JwtValidationConfig, nowMs: number): Promise<JwtValidationResult> {
  const v = await beginJwtValidation(token, config, nowMs);
  const bad = v.signature === null ? null : await v.signature;
  return bad ?? v.checks;
}

/**
 * Starts validating one compact JWS: the signature check is handed to the thread pool, and the
 * payload is decoded and its claims checked meanwhile (the signed input is exactly
 * header.payload). Returns once the claims are checked; the signature may still be under way.
 */
export async function beginJwtValidation(token: string, config: JwtValidationConfig, nowMs: number): Promise<JwtValidationInProgress> {
  const parts = token.split('.');
  if (parts.length !== 3) return done(notWellFormed());
  const header = usableHeader(parts[0]!);
  if (!header) return done(notWellFormed());
  const alg = header.alg;
  const kid = typeof header.kid === 'string' ? header.kid : undefined;
  // the payload is decoded once the signature check is under way; a malformed one wins over any other failure

  if (alg === 'none') {
    const payload = decodePayload(parts);
    if (!payload) return done(notWellFormed());
    if (config.requireSignedTokens || parts[2] !== '') return done(fail('TokenSignatureInvalid', 'The token is not signed (alg none). Access denied.'));
    return done(checkClaims(header, payload, config, nowMs));
  }
  let candidates: readonly VerificationKey[];
  let fetchFailure: string | undefined;
  try {
    const keys = cachedKeys(config.keySources, kid);
    candidates = keys ?? (await loadKeys(config.keySources, kid));
  } catch (err) {
    if (!(err instanceof KeyFetchError)) throw err;
    candidates = [];
    fetchFailure = err.message;
  }
  if (candidates.length === 0) {
    if (!decodePayload(parts)) return done(notWellFormed());
    // APIM's reason and message (https://learn.microsoft.com/azure/api-management/api-management-error-handling-policies#predefined-errors-for-policies; docs/emulator.md)
    const notFound = fail('TokenSignatureKeyNotFound', kid !== undefined ? `Signature key for ID ${kid} was not found. Access denied.` : 'Signature key was not found. Access denied.');
    // the keys could not be (re)loaded: say why beside APIM's message (e.g. an unknown kid whose refetch failed)
    const why = fetchFailure ?? config.keySources.map((s) => s.lastFailure?.()).find((f) => f !== undefined);
    if (why !== undefined) notFound.keyFetchFailure = why;
    return done(notFound);
  }
  const usable = candidates.every((k) => k.algorithms.includes(alg)) ? candidates : candidates.filter((k) => k.algorithms.includes(alg));
  if (usable.length === 0) {
    if (!decodePayload(parts)) return done(notWellFormed());
    // e.g. an HS256 token against RSA keys (key confusion): the algorithm does not fit any key
    return done(fail('TokenSignatureInvalid', `Signature validation failed: algorithm ${alg} is not allowed for the signing key. Access denied.`));
  }
  const signature = verifySignature(token, usable, alg);
  signature.catch(() => undefined);
  for (let i = 0; i < SIGNATURE_DISPATCH_TICKS; i++) await null;
  const payload = decodePayload(parts);
  if (!payload) return done(notWellFormed());
  return { checks: checkClaims(header, payload, config, nowMs), signature };
}

function decodePayload(parts: string[]): Record<string, unknown> | undefined {
  return parts[1] === '' ? undefined : decodeSegment(parts[1]!);
}

function done(result: JwtValidationResult): JwtValidationInProgress {
  return { checks: result, signature: null };
}

/** The keys that may have signed a token with this kid when one source holds them cached (no wait), else undefined. */
function cachedKeys(sources: readonly KeySource[], kid: string | undefined): readonly VerificationKey[] | undefined {
  return sources.length === 1 ? sources[0]!.keysForNow?.(kid) : undefined;
}

/** The keys of every source that may have signed a token with this kid, loading (or refetching) where needed. */
async function loadKeys(sources: readonly KeySource[], kid: string | undefined): Promise<readonly VerificationKey[]> {
  const all: VerificationKey[] = [];
  for (const source of sources) all.push(...(source.keysForNow?.(kid) ?? (await source.keysFor(kid))));
  return all;
}

/** Microtask turns for jose to hand the signature check to the thread pool (a tuning, not a correctness, matter). */
export const SIGNATURE_DISPATCH_TICKS = 4;

/** Whether validating this token needs no key load: its keys are cached, or it fails before keys are needed. */
export function needsNoKeyLoad(token: string, config: JwtValidationConfig): boolean {
  const dot = token.indexOf('.');
  const header = dot < 0 ? undefined : usableHeader(token.slice(0, dot));
  if (!header || header.alg === 'none') return true;
  return cachedKeys(config.keySources, typeof header.kid === 'string' ? header.kid : undefined) !== undefined;
}

const signatureInvalid = (): JwtValidationFailure => fail('TokenSignatureInvalid', 'Signature validation failed. Access denied.');

/** jose's options for one algorithm, made once. */
const verifyOptions = new Map<string, { algorithms: string[] }>();
function optionsFor(alg: string): { algorithms: string[] } {
  let o = verifyOptions.get(alg);
  if (!o) verifyOptions.set(alg, (o = { algorithms: [alg] }));
  return o;
}

/** What a failed jose verification means: another key may fit (undefined), or the token is bad. */
function verifyFailure(err: unknown): JwtValidationFailure | undefined {
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return undefined;
  if (err instanceof joseErrors.JOSEError) return notWellFormed();
  if (err instanceof TypeError || err instanceof SyntaxError) return undefined;
  throw err;
}

/** null when one of the keys verifies the token, else the failure. */
function verifySignature(token: string, usable: readonly VerificationKey[], alg: string): Promise<JwtValidationFailure | null> {
  const only = usable.length === 1 ? usable[0]!.importedFor(alg) : undefined;
  // the common case, one imported key: no wrapper around jose's promise
  if (only !== undefined) return compactVerify(token, only, optionsFor(alg)).then(
    () => null,
    (err: unknown) => verifyFailure(err) ?? signatureInvalid(),
  );
  return verifyWithEach(token, usable, alg);
}

async function verifyWithEach(token: string, usable: readonly VerificationKey[], alg: string): Promise<JwtValidationFailure | null> {
  for (const key of usable) {
    try {
      await compactVerify(token, key.importedFor(alg) ?? (await key.forAlgorithm(alg)), optionsFor(alg));
      return null;
    } catch (err) {
      const failure = verifyFailure(err);
      if (failure) return failure;
    }
  }
  return signatureInvalid();
}

/** Lifetime, audience, issuer and required claims of a payload whose signature is (being) checked. */
function checkClaims(header: Record<string, unknown>, payload: Record<string, unknown>, config: JwtValidationConfig, nowMs: number): JwtValidationResult {
  // lifetime
  const now = nowMs / 1000;
  const skew = config.clockSkewSeconds;
  const exp = payload.exp;
  const nbf = payload.nbf;
  if (exp !== undefined && typeof exp !== 'number') return fail('JwtInvalid', 'JWT is not well formed (exp). Access denied.');
  if (nbf !== undefined && typeof nbf !== 'number') return fail('JwtInvalid', 'JWT is not well formed (nbf). Access denied.');
  if (exp === undefined && config.requireExpirationTime) return fail('TokenExpired', 'Lifetime validation failed. The token is missing an Expiration Time. Access denied.');
  if (exp !== undefined && now > exp + skew) return fail('TokenExpired', 'Token is expired. Access denied.');
  if (nbf !== undefined && now + skew < nbf) return fail('TokenNotYetValid', 'Token is not valid yet. Access denied.');

  // audience
  if (config.audiences !== null) {
    const aud = payload.aud;
    const audiences = config.audiences;
    // the common case, one audience string: no array made
    const allowed = typeof aud === 'string' ? audiences.includes(aud) : Array.isArray(aud) && aud.some((a) => typeof a === 'string' && audiences.includes(a));
    if (!allowed) {
      const tokenAud = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud.filter((a): a is string => typeof a === 'string') : [];
      return fail('TokenAudienceNotAllowed', `Audience ${tokenAud.join(',') || '(none)'} is not allowed. Access denied.`);
    }
  }

  // issuer: the configured issuers, plus the one a discovery document names
  const iss = payload.iss;
  let issuerChecked = config.issuers !== null;
  let issuerAllowed = typeof iss === 'string' && config.issuers !== null && config.issuers.includes(iss);
  for (const s of config.keySources) {
    const named = s.issuer();
    if (!named) continue;
    issuerChecked = true;
    if (named === iss) issuerAllowed = true;
  }
  if (issuerChecked && (typeof iss !== 'string' || !issuerAllowed)) return fail('TokenIssuerNotAllowed', `Issuer ${typeof iss === 'string' ? iss : '(none)'} is not allowed. Access denied.`);

  const jwt = new JwtValue(header as never, payload as never);

  // required claims: first every missing claim, then values
  let missing: string[] | null = null;
  for (const c of config.requiredClaims) if (payload[c.name] === undefined || payload[c.name] === null) (missing ??= []).push(c.name);
  if (missing !== null) return fail('TokenClaimNotFound', `JWT token is missing the following claims: ${missing.join(', ')}. Access denied.`);
  for (const c of config.requiredClaims) {
    if (c.values.length === 0) continue;
    let values = jwt.getClaims().get(c.name) ?? [];
    if (c.separator) values = values.flatMap((v) => v.split(c.separator!)).filter((v) => v !== '');
    const ok = c.match === 'any' ? c.values.some((v) => values.includes(v)) : c.values.every((v) => values.includes(v));
    if (!ok) return fail('TokenClaimValueNotAllowed', `Claim ${c.name} value of ${values.join(',')} is not allowed. Access denied.`);
  }
  return { ok: true, jwt };
}
