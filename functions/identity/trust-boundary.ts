/**
 * The trust boundary: an identity is built only from a verified token.
 *  - caller token: the caller's JWT is verified again (signature through OpenID discovery + JWKS,
 *    issuer, audience, lifetime); its claims are the identity.
 *  - gateway token: the gateway's managed-identity token is verified (issuer, audience = this
 *    app, an app-only token: `idtyp` = `app` and no `scp`, client id `azp`/`appid` in the
 *    allow-list, and `oid` in the gateway object ids when configured); the forwarded identity
 *    headers are then the identity, decoded exactly as the gateway encodes them (see
 *    {@link decodeIdentityHeader}).
 * Identity headers without proof → 401. No mode trusts a bare header. Whatever the mode, the
 * identity claims hold what they should: `tid`/`oid`/`sub`/`scp` one string, `roles` strings, no
 * second claim named like one of them in another letter case.
 */
import { errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { AppConfig } from '../config.js';
import { HttpError } from '../errors.js';
import { hasLoneSurrogate } from '../text.js';
import { KeySourceUnavailableError, type OpenIdKeySource } from './keys.js';

export interface VerifiedIdentity {
  readonly source: 'caller-token' | 'gateway-token';
  /** the caller's claims (from the caller's token, or from headers the gateway token vouches for) */
  readonly claims: Readonly<Record<string, unknown>>;
  /** the gateway identity that vouched for the headers (gateway-token only) */
  readonly gatewayClientId?: string;
}

export type HeaderGetter = (name: string) => string | null;

export interface TrustBoundary {
  authenticate(header: HeaderGetter): Promise<VerifiedIdentity>;
}

export interface TrustBoundaryOptions {
  config: Pick<AppConfig, 'authMode' | 'issuer' | 'audience' | 'gatewayAudience' | 'gatewayClientIds' | 'identityHeaderPrefix' | 'clockToleranceSeconds'> &
    Partial<Pick<AppConfig, 'gatewayObjectIds'>>;
  keys: OpenIdKeySource;
  /** fixed clock for tests */
  now?: () => Date;
  /**
   * Verified tokens are remembered (by their exact text) for at most this long, never past
   * their `exp` (+ clock tolerance): a repeat caller skips the signature check. Default 60000;
   * 0 disables. Only successes are remembered; every other check still runs per request.
   */
  verifiedCacheInMs?: number;
  /** default 10000 tokens; the oldest is dropped first */
  verifiedCacheMaxEntries?: number;
}

/** Forwarded identity header suffixes (after the prefix, default `X-Identity-`) → claim. */
export const identityHeaderClaims = Object.freeze({
  'Object-Id': 'oid',
  'Tenant-Id': 'tid',
  Roles: 'roles',
  Subject: 'sub',
  Scopes: 'scp',
} as const);

const multiValuedHeaderClaims = new Set(['roles']);
/** Identity claims that are one string in every mode. */
const singleValuedClaims = ['oid', 'tid', 'sub', 'scp'] as const;
const identityClaimNames: readonly string[] = [...singleValuedClaims, 'roles'];
const bearerPattern = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/;

export function createTrustBoundary(options: TrustBoundaryOptions): TrustBoundary {
  const { config, keys } = options;
  const nowMs = options.now ? () => options.now!().getTime() : () => Date.now();
  const cacheMs = options.verifiedCacheInMs ?? 60_000;
  const cacheMax = options.verifiedCacheMaxEntries ?? 10_000;
  const verified = new Map<string, { payload: JWTPayload; notAfterMs: number }>();
  const allowedGateways = new Set(config.gatewayClientIds);
  const allowedGatewayObjects = new Set(config.gatewayObjectIds ?? []);
  const audiences = [...new Set(config.authMode === 'caller-token' ? [config.audience]
    : config.authMode === 'gateway-token' ? [config.gatewayAudience]
      : [config.audience, config.gatewayAudience])];
  const headerNames = Object.entries(identityHeaderClaims).map(([suffix, claim]) => [
    `${config.identityHeaderPrefix}${suffix}`.toLowerCase(),
    claim,
  ] as const);

  function identityHeadersPresent(header: HeaderGetter): boolean {
    for (const [name] of headerNames) if (header(name) !== null) return true;
    return header('x-ms-client-principal') !== null || header('x-ms-client-principal-id') !== null;
  }

  /** The forwarded identity, decoded exactly; a header not in the gateway's encoding → 403 FN_211. */
  function headerClaims(header: HeaderGetter): Record<string, unknown> {
    const claims: Record<string, unknown> = {};
    for (const [name, claim] of headerNames) {
      const v = header(name);
      if (v === null) continue;
      const decoded = decodeIdentityHeader(v, multiValuedHeaderClaims.has(claim) ? 'list' : 'single');
      if (decoded === undefined) {
        throw new HttpError('FN_211_CLAIM_INVALID', `the forwarded claim "${claim}" is not in the gateway's encoding`, { reason: `claim_invalid:${claim}:encoding` });
      }
      claims[claim] = decoded;
    }
    return claims;
  }

  async function verify(token: string): Promise<JWTPayload> {
    if (cacheMs > 0) {
      const hit = verified.get(token);
      if (hit) {
        if (nowMs() <= hit.notAfterMs) return hit.payload;
        verified.delete(token);
      }
    }
    const payload = Object.freeze(await verifyToken(token));
    if (cacheMs > 0 && typeof payload.exp === 'number') {
      if (verified.size >= cacheMax) {
        const oldest = verified.keys().next();
        if (!oldest.done) verified.delete(oldest.value);
      }
      verified.set(token, { payload, notAfterMs: Math.min(payload.exp * 1000 + config.clockToleranceSeconds * 1000, nowMs() + cacheMs) });
    }
    return payload;
  }

  async function verifyToken(token: string): Promise<JWTPayload> {
    try {
      const issuer = config.issuer ?? (await keys.issuer());
      const { payload } = await jwtVerify(token, keys.getKey, {
        issuer,
        audience: audiences,
        algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'ES256'],
        clockTolerance: config.clockToleranceSeconds,
        requiredClaims: ['exp'],
        ...(options.now ? { currentDate: options.now() } : {}),
      });
      return payload;
    } catch (err) {
      if (err instanceof KeySourceUnavailableError || err instanceof joseErrors.JWKSTimeout || err instanceof joseErrors.JWKSInvalid) {
        throw new HttpError('FN_503_UNAVAILABLE', 'the signing keys could not be fetched', { reason: 'keys_unavailable', retryAfterSeconds: 5, cause: err });
      }
      if (err instanceof joseErrors.JOSEError) {
        throw new HttpError('FN_201_INVALID_TOKEN', 'the token is not valid', { reason: `invalid_token:${err.code}` });
      }
      // a JWKS fetch failing below jose (network) is an availability problem, not the caller's
      throw new HttpError('FN_503_UNAVAILABLE', 'the signing keys could not be fetched', { reason: 'keys_unavailable', retryAfterSeconds: 5, cause: err });
    }
  }

  return {
    async authenticate(header) {
      const authorization = header('authorization');
      if (authorization === null) {
        if (identityHeadersPresent(header)) {
          throw new HttpError('FN_202_UNPROVEN_IDENTITY_HEADERS', 'identity headers were sent without a token that proves them', { reason: 'identity_headers_without_proof' });
        }
        throw new HttpError('FN_200_UNAUTHENTICATED', 'a bearer token is required', { reason: 'no_token' });
      }
      const m = bearerPattern.exec(authorization);
      if (!m?.[1]) throw new HttpError('FN_201_INVALID_TOKEN', 'the Authorization header is not a bearer JWT', { reason: 'malformed_authorization' });
      const payload = await verify(m[1]);
      const clientId = clientIdOf(payload);
      const audience = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
      const isGateway = clientId !== undefined && allowedGateways.has(clientId) && audience.includes(config.gatewayAudience);

      if (config.authMode === 'gateway-token' || (config.authMode === 'either' && isGateway)) {
        if (!isGateway) {
          throw new HttpError('FN_203_GATEWAY_NOT_ALLOWED', 'the token is not from an allowed gateway identity', { reason: 'gateway_not_allowed' });
        }
        // the gateway's managed identity acts as itself: an app-only token, never a user's token minted for the gateway's client id
        const why = notAppOnly(payload, allowedGatewayObjects);
        if (why !== undefined) {
          throw new HttpError('FN_203_GATEWAY_NOT_ALLOWED', 'the token is not an app-only token of an allowed gateway identity', { reason: `gateway_not_allowed:${why}` });
        }
        return { source: 'gateway-token', claims: Object.freeze(headerClaims(header)), gatewayClientId: clientId };
      }
      if (!audience.includes(config.audience)) {
        throw new HttpError('FN_201_INVALID_TOKEN', 'the token is not valid', { reason: 'invalid_token:audience' });
      }
      const shape = claimShapeProblem(payload);
      if (shape !== undefined) throw new HttpError('FN_201_INVALID_TOKEN', 'the token is not valid', { reason: `invalid_token:${shape}` });
      // caller token: forwarded headers are redundant; if present they must agree with the token
      for (const [name, claim] of headerNames) {
        if (claim !== 'oid' && claim !== 'tid') continue;
        const v = header(name);
        if (v !== null && decodeIdentityHeader(v, 'single') !== payload[claim]) {
          throw new HttpError('FN_202_UNPROVEN_IDENTITY_HEADERS', 'identity headers disagree with the token', { reason: `identity_header_mismatch:${claim}` });
        }
      }
      return { source: 'caller-token', claims: Object.freeze({ ...payload }) };
    },
  };
}

