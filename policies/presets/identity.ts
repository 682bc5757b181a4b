/**
 * The identity preset: one call, the whole inbound identity chain, always in this order:
 *
 *   1. ip-filter                     (optional: allowed caller IP ranges)
 *   2. validate-jwt                  (issuer / OpenID configuration, audiences, tenant allow-list,
 *                                     roles or scopes, presence of every forwarded claim, expiry,
 *                                     signature, clock skew; the token is stored in a variable)
 *   3. set-variable + choose → 401   (the identity claims' JSON shape: `tid`/`oid`/`sub` and every
 *                                     single-valued forward one string, lists strings, no second
 *                                     claim named like one of them in another letter case, text
 *                                     UTF-8 can carry)
 *      choose → return-response 401  (optional: token lifetime `exp - iat` above the maximum, `iat`
 *                                     in the future, remaining lifetime `exp - now` above the
 *                                     maximum, or a missing `iat`/`exp`)
 *      choose → return-response 403  (optional: a valid token without the required roles/scopes:
 *                                     authenticated but not permitted, so 403 and not 401)
 *   4. set-header delete × n         (strip client-sent headers of the forwarded-identity namespace
 *                                     and X-MS-CLIENT-PRINCIPAL*), then choose → return-response 400
 *                                     if any other header of the namespace is left
 *   5. set-header override × n       (forward only validated claims, read from the stored token,
 *                                     percent-encoded; lists as a JSON array: see forwardedClaim)
 *   6. set-header X-Request-Id       (correlation id = context.RequestId)
 *   7. authentication-managed-identity (optional: the gateway's token for the backend)
 *
 * The order is fixed by this function; callers pass options, never steps, so a chain that
 * forwards before validating or strips after forwarding cannot be expressed through it.
 *
 * Given the RLS spec (`contract`: the spec, or the claim map derived from it), the chain derives
 * what to validate and forward from it (see {@link identityFromContract}): every claim a session
 * key comes from is required and forwarded under the header the backend reads for it, the roles
 * that any RLS rule grants are the roles the 403 check admits, and a request-id key keeps the
 * correlation header. Explicit options still override; `apim-rls chain check` reports what then
 * disagrees (docs/chain.md).
 */
import type { PolicyNode } from '../model/nodes.js';
import type { Text } from '../model/values.js';
import { validateJwt } from '../elements/validate-jwt.js';
import type { JwtKey, RequiredClaim } from '../elements/jwt-parts.js';
import { deleteHeader, setHeader } from '../elements/set-header.js';
import { choose } from '../elements/choose.js';
import { returnResponse } from '../elements/return-response.js';
import { setStatus } from '../elements/set-status.js';
import { setBody } from '../elements/set-body.js';
import { ipFilter, type AddressRange } from '../elements/ip-filter.js';
import { authenticationManagedIdentity } from '../elements/authentication-managed-identity.js';
import { csharp, csharpOf, csharpString, type Expr } from '../expressions/expr.js';
import { forwardedClaim, requestId, tokenGrants, tokenLifetimeExceeds } from '../expressions/context.js';
import { tokenClaimsRefusal } from '../expressions/token-claims.js';
import { setVariable } from '../elements/set-variable.js';
import { not } from '../expressions/operators.js';

/** Entra issuer forms: v1 `https://sts.windows.net/{tid}/`, v2 `https://login.microsoftonline.com/{tid}/v2.0`. */
export function entraIssuer(tenantId: string, version: 'v1' | 'v2'): string {
  checkTenant(tenantId);
  return version === 'v1' ? `https://sts.windows.net/${tenantId}/` : `https://login.microsoftonline.com/${tenantId}/v2.0`;
}

/** The tenant's (or `organizations`/`common`) OpenID configuration URL for v1 or v2 tokens. */
export function entraOpenIdConfigUrl(tenant: string, version: 'v1' | 'v2'): string {
  checkTenant(tenant);
  return version === 'v1'
    ? `https://login.microsoftonline.com/${tenant}/.well-known/openid-configuration`
    : `https://login.microsoftonline.com/${tenant}/v2.0/.well-known/openid-configuration`;
}

function checkTenant(t: string): void {
  if (typeof t !== 'string' || !/^[A-Za-z0-9.-]{1,256}$/.test(t)) throw new RangeError(`Invalid Entra tenant ${JSON.stringify(t)}`);
}

