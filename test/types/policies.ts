/**
 * Type tests for the policy builders: this file only has to compile (`npm run typecheck`).
 * Each `@ts-expect-error` asserts that an invalid combination is rejected by the types.
 */
import {
  validateJwt, validateAzureAdToken, setHeader, setQueryParameter, setBackendService, forwardRequest, quotaByKey, choose, retry, returnResponse,
  setStatus, emitMetric, includeFragment, namedValue, identityChain, expr, type NamedValueRef, type Expr, type PolicyNode,
} from '../../policies/index.js';

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assertType = <T extends true>(): T => true as T;

export const cases: unknown[] = [
  // validate-jwt: exactly one of header-name / query-parameter-name / token-value
  validateJwt({ headerName: 'Authorization' }),
  validateJwt({ queryParameterName: 'access_token' }),
  validateJwt({ tokenValue: expr.requestHeader('X-Token') }),
  // @ts-expect-error two token sources
  validateJwt({ headerName: 'Authorization', queryParameterName: 'access_token' }),
  // @ts-expect-error no token source
  validateJwt({ audiences: ['a'] }),
  // @ts-expect-error match is all | any
  validateJwt({ headerName: 'A', requiredClaims: [{ name: 'roles', match: 'some' }] }),
  // @ts-expect-error a key is Base64, a certificate id, or n and e — not a mix
  validateJwt({ headerName: 'A', issuerSigningKeys: [{ value: 'x', certificateId: 'c' }] }),
  // @ts-expect-error an RSA key needs e with n
  validateJwt({ headerName: 'A', issuerSigningKeys: [{ n: 'modulus' }] }),
  // @ts-expect-error a misspelt option is not silently ignored
  validateJwt({ headerName: 'A', audience: ['x'] }),
  // @ts-expect-error clock skew is a number, a named value or an expression
  validateJwt({ headerName: 'A', clockSkew: '60' }),
  validateJwt({ headerName: 'A', clockSkew: namedValue('skew') }),
  // validate-azure-ad-token: tenant and at least one client application required, at most one token source
  validateAzureAdToken({ tenantId: 't', clientApplicationIds: ['c'] }),
  // @ts-expect-error tenant id required
  validateAzureAdToken({ headerName: 'Authorization', clientApplicationIds: ['c'] }),
  // @ts-expect-error client application ids required
  validateAzureAdToken({ tenantId: 't' }),
  // @ts-expect-error at least one client application id
  validateAzureAdToken({ tenantId: 't', clientApplicationIds: [] }),
  // @ts-expect-error at most one token source
  validateAzureAdToken({ tenantId: 't', headerName: 'A', tokenValue: 'x', clientApplicationIds: ['c'] }),
  // set-header: delete takes no values; the other actions need at least one
  setHeader({ name: 'X', existsAction: 'delete' }),
  setHeader({ name: 'X', existsAction: 'append', values: ['a', 'b'] }),
  // @ts-expect-error delete has no values
  setHeader({ name: 'X', existsAction: 'delete', values: ['v'] }),
  // @ts-expect-error override needs a value
  setHeader({ name: 'X', existsAction: 'override' }),
  // @ts-expect-error at least one value
  setHeader({ name: 'X', values: [] }),
  // @ts-expect-error unknown exists-action
  setHeader({ name: 'X', existsAction: 'replace', values: ['v'] }),
  // @ts-expect-error delete has no values (query parameter)
  setQueryParameter({ name: 'q', existsAction: 'delete', values: ['v'] }),
  // set-backend-service: base-url xor backend-id; Service Fabric attributes need backend-id
  setBackendService({ baseUrl: 'https://x' }),
  setBackendService({ backendId: 'b', sfReplicaType: 'primary' }),
  // @ts-expect-error both
  setBackendService({ baseUrl: 'https://x', backendId: 'b' }),
  // @ts-expect-error Service Fabric with base-url
  setBackendService({ baseUrl: 'https://x', sfReplicaType: 'primary' }),
  // @ts-expect-error replica type is primary | secondary
  setBackendService({ backendId: 'b', sfReplicaType: 'any' }),
  // forward-request: timeout or timeout-ms
  forwardRequest({ timeout: 10 }),
  // @ts-expect-error both timeouts
  forwardRequest({ timeout: 10, timeoutMs: 10 }),
  // @ts-expect-error http-version is 1 | 2or1 | 2
  forwardRequest({ httpVersion: '3' }),
  // quota-by-key: calls and/or bandwidth
  quotaByKey({ bandwidth: 1, renewalPeriod: 1, counterKey: 'k' }),
  // @ts-expect-error neither calls nor bandwidth
  quotaByKey({ renewalPeriod: 1, counterKey: 'k' }),
  // choose: conditions are expressions; at least one when
  choose({ when: [{ condition: expr.hasRequestHeader('A'), policies: [] }] }),
  // @ts-expect-error a string is not a condition
  choose({ when: [{ condition: 'true', policies: [] }] }),
  // @ts-expect-error at least one when
  choose({ when: [] }),
  // @ts-expect-error retry needs count and interval
  retry({ condition: true, policies: [] }),
  // return-response holds built elements
  returnResponse({ status: setStatus({ code: 401 }) }),
  // @ts-expect-error a plain object is not a set-status element
  returnResponse({ status: { code: 401 } }),
  // @ts-expect-error emit-metric's name does not allow expressions
  emitMetric({ name: expr.requestId(), dimensions: [{ name: 'API ID' }] }),
  // @ts-expect-error include-fragment's id is a literal
  includeFragment(expr.requestId()),
];

// typed expressions: values keep their C# type
const claim = expr.tokenClaim('jwt', 'tid');
assertType<Equals<typeof claim, Expr<string>>>();
assertType<Equals<ReturnType<typeof expr.eq>, Expr<boolean>>>();
// @ts-expect-error a string expression is not a condition operand
expr.and(claim, true);
// @ts-expect-error numbers compare with numbers
expr.lt(claim, 3);
expr.and(expr.eq(claim, 't1'), expr.not(expr.isEmpty(expr.callerIp())));

// named values are typed references
export const nv = namedValue('entra-issuer');
assertType<Equals<typeof nv, NamedValueRef<'entra-issuer'>>>();
assertType<Equals<typeof nv, '{{entra-issuer}}'>>();

// the identity preset: one trust form, roles or scopes
const audiences: [string] = ['api://orders'];
export const chains: PolicyNode[][] = [
  identityChain({ trust: { openidConfigUrls: ['https://i/.well-known/openid-configuration'] }, audiences, forwardClaims: [], permissions: { roles: ['A'] } }),
  identityChain({ trust: { entra: { tenantIds: ['t'], version: 'v2' } }, audiences, forwardClaims: [], permissions: { scopes: ['read'] } }),
  // @ts-expect-error roles and scopes at once
  identityChain({ trust: { entra: { tenantIds: ['t'], version: 'v2' } }, audiences, forwardClaims: [], permissions: { roles: ['A'], scopes: ['read'] } }),
  // @ts-expect-error issuers without keys (and no discovery) cannot verify a signature
  identityChain({ trust: { issuers: ['https://i/'] }, audiences, forwardClaims: [] }),
  // @ts-expect-error two trust forms
  identityChain({ trust: { entra: { tenantIds: ['t'], version: 'v1' }, openidConfigUrls: ['https://x'] }, audiences, forwardClaims: [] }),
  // @ts-expect-error at least one audience
  identityChain({ trust: { openidConfigUrls: ['https://x'] }, audiences: [], forwardClaims: [] }),
];
