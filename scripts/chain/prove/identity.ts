/**
 * Where the identity changed: the caller's token against what the gateway forwarded (gateway
 * layer), and against the session keys the database reports through GET /api/me (backend layer:
 * the trust boundary and the claim map). Pure functions over the evidence of one case.
 */
import { decodeJwt } from 'jose';
import type { AuthMode } from '../../../functions/config.js';
import { decodeIdentityHeader, identityHeaderClaims } from '../../../functions/identity/trust-boundary.js';
import type { RlsSpec } from '../../../rls/spec/schema.js';

export type ClaimValue = string | readonly string[];

/** What the Authorization header the backend received held (never the token itself). */
export type ForwardedToken = 'caller token' | 'gateway token' | 'another token' | 'none';

export interface GatewayEvidence {
  /** the identity headers and X-Request-Id as the backend received them (lower-case names) */
  headers: Record<string, string>;
  authorization: ForwardedToken;
  /** context.RequestId of the gateway's run */
  gatewayRequestId: string;
}

/** The session keys as the database reported them (GET /api/me `database`), by session key name. */
export type ReportedKeys = Record<string, string | readonly string[] | null>;

/** GET /api/me's `database` fields, by the session key they show (functions/queries `me`). */
export const meDatabaseFields: Record<string, string> = { tenant_id: 'tenantId', user_oid: 'userOid', roles: 'roles', request_id: 'requestId' };

const show = (v: unknown): string => (v === undefined ? 'nothing' : JSON.stringify(v));

export function describeAuthorization(header: string | undefined, callerToken: string, gatewayClientIds: readonly string[]): ForwardedToken {
  if (header === undefined) return 'none';
  const m = /^Bearer (.+)$/.exec(header);
  if (!m) return 'another token';
  if (m[1] === callerToken) return 'caller token';
  try {
    const p = decodeJwt(m[1] as string);
    const client = typeof p['azp'] === 'string' ? p['azp'] : typeof p['appid'] === 'string' ? p['appid'] : undefined;
    if (client !== undefined && gatewayClientIds.includes(client) && p['idtyp'] === 'app') return 'gateway token';
  } catch {
    // not a JWT
  }
  return 'another token';
}

const asList = (v: unknown): string[] | undefined => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : undefined);
const sameList = (a: readonly string[] | undefined, b: readonly string[] | undefined) => a !== undefined && b !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);

export interface GatewayCheckOptions {
  evidence: GatewayEvidence;
  claims: Readonly<Record<string, ClaimValue>>;
  authMode: AuthMode;
  identityHeaderPrefix: string;
  /** the claims the backend's claim map reads */
  mappedClaims: readonly string[];
  /** the spec reads the request id (a `request-id` session key) */
  requestIdKey: boolean;
}

/** The header suffixes of the forwarded identity, lower-case (`-tenant-id`, …): evidence keeps every header ending so. */
export const identityHeaderSuffixes: readonly string[] = Object.keys(identityHeaderClaims).map((s) => `-${s.toLowerCase()}`);

/** A header other than `name` that carries the token's claim as the gateway encodes it (the backend reads another name). */
function forwardedElsewhere(headers: Record<string, string>, name: string, suffix: string, token: ClaimValue, list: boolean): string | undefined {
  const lower = name.toLowerCase();
  for (const [h, v] of Object.entries(headers)) {
    if (h === lower || !h.endsWith(`-${suffix.toLowerCase()}`)) continue;
    const decoded = decodeIdentityHeader(v, list ? 'list' : 'single');
    if (decoded !== undefined && (list ? sameList(asList(decoded), asList(token)) : decoded === token)) return h;
  }
  return undefined;
}

export interface HeaderFindings {
  /** the gateway forwarded something other than the token's claims (or not at all) */
  gateway: string[];
  /** the gateway forwarded the claim, under a name the backend does not read */
  backend: string[];
}