/** Where signing keys and issuers come from: exactly one of the three forms. */
export type TokenTrust =
  | {
      /** OpenID configuration URL(s); keys come from their JWKS. */
      openidConfigUrls: [Text, ...Text[]];
      /** Accepted issuers (recommended even with discovery). */
      issuers?: Text[];
      issuerSigningKeys?: never;
      entra?: never;
    }
  | {
      /** Accepted issuers with explicit keys (no discovery). */
      issuers: [Text, ...Text[]];
      issuerSigningKeys: [JwtKey, ...JwtKey[]];
      openidConfigUrls?: never;
      entra?: never;
    }
  | {
      /**
       * Microsoft Entra: the allowed tenants (also enforced on `tid`) and the token version(s)
       * accepted, which decides the issuer forms. One tenant reads its own OpenID configuration;
       * several read `organizations`.
       */
      entra: { tenantIds: [string, ...string[]]; version: 'v1' | 'v2' | 'both' };
      openidConfigUrls?: never;
      issuers?: never;
      issuerSigningKeys?: never;
    };

/** App permissions (`roles`) or delegated scopes (`scp`, space-separated): one or the other. */
export type CallerPermissions =
  | { roles: [string, ...string[]]; scopes?: never; match?: 'any' | 'all' }
  | { scopes: [string, ...string[]]; roles?: never; match?: 'any' | 'all' };

export interface ForwardedClaim {
  /** The claim of the validated token, e.g. `oid`. */
  claim: string;
  /** The header it is forwarded as; must be in the forwarded-identity namespace (start with the prefix). */
  header: string;
  /**
   * A list claim (forwarded as a JSON array of strings) rather than one string. Default: true for
   * Entra's array claims (`roles`, `groups`, `wids`, `amr`, per the access-token claims reference),
   * false otherwise. `tid`, `oid` and `sub` are always single-valued.
   */
  multiValued?: boolean;
}

/** Claims Entra issues as JSON arrays of strings (access-token claims reference). */
export const LIST_CLAIMS: readonly string[] = Object.freeze(['roles', 'groups', 'wids', 'amr']);
/** Identity claims that are one string whatever the policy forwards: checked on every token. */
export const SINGLE_IDENTITY_CLAIMS: readonly string[] = Object.freeze(['tid', 'oid', 'sub']);

export interface IdentityChainOptions {
  trust: TokenTrust;
  audiences: [Text, ...Text[]];
  /** Required roles or scopes (omit for "any authenticated caller"). */
  permissions?: CallerPermissions;
  /** Tenants allowed (`tid` must be one of them). Entra trust sets this from its tenant list. */
  allowedTenants?: [string, ...string[]];
  /** Further claims the token must carry. */
  requiredClaims?: RequiredClaim[];
  /**
   * Validated claims to forward as headers. Each one is also required to be present. With a
   * `contract`, these are added to the claims it derives, and replace the derived header of the
   * same claim.
   */
  forwardClaims?: ForwardedClaim[];
  /**
   * The identity contract: the RLS spec (or the claim map derived from it, `claimMapFromSpec`).
   * Derives the forwarded claims, the required claims, the admitted roles and the correlation
   * header (explicit options override): {@link identityFromContract}.
   */
  contract?: IdentityContract;
  /** Allowed clock skew in seconds (default 0 here: APIM's own default is also 0). */
  clockSkewSeconds?: number;
  /**
   * Refuse tokens whose `exp - iat` exceeds this many seconds, whose `iat` lies in the future
   * (beyond the clock skew), whose remaining lifetime `exp - now` exceeds it (plus the skew), and
   * tokens without `iat` or `exp`.
   */
  maxTokenLifetimeSeconds?: number;
  /** Callers allowed by IP address or range; omit to allow every address. */
  allowedCallerIps?: (string | AddressRange)[];
  /** Prefix of the forwarded-identity namespace (default `X-Identity-`). */
  identityHeaderPrefix?: string;
  /** Extra client-sent headers to strip (exact names). */
  stripHeaders?: string[];
  /** Correlation id header (default `X-Request-Id`); `false` for none. */
  correlationHeader?: string | false;
  /** Send the gateway's managed-identity token for this resource to the backend. */
  backendManagedIdentity?: { resource: Text; clientId?: Text };
  /** Context variable that holds the validated token (default `jwt`). */
  tokenVariable?: string;
  /** Header carrying the caller's token (default `Authorization`, scheme Bearer). */
  tokenHeader?: string;
}