/**
 * `azp` (v2.0 tokens) or `appid` (v1.0 tokens): the application id of the client using the token
 * (Entra access-token claims reference,
 * https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference). A token
 * carrying either as a non-string, or both with different values, names no one client: undefined.
 */
function clientIdOf(payload: JWTPayload): string | undefined {
  const azp = payload.azp;
  const appid = payload['appid'];
  if (azp !== undefined && typeof azp !== 'string') return undefined;
  if (appid !== undefined && typeof appid !== 'string') return undefined;
  if (azp !== undefined && appid !== undefined && azp !== appid) return undefined;
  return azp ?? (appid as string | undefined);
}

/**
 * Why a gateway token is not the gateway's own app-only token, or undefined when it is.
 * Entra marks app-only access tokens with the optional claim `idtyp` = `app` ("the most accurate
 * way for an API to determine if a token is an app token or an app+user token",
 * https://learn.microsoft.com/entra/identity-platform/optional-claims-reference); `scp` (delegated
 * scopes) is "only included for user tokens" (access-token claims reference). So the backend's
 * app registration must list `idtyp` among its access-token optional claims for gateway-token
 * mode; without it every gateway token is refused (fail closed).
 */
function notAppOnly(payload: JWTPayload, objectIds: ReadonlySet<string>): string | undefined {
  if (payload['idtyp'] !== 'app') return 'not_app_only';
  if (payload['scp'] !== undefined) return 'delegated_scopes';
  if (objectIds.size > 0 && !(typeof payload['oid'] === 'string' && objectIds.has(payload['oid']))) return 'object_id';
  return undefined;
}

