/**
 * Token minting with Entra-like claims (v2.0 access tokens): `iss`, `aud`, `sub`, `oid`, `tid`,
 * `roles`, `scp`, `ver`, `iat`, `nbf`, `exp`, `jti`, signed RS256 with a `kid` header.
 */
import { createHash, randomUUID } from 'node:crypto';
import { SignJWT, type JWTPayload } from 'jose';
import { z } from 'zod';
import { signingAlgorithm, type SigningKey } from './keys.js';

/** The audience a minted token carries unless told otherwise: the orders API's app id URI. */
export const defaultAudience = 'api://apim-rls-orders';
export const defaultTtlSeconds = 3600;
/** Longest lifetime the dev issuer mints: a day. */
export const maxTtlSeconds = 24 * 60 * 60;

export interface MintRequest {
  /** Subject; also the seed of `oid` when `oid` is not given. */
  sub: string;
  /** Object id; default: a stable UUID derived from `sub`. */
  oid?: string;
  /** Tenant id; omitted from the token when not given. */
  tid?: string;
  /** App roles (`roles` claim). */
  roles?: readonly string[];
  /** Delegated scopes: one space-separated string or a list (joined with spaces). */
  scp?: string | readonly string[];
  /** Audience; default {@link defaultAudience}. */
  aud?: string | readonly string[];
  /** Lifetime from `iat`; default one hour. */
  ttlSeconds?: number;
  /** Issued-at, seconds since the epoch; default now (the issuer's clock). */
  iat?: number;
  /** Not-before, seconds since the epoch; default `iat`. */
  nbf?: number;
  /** Further claims, merged last: they may override any claim above (a dev tool for testing refusals). */
  extra?: Record<string, unknown>;
}

const claimName = z.string().min(1).max(256);
/** The shape of a mint request from outside (the HTTP endpoint, the CLI); strict, so typos are refused. */
export const mintRequestSchema = z
  .object({
    sub: z.string().min(1).max(256),
    oid: z.string().min(1).max(256).optional(),
    tid: z.string().min(1).max(256).optional(),
    roles: z.array(claimName).max(100).optional(),
    scp: z.union([z.string().min(1).max(4000), z.array(claimName).max(100)]).optional(),
    aud: z.union([z.string().min(1).max(2000), z.array(z.string().min(1).max(2000)).min(1).max(10)]).optional(),
    ttlSeconds: z.number().int().positive().max(maxTtlSeconds).optional(),
    iat: z.number().int().nonnegative().optional(),
    nbf: z.number().int().nonnegative().optional(),
    extra: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

/** A stable, UUID-shaped object id for a subject, so the same `sub` always gets the same `oid`. */
export function oidForSubject(sub: string): string {
  const h = createHash('sha256').update('apim-rls-dev-oid:' + sub).digest('hex');
  const variant = ((parseInt(h[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Builds the claims of a token; `nowSeconds` is the issuer's clock. Caller mistakes throw TypeError/RangeError. */
export function buildClaims(issuer: string, request: MintRequest, nowSeconds: number): JWTPayload {
  if (typeof request.sub !== 'string' || request.sub === '') throw new TypeError('sub must be a non-empty string');
  const ttl = request.ttlSeconds ?? defaultTtlSeconds;
  if (!Number.isInteger(ttl) || ttl <= 0 || ttl > maxTtlSeconds) throw new RangeError(`ttlSeconds must be an integer between 1 and ${maxTtlSeconds}`);
  const iat = request.iat ?? nowSeconds;
  const nbf = request.nbf ?? iat;
  if (!Number.isInteger(iat) || !Number.isInteger(nbf)) throw new TypeError('iat and nbf must be whole seconds since the epoch');
  const claims: JWTPayload = {
    iss: issuer,
    aud: typeof request.aud === 'string' ? request.aud : request.aud ? [...request.aud] : defaultAudience,
    sub: request.sub,
    oid: request.oid ?? oidForSubject(request.sub),
    ver: '2.0',
    iat,
    nbf,
    exp: iat + ttl,
    jti: randomUUID(),
  };
  if (request.tid !== undefined) claims.tid = request.tid;
  if (request.roles !== undefined) claims.roles = [...request.roles];
  if (request.scp !== undefined) claims.scp = typeof request.scp === 'string' ? request.scp : request.scp.join(' ');
  if (request.extra) Object.assign(claims, request.extra);
  return claims;
}

/** Signs claims with a signing key: header `{ alg: RS256, kid, typ: JWT }`. */
export async function signClaims(key: SigningKey, claims: JWTPayload): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: signingAlgorithm, kid: key.kid, typ: 'JWT' }).sign(key.privateKey);
}

/** Builds and signs one token. */
export async function mintToken(key: SigningKey, issuer: string, request: MintRequest, nowSeconds: number): Promise<string> {
  return signClaims(key, buildClaims(issuer, request, nowSeconds));
}
