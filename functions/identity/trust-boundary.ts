/**
 * The trust boundary: an identity is built only from a verified token.
 *  - caller token: the caller's JWT is verified again (signature through OpenID discovery + JWKS,
 *    issuer, audience, lifetime); its claims are the identity.
 *  - gateway token: the gateway's managed-identity token is verified (issuer, audience = this
 *    app, client id in the allow-list); the forwarded identity headers are then the identity.
 * Identity headers without proof → 401. No mode trusts a bare header.
 */
import { errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { AppConfig } from '../config.js';
import { HttpError } from '../errors.js';
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
  config: Pick<AppConfig, 'authMode' | 'issuer' | 'audience' | 'gatewayAudience' | 'gatewayClientIds' | 'identityHeaderPrefix' | 'clockToleranceSeconds'>;
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
const bearerPattern = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/;

export function createTrustBoundary(options: TrustBoundaryOptions): TrustBoundary {
  const { config, keys } = options;
  const nowMs = options.now ? () => options.now!().getTime() : () => Date.now();
  const cacheMs = options.verifiedCacheInMs ?? 60_000;
  const cacheMax = options.verifiedCacheMaxEntries ?? 10_000;
  const verified = new Map<string, { payload: JWTPayload; notAfterMs: number }>();
  const allowedGateways = new Set(config.gatewayClientIds);
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

  function headerClaims(header: HeaderGetter): Record<string, unknown> {
    const claims: Record<string, unknown> = {};
    for (const [name, claim] of headerNames) {
      const v = header(name);
      if (v === null) continue;
      claims[claim] = multiValuedHeaderClaims.has(claim) ? parseList(v) : v;
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
      const clientId = typeof payload.azp === 'string' ? payload.azp : typeof payload['appid'] === 'string' ? payload['appid'] : undefined;
      const audience = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
      const isGateway = clientId !== undefined && allowedGateways.has(clientId) && audience.includes(config.gatewayAudience);

      if (config.authMode === 'gateway-token' || (config.authMode === 'either' && isGateway)) {
        if (!isGateway) {
          throw new HttpError('FN_203_GATEWAY_NOT_ALLOWED', 'the token is not from an allowed gateway identity', { reason: 'gateway_not_allowed' });
        }
        return { source: 'gateway-token', claims: Object.freeze(headerClaims(header)), gatewayClientId: clientId };
      }
      if (!audience.includes(config.audience)) {
        throw new HttpError('FN_201_INVALID_TOKEN', 'the token is not valid', { reason: 'invalid_token:audience' });
      }
      // caller token: forwarded headers are redundant; if present they must agree with the token
      const forwarded = headerClaims(header);
      for (const claim of ['oid', 'tid'] as const) {
        const h = forwarded[claim];
        if (h !== undefined && h !== payload[claim]) {
          throw new HttpError('FN_202_UNPROVEN_IDENTITY_HEADERS', 'identity headers disagree with the token', { reason: `identity_header_mismatch:${claim}` });
        }
      }
      return { source: 'caller-token', claims: Object.freeze({ ...payload }) };
    },
  };
}

/** A forwarded multi-valued header: a JSON array of strings or a comma-separated list. */
function parseList(v: string): unknown {
  const t = v.trim();
  if (t.startsWith('[')) {
    try {
      return JSON.parse(t) as unknown;
    } catch {
      return {}; // not a list: the claim map refuses it as invalid
    }
  }
  return t.split(',').map((x) => x.trim()).filter((x) => x.length > 0);
}