/** What the backend received that is not the caller's verified identity, by the layer at fault; both empty when intact. */
export function headerFindings(o: GatewayCheckOptions): HeaderFindings {
  const out: string[] = [];
  const misread: string[] = [];
  const { headers } = o.evidence;
  for (const [suffix, claim] of Object.entries(identityHeaderClaims)) {
    const name = `${o.identityHeaderPrefix}${suffix}`;
    const raw = headers[name.toLowerCase()];
    const token = o.claims[claim];
    const list = claim === 'roles';
    if (raw === undefined) {
      if (o.authMode !== 'caller-token' && token !== undefined && o.mappedClaims.includes(claim)) {
        const elsewhere = forwardedElsewhere(headers, name, suffix, token, list);
        if (elsewhere !== undefined) misread.push(`the backend reads ${name}, but the gateway forwarded the token's ${claim} as ${elsewhere}`);
        else out.push(`${name} was not forwarded (the backend reads it): the token's ${claim} ${show(token)} never reached the backend`);
      }
      continue;
    }
    const decoded = decodeIdentityHeader(raw, list ? 'list' : 'single');
    if (decoded === undefined) {
      out.push(`${name} carries ${show(raw)}, which is not the gateway's encoding of a ${list ? 'list' : 'claim'}`);
    } else if (token === undefined) {
      out.push(`${name} carries ${show(decoded)}, but the token has no ${claim}`);
    } else if (list ? !sameList(asList(decoded), asList(token)) : decoded !== token) {
      out.push(`${name} carries ${show(decoded)}, but the token's ${claim} is ${show(token)}`);
    }
  }
  const expected: ForwardedToken[] = o.authMode === 'caller-token' ? ['caller token'] : o.authMode === 'gateway-token' ? ['gateway token'] : ['caller token', 'gateway token'];
  if (!expected.includes(o.evidence.authorization)) {
    out.push(`Authorization held ${o.evidence.authorization === 'none' ? 'no token' : `the ${o.evidence.authorization}`}, but the backend (${o.authMode}) verifies the ${expected.join(' or the ')}`);
  }
  if (o.requestIdKey) {
    const forwarded = headers['x-request-id'];
    if (forwarded === undefined) out.push(`X-Request-Id was not forwarded: the gateway's request id ${o.evidence.gatewayRequestId} never reached the session`);
    else if (forwarded !== o.evidence.gatewayRequestId) out.push(`X-Request-Id carries ${show(forwarded)}, but the gateway's request id is ${o.evidence.gatewayRequestId}`);
  }
  return { gateway: out, backend: misread };
}

/**
 * The session keys the spec expects for these claims (as `rls verify` sets them), by name: one
 * string, a list (multi-valued; an absent claim is the empty list, as the backend sends it), or
 * null. `request-id` keys expect `requestId`; `trace-id` keys are left out (not the caller's identity).
 */
export function expectedKeys(spec: RlsSpec, claims: Readonly<Record<string, ClaimValue>>, requestId: string | null): ReportedKeys {
  const out: ReportedKeys = {};
  for (const k of spec.sessionKeys) {
    if (k.source === 'request-id') {
      out[k.name] = requestId;
      continue;
    }
    // the trace id is the request's, not the caller's, and GET /me does not show it
    if (k.source !== 'claim') continue;
    const v = claims[k.claim ?? ''];
    if (k.multiValued) out[k.name] = asList(v) ?? [];
    else out[k.name] = typeof v === 'string' && v !== '' ? v : null;
  }
  return out;
}

/** Session keys the database reports differently from what the spec expects; keys GET /me cannot show are skipped. */
export function backendFindings(expected: ReportedKeys, reported: ReportedKeys): string[] {
  const out: string[] = [];
  for (const [key, want] of Object.entries(expected)) {
    if (!(key in meDatabaseFields)) continue;
    const got = reported[key] ?? null;
    const same = Array.isArray(want) ? sameList(want, asList(got) ?? (got === null ? [] : undefined)) : got === want;
    if (!same) out.push(`session key ${key} is ${show(got)} in the database, but the token gives ${show(want)}`);
  }
  return out;
}

/** The session keys out of a GET /api/me body (`database`). */
export function reportedKeys(meBody: unknown): ReportedKeys {
  const db = (meBody as { database?: Record<string, unknown> } | undefined)?.database ?? {};
  const out: ReportedKeys = {};
  for (const [key, field] of Object.entries(meDatabaseFields)) {
    const v = db[field];
    out[key] = typeof v === 'string' ? v : Array.isArray(v) ? v.map(String) : null;
  }
  return out;
}