/** A session key as the RLS spec states it (structurally typed: `rls/spec` needs no import here). */
export interface ContractSessionKey {
  name: string;
  source: 'claim' | 'request-id' | 'trace-id';
  claim?: string | undefined;
  required: boolean;
  multiValued: boolean;
}

/** One rule of a protected table: the roles it grants, on the caller's own rows or the tenant's. */
export interface ContractAccessRule {
  roles: readonly string[];
  scope?: 'tenant' | 'owner';
}

/** The parts of an RLS spec the identity chain reads. */
export interface SpecContract {
  sessionKeys: readonly ContractSessionKey[];
  /** The session key holding the caller's roles. */
  rolesKey?: string | undefined;
  tables?: readonly { access?: Partial<Record<'select' | 'insert' | 'update' | 'delete', readonly ContractAccessRule[] | undefined>> | undefined }[];
}

/** A claim map rule (functions/identity/claim-map.ts, structurally). */
export interface ContractClaimRule {
  key: string;
  from: { claim: string } | { requestId: true } | { traceId: true };
  required: boolean;
  multiValued?: boolean | undefined;
}

/** The RLS spec, or the claim map derived from it (which names no roles). */
export type IdentityContract = SpecContract | readonly ContractClaimRule[];

/**
 * The header suffix (after the prefix) the backend reads each identity claim from: the Functions
 * trust boundary's `identityHeaderClaims` (functions/identity/trust-boundary.ts; a test keeps the
 * two equal). In this order the chain forwards them.
 */
export const IDENTITY_HEADER_SUFFIXES: Readonly<Record<string, string>> = Object.freeze({
  tid: 'Tenant-Id',
  oid: 'Object-Id',
  sub: 'Subject',
  roles: 'Roles',
  scp: 'Scopes',
});

/** What the identity chain takes from a contract. */
export interface ContractDerived {
  forwardClaims: ForwardedClaim[];
  /** Claims required by a required session key (validate-jwt refuses tokens without them). */
  requiredClaims: string[];
  /** Every role an RLS rule grants (owner-scoped rules' roles first, each in the order the spec names them); undefined when no rule names a role. */
  roles: [string, ...string[]] | undefined;
  /** The claim holding the roles (the spec's roles key), default `roles`. */
  rolesClaim: string;
  /** A session key is the request id: the correlation header must reach the backend. */
  requestId: boolean;
}

/**
 * Reads a contract: the claims its session keys come from (forwarded under the header the backend
 * reads: prefix + {@link IDENTITY_HEADER_SUFFIXES}; a claim with none needs an explicit
 * `forwardClaims` entry), the claims required keys need, the roles RLS rules grant.
 */
export function identityFromContract(contract: IdentityContract, prefix = 'X-Identity-', explicit: readonly ForwardedClaim[] = []): ContractDerived {
  const keys: ContractSessionKey[] = isClaimMap(contract)
    ? contract.map((r) => ({ name: r.key, source: 'claim' in r.from ? 'claim' : 'requestId' in r.from ? 'request-id' : 'trace-id', claim: 'claim' in r.from ? r.from.claim : undefined, required: r.required, multiValued: r.multiValued === true }))
    : [...contract.sessionKeys];
  const forwards = new Map<string, ForwardedClaim>();
  const requiredClaims: string[] = [];
  for (const k of keys) {
    if (k.source !== 'claim') continue;
    const claim = k.claim ?? k.name;
    if (k.required && !requiredClaims.includes(claim)) requiredClaims.push(claim);
    if (forwards.has(claim)) continue;
    const given = explicit.find((f) => f.claim === claim);
    const suffix = IDENTITY_HEADER_SUFFIXES[claim];
    if (given === undefined && suffix === undefined) {
      throw new RangeError(`The session key ${k.name} comes from the claim ${claim}, which the backend reads from no header: forward it explicitly (forwardClaims) or map it from a claim it reads (${Object.keys(IDENTITY_HEADER_SUFFIXES).join(', ')})`);
    }
    forwards.set(claim, given ?? { claim, header: `${prefix}${suffix}`, ...(k.multiValued && !LIST_CLAIMS.includes(claim) ? { multiValued: true } : {}) });
  }
  for (const f of explicit) if (!forwards.has(f.claim)) forwards.set(f.claim, f);
  // the backend's header order, then the rest as given
  const rank = (claim: string) => {
    const i = Object.keys(IDENTITY_HEADER_SUFFIXES).indexOf(claim);
    return i === -1 ? Number.MAX_SAFE_INTEGER : i;
  };
  const forwardClaims = [...forwards.values()].map((f, i) => ({ f, i })).sort((a, b) => rank(a.f.claim) - rank(b.f.claim) || a.i - b.i).map((x) => x.f);
  const roles: string[] = [];
  let rolesClaim = 'roles';
  if (!isClaimMap(contract)) {
    const rolesKey = contract.rolesKey === undefined ? undefined : keys.find((k) => k.name === contract.rolesKey);
    if (rolesKey?.source === 'claim') rolesClaim = rolesKey.claim ?? rolesKey.name;
    // narrowest access first: the roles of owner-scoped rules, then of tenant-scoped ones (the order only shows in the XML)
    for (const scope of ['owner', 'tenant', undefined] as const) {
      for (const t of contract.tables ?? []) {
        for (const op of ['select', 'insert', 'update', 'delete'] as const) {
          for (const rule of t.access?.[op] ?? []) {
            if ((scope === undefined) !== (rule.scope === undefined) || (scope !== undefined && rule.scope !== scope)) continue;
            for (const role of rule.roles) if (!roles.includes(role)) roles.push(role);
          }
        }
      }
    }
  }
  return {
    forwardClaims,
    requiredClaims,
    roles: roles.length > 0 ? (roles as [string, ...string[]]) : undefined,
    rolesClaim,
    requestId: keys.some((k) => k.source === 'request-id'),
  };
}