/**
 * The first identity claim of a verified token that has the wrong JSON shape, as
 * `claim_shape:<claim>`: a second claim whose name differs from an identity claim only by letter
 * case (claim names are case-sensitive, RFC 7519 §4), `tid`/`oid`/`sub`/`scp` not one string,
 * `roles` not a string or an array of strings, or text UTF-8 cannot carry (a lone surrogate).
 */
function claimShapeProblem(payload: JWTPayload): string | undefined {
  for (const name of Object.keys(payload)) {
    const folded = name.toLowerCase();
    if (name !== folded && identityClaimNames.includes(folded)) return `claim_shape:${folded}`;
  }
  for (const claim of singleValuedClaims) {
    const v = payload[claim];
    if (v !== undefined && (typeof v !== 'string' || hasLoneSurrogate(v))) return `claim_shape:${claim}`;
  }
  const roles = payload['roles'];
  if (roles !== undefined) {
    const list = Array.isArray(roles) ? (roles as unknown[]) : [roles];
    if (!list.every((r) => typeof r === 'string' && !hasLoneSurrogate(r))) return 'claim_shape:roles';
  }
  return undefined;
}

/**
 * What the gateway's `Uri.EscapeDataString` writes: RFC 3986 unreserved characters and `%XX`
 * (plus RFC 2396's marks `!*'()`, which .NET Framework leaves unescaped when IRI parsing is off).
 */
const percentEncoded = /^(?:[A-Za-z0-9\-._~!*'()]|%[0-9A-Fa-f]{2})*$/;

/**
 * A forwarded identity header decoded exactly as the identity chain encodes it
 * (policies/expressions/context.ts `forwardedClaim`): percent-encoded UTF-8 (RFC 3986) of the
 * claim's one string, or of a JSON array of strings for a list claim. Nothing is trimmed or
 * split. Undefined for anything else (other characters, a bad escape, invalid UTF-8, JSON that is
 * not an array of strings).
 */
export function decodeIdentityHeader(value: string, form: 'single' | 'list'): string | string[] | undefined {
  if (!percentEncoded.test(value)) return undefined;
  let text: string;
  try {
    text = decodeURIComponent(value);
  } catch {
    return undefined; // a bad escape, or bytes that are not UTF-8 (a lone surrogate included)
  }
  if (form === 'single') return text;
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(list) || !list.every((x): x is string => typeof x === 'string')) return undefined;
  return list;
}
