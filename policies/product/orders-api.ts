/**
 * The sample orders API's own policy (API scope): the identity chain, then a per-caller rate limit.
 *
 * Named values (the default, for publishing; create them in the APIM instance):
 *   {{entra-openid-config}}   OpenID configuration URL of the Entra tenant (v2 endpoint)
 *   {{entra-issuer}}          accepted issuer, e.g. https://login.microsoftonline.com/<tid>/v2.0
 *   {{entra-tenant-id}}       the tenant allowed to call (`tid`)
 *   {{orders-backend-resource}} App ID URI the gateway's managed identity requests a token for
 * The local gateway passes local values instead (its dev issuer's discovery URL and issuer).
 *
 * What it validates and forwards comes from the sample's RLS spec (rls/sample/spec.ts), the
 * contract the backend's claim map and the RLS SQL come from too: the claims of its session keys
 * (`tid`, `oid`, `roles`), the roles its rules grant, the request id. `sub` is forwarded besides
 * (the backend shows it on /api/me; no session key reads it).
 */
import type { Text } from '../model/values.js';
import { namedValue } from '../model/values.js';
import { policyDocument, type PolicyDocument } from '../model/document.js';
import { base } from '../elements/base.js';
import { rateLimitByKey, type RateLimitByKey } from '../elements/rate-limit-by-key.js';
import { identityChain, identityFromContract, type ForwardedClaim } from '../presets/identity.js';
import { ordersSpec } from '../../rls/sample/spec.js';
import { tokenClaim } from '../expressions/context.js';

export const ORDERS_AUDIENCE = 'api://apim-rls-orders';
export const ORDERS_TOKEN_VARIABLE = 'jwt';

/** Forwarded besides what the spec needs: `sub`, for /api/me. */
const ORDERS_EXTRA_FORWARDS: ForwardedClaim[] = [{ claim: 'sub', header: 'X-Identity-Subject' }];
const ordersContract = identityFromContract(ordersSpec, 'X-Identity-', ORDERS_EXTRA_FORWARDS);

/** The roles the API admits: every role a rule of the sample spec grants. */
export const ORDERS_ROLES: readonly string[] = Object.freeze([...(ordersContract.roles ?? [])]);

/** Forwarded identity: header → claim (the Functions trust boundary reads the same names), from the spec. */
export const ORDERS_FORWARDED_CLAIMS: readonly Readonly<ForwardedClaim>[] = Object.freeze(ordersContract.forwardClaims.map((c) => Object.freeze({ ...c })));

export interface OrdersApiPolicyOptions {
  openidConfigUrl?: Text;
  issuer?: Text;
  audience?: Text;
  /** Allowed tenants (`tid`); default `{{entra-tenant-id}}`. Pass `null` to allow any tenant the issuer list admits. */
  allowedTenants?: [string, ...string[]] | null;
  /** Resource for the gateway's managed-identity token; `null` to forward without one. */
  backendResource?: Text | null;
  /** Calls per caller per window (default 100 per 60 s). */
  rateLimit?: { calls: number; renewalPeriodSeconds: number };
  /** Maximum `exp - iat` in seconds (default 3600, one hour). */
  maxTokenLifetimeSeconds?: number;
  clockSkewSeconds?: number;
}

/** rate-limit-by-key on the validated caller's object id (`oid`), read from the stored token. */
export function perCallerRateLimit(calls = 100, renewalPeriodSeconds = 60, tokenVariable = ORDERS_TOKEN_VARIABLE): RateLimitByKey {
  return rateLimitByKey({
    calls,
    renewalPeriod: renewalPeriodSeconds,
    counterKey: tokenClaim(tokenVariable, 'oid'),
    retryAfterHeaderName: 'Retry-After',
  });
}

export function ordersApiPolicy(options: OrdersApiPolicyOptions = {}): PolicyDocument {
  const openidConfigUrl = options.openidConfigUrl ?? namedValue('entra-openid-config');
  const issuer = options.issuer ?? namedValue('entra-issuer');
  const tenants = options.allowedTenants === undefined ? ([namedValue('entra-tenant-id')] as [string]) : options.allowedTenants;
  const backendResource = options.backendResource === undefined ? namedValue('orders-backend-resource') : options.backendResource;
  const limit = options.rateLimit ?? { calls: 100, renewalPeriodSeconds: 60 };
  return policyDocument({
    inbound: [
      base(),
      ...identityChain({
        trust: { openidConfigUrls: [openidConfigUrl], issuers: [issuer] },
        audiences: [options.audience ?? ORDERS_AUDIENCE],
        contract: ordersSpec,
        ...(tenants !== null ? { allowedTenants: tenants } : {}),
        forwardClaims: ORDERS_EXTRA_FORWARDS.map((c) => ({ ...c })),
        maxTokenLifetimeSeconds: options.maxTokenLifetimeSeconds ?? 3600,
        clockSkewSeconds: options.clockSkewSeconds ?? 60,
        tokenVariable: ORDERS_TOKEN_VARIABLE,
        ...(backendResource !== null ? { backendManagedIdentity: { resource: backendResource } } : {}),
      }),
      perCallerRateLimit(limit.calls, limit.renewalPeriodSeconds),
    ],
    backend: [base()],
    outbound: [base()],
    onError: [base()],
  });
}