function isClaimMap(c: IdentityContract): c is readonly ContractClaimRule[] {
  return Array.isArray(c);
}

/** Client-principal headers App Service / Functions authentication would otherwise trust. */
export const CLIENT_PRINCIPAL_HEADERS = [
  'X-MS-CLIENT-PRINCIPAL',
  'X-MS-CLIENT-PRINCIPAL-ID',
  'X-MS-CLIENT-PRINCIPAL-NAME',
  'X-MS-CLIENT-PRINCIPAL-IDP',
] as const;

const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

function problem(status: number, title: string, detail: string, wwwAuthenticate?: string): PolicyNode {
  const body = JSON.stringify({ type: 'about:blank', title, status, detail });
  return returnResponse({
    status: setStatus({ code: status, reason: title }),
    headers: [
      setHeader({ name: 'Content-Type', existsAction: 'override', values: ['application/problem+json'] }),
      ...(wwwAuthenticate === undefined ? [] : [setHeader({ name: 'WWW-Authenticate', existsAction: 'override', values: [wwwAuthenticate] })]),
    ],
    body: setBody({ body }),
  });
}

/** A problem+json refusal whose detail is computed (a C# string expression), JSON-escaped by JsonConvert. */
function problemFrom(status: number, title: string, detail: Expr<string>, wwwAuthenticate: string): PolicyNode {
  const head = JSON.stringify({ type: 'about:blank', title, status }).slice(0, -1) + ',"detail":';
  return returnResponse({
    status: setStatus({ code: status, reason: title }),
    headers: [
      setHeader({ name: 'Content-Type', existsAction: 'override', values: ['application/problem+json'] }),
      setHeader({ name: 'WWW-Authenticate', existsAction: 'override', values: [wwwAuthenticate] }),
    ],
    body: setBody({ body: csharp<string>(`${csharpString(head)} + JsonConvert.SerializeObject(${csharpOf(detail)}) + "}"`) }),
  });
}

/** The inbound identity chain (without `<base />`: put it where the scope needs it). */
export function identityChain(options: IdentityChainOptions): PolicyNode[] {
  const prefix = options.identityHeaderPrefix ?? 'X-Identity-';
  if (!HEADER_NAME.test(prefix) || !prefix.endsWith('-')) throw new RangeError('identityHeaderPrefix must be a header-name prefix ending in "-"');
  const variable = options.tokenVariable ?? 'jwt';
  if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(variable)) throw new RangeError('tokenVariable must be a simple variable name');
  const tokenHeader = options.tokenHeader ?? 'Authorization';
  if (!HEADER_NAME.test(tokenHeader)) throw new RangeError('tokenHeader must be a header name');
  if (options.audiences === undefined || options.audiences.length === 0) throw new TypeError('at least one audience is required');
  const derived = options.contract === undefined ? undefined : identityFromContract(options.contract, prefix, options.forwardClaims ?? []);
  const forwards = derived?.forwardClaims ?? options.forwardClaims ?? [];
  const seen = new Set<string>();
  for (const f of forwards) {
    if (!HEADER_NAME.test(f.header) || !f.header.toLowerCase().startsWith(prefix.toLowerCase()) || f.header.length === prefix.length) {
      throw new RangeError(`Forwarded header ${JSON.stringify(f.header)} must be in the ${prefix}* namespace, so the chain strips client-sent copies first`);
    }
    if (seen.has(f.header.toLowerCase())) throw new RangeError(`Header ${f.header} is forwarded twice`);
    seen.add(f.header.toLowerCase());
    if (typeof f.claim !== 'string' || f.claim === '') throw new TypeError('A forwarded claim needs a claim name');
    if (f.multiValued === true && SINGLE_IDENTITY_CLAIMS.includes(f.claim)) throw new RangeError(`The claim ${f.claim} is single-valued`);
  }
  const isList = (f: ForwardedClaim) => f.multiValued ?? LIST_CLAIMS.includes(f.claim);
  const skew = options.clockSkewSeconds ?? 0;
  if (!Number.isSafeInteger(skew) || skew < 0 || skew > 300) throw new RangeError('clockSkewSeconds must be an integer from 0 to 300');
  const correlation = options.correlationHeader ?? 'X-Request-Id';
  if (correlation !== false && !HEADER_NAME.test(correlation)) throw new RangeError('correlationHeader must be a header name');

  // 2. what validate-jwt requires
  const trust = options.trust;
  let openidConfigs: { url: Text }[] | undefined;
  let issuers: Text[] | undefined;
  let keys: JwtKey[] | undefined;
  let tenants = options.allowedTenants as string[] | undefined;
  if (trust.entra !== undefined) {
    const { tenantIds, version } = trust.entra;
    if (tenantIds.length === 0) throw new TypeError('entra.tenantIds needs at least one tenant');
    const versions: ('v1' | 'v2')[] = version === 'both' ? ['v1', 'v2'] : [version];
    const discovery = tenantIds.length === 1 ? (tenantIds[0] as string) : 'organizations';
    openidConfigs = [{ url: entraOpenIdConfigUrl(discovery, versions.includes('v2') ? 'v2' : 'v1') }];
    issuers = tenantIds.flatMap((t) => versions.map((v) => entraIssuer(t, v)));
    tenants = [...new Set([...(tenants ?? []), ...tenantIds])];
  } else if (trust.openidConfigUrls !== undefined) {
    openidConfigs = trust.openidConfigUrls.map((url) => ({ url }));
    issuers = trust.issuers;
  } else {
    issuers = trust.issuers;
    keys = trust.issuerSigningKeys;
  }

  const claims: RequiredClaim[] = [];
  if (tenants !== undefined) claims.push({ name: 'tid', match: 'any', values: [...tenants] });
  // roles / scopes are checked after validation (403), not by validate-jwt (which can only answer 401)
  // a contract's roles go through the claim holding them; list claims only (scopes are another contract)
  const perms: CallerPermissions | undefined =
    options.permissions ?? (derived?.roles !== undefined && derived.rolesClaim === 'roles' ? { roles: derived.roles, match: 'any' } : undefined);
  const permission =
    perms === undefined
      ? undefined
      : perms.roles !== undefined
        ? { claim: 'roles', granted: tokenGrants(variable, 'roles', perms.roles, { format: 'list', match: perms.match ?? 'any' }) }
        : { claim: 'scp', granted: tokenGrants(variable, 'scp', perms.scopes, { format: 'space-separated', match: perms.match ?? 'any' }) };
  claims.push(...(options.requiredClaims ?? []));
  for (const c of derived?.requiredClaims ?? []) if (c !== permission?.claim && !claims.some((x) => x.name === c)) claims.push({ name: c });
  for (const f of forwards) {
    // the permission claim may be absent (no permission → 403 below); every other forwarded claim must be present
    if (f.claim !== permission?.claim && !claims.some((c) => c.name === f.claim)) claims.push({ name: f.claim });
  }

  const chain: PolicyNode[] = [];
  // 1. caller IPs
  if (options.allowedCallerIps !== undefined) {
    const addresses = options.allowedCallerIps.filter((a): a is string => typeof a === 'string');
    const ranges = options.allowedCallerIps.filter((a): a is AddressRange => typeof a !== 'string');
    chain.push(ipFilter({ action: 'allow', ...(addresses.length ? { addresses } : {}), ...(ranges.length ? { addressRanges: ranges } : {}) }));
  }
  // 2. the token
  chain.push(
    validateJwt({
      headerName: tokenHeader,
      failedValidationHttpCode: 401,
      failedValidationErrorMessage: 'Unauthorized',
      requireExpirationTime: true,
      requireScheme: 'Bearer',
      requireSignedTokens: true,
      clockSkew: skew,
      outputTokenVariableName: variable,
      ...(openidConfigs ? { openidConfigs } : {}),
      ...(keys ? { issuerSigningKeys: keys as [JwtKey, ...JwtKey[]] } : {}),
      audiences: [...options.audiences],
      ...(issuers ? { issuers: [...issuers] } : {}),
      ...(claims.length ? { requiredClaims: claims } : {}),
    }),
  );
  // 3. the identity claims' shape, read from the token's JSON (Jwt.Claims cannot tell a number or an array from a string)
  const listClaims = [...new Set([...forwards.filter(isList).map((f) => f.claim), ...(perms?.roles !== undefined ? ['roles'] : [])])];
  const singleClaims = [...new Set([...SINGLE_IDENTITY_CLAIMS, ...forwards.filter((f) => !isList(f)).map((f) => f.claim), ...(perms?.scopes !== undefined ? ['scp'] : [])])];
  const conflict = singleClaims.find((c) => listClaims.includes(c));
  if (conflict !== undefined) throw new RangeError(`The claim ${conflict} is forwarded both as one string and as a list`);
  const refusalVariable = `${variable}-claims-refusal`;
  chain.push(setVariable({ name: refusalVariable, value: tokenClaimsRefusal({ tokenHeader, single: singleClaims, list: listClaims }) }));
  chain.push(
    choose({
      when: [
        {
          condition: csharp<boolean>(`context.Variables.GetValueOrDefault<string>(${csharpString(refusalVariable)}, "") != ""`),
          policies: [problemFrom(401, 'Unauthorized', csharp<string>(`context.Variables.GetValueOrDefault<string>(${csharpString(refusalVariable)}, "")`), 'Bearer error="invalid_token"')],
        },
      ],
    }),
  );
  // 3a. lifetime
  if (options.maxTokenLifetimeSeconds !== undefined) {
    chain.push(
      choose({
        when: [
          {
            condition: tokenLifetimeExceeds(variable, options.maxTokenLifetimeSeconds, skew),
            policies: [problem(401, 'Unauthorized', 'The token lifetime exceeds what this API accepts.', 'Bearer error="invalid_token"')],
          },
        ],
      }),
    );
  }
  // 3b. permissions: a valid token that does not grant the API's roles or scopes
  if (permission !== undefined) {
    chain.push(
      choose({
        when: [
          {
            condition: not(permission.granted),
            policies: [problem(403, 'Forbidden', `The token does not grant the ${permission.claim === 'roles' ? 'role' : 'scope'} this API requires.`, 'Bearer error="insufficient_scope"')],
          },
        ],
      }),
    );
  }
  // 4. strip the namespace
  const strip = new Map<string, string>();
  for (const h of [...forwards.map((f) => f.header), ...CLIENT_PRINCIPAL_HEADERS, ...(options.stripHeaders ?? [])]) {
    if (!HEADER_NAME.test(h)) throw new RangeError(`Invalid header name ${JSON.stringify(h)}`);
    if (!strip.has(h.toLowerCase())) strip.set(h.toLowerCase(), h);
  }
  for (const h of strip.values()) chain.push(deleteHeader(h));
  chain.push(
    choose({
      when: [
        {
          condition: csharp<boolean>(
            `context.Request.Headers.Keys.Any(h => h.StartsWith(${csharpString(prefix)}, StringComparison.OrdinalIgnoreCase) || h.StartsWith("X-MS-CLIENT-PRINCIPAL", StringComparison.OrdinalIgnoreCase))`,
          ),
          policies: [problem(400, 'Bad Request', 'The request carries a reserved identity header.')],
        },
      ],
    }),
  );
  // 5. forward validated claims
  for (const f of forwards) chain.push(setHeader({ name: f.header, existsAction: 'override', values: [forwardedClaim(variable, f.claim, isList(f) ? 'list' : 'single')] }));
  // 6. correlation id
  if (correlation !== false) chain.push(setHeader({ name: correlation, existsAction: 'override', values: [requestId()] }));
  // 7. the gateway's own token for the backend
  if (options.backendManagedIdentity !== undefined) {
    const mi = options.backendManagedIdentity;
    chain.push(authenticationManagedIdentity({ resource: mi.resource, ...(mi.clientId !== undefined ? { clientId: mi.clientId } : {}) }));
  }
  return chain;
}
