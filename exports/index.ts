/**
 * `apim-rls`: the policy toolkit (model, builders, expressions, presets, XML parse/write, lint).
 * Re-exports only, the same list as policies/index.ts without this product's own policies
 * (policies/product is the app's code); test/exports keeps the two in step.
 */
// model
export type { PolicyDocument, PolicyFragment, PolicyDocumentOptions, SectionName, LayoutItem } from '../policies/model/document.js';
export { policyDocument, policyFragment, SECTION_NAMES } from '../policies/model/document.js';
export type { PolicyNode, PolicyElement, PolicyElementName, Base, Comment, RawXml, GenericNode } from '../policies/model/nodes.js';
export type { PolicyExpression, NamedValueRef, Text, BoolValue, IntValue, EnumValue, CData } from '../policies/model/values.js';
export { cdata, namedValue, isNamedValueRef, expression, isPolicyExpression, listNamedValues } from '../policies/model/values.js';
export { buildPolicy, readPolicy } from '../policies/model/codec.js';
export { emitPolicy, parsePolicy, type EmitPolicyOptions } from '../policies/model/text.js';
export { semanticEqual } from '../policies/model/equal.js';
export { PolicyModelError, type PolicyModelErrorCode } from '../policies/model/errors.js';
export { POLICY_REFERENCE, type DocumentedElement, type DocumentedAttribute } from '../policies/model/reference.js';
// elements
export { base, comment, raw } from '../policies/elements/base.js';
export { validateJwt, type ValidateJwt, type ValidateJwtOptions } from '../policies/elements/validate-jwt.js';
export { validateAzureAdToken, type ValidateAzureAdToken, type ValidateAzureAdTokenOptions } from '../policies/elements/validate-azure-ad-token.js';
export type { JwtKey, DecryptionKey, RequiredClaim, OpenIdConfig, TokenSource } from '../policies/elements/jwt-parts.js';
export { checkHeader, type CheckHeader, type CheckHeaderOptions } from '../policies/elements/check-header.js';
export { setHeader, deleteHeader, type SetHeader, type SetHeaderOptions } from '../policies/elements/set-header.js';
export { setQueryParameter, type SetQueryParameter, type SetQueryParameterOptions } from '../policies/elements/set-query-parameter.js';
export { rewriteUri, type RewriteUri, type RewriteUriOptions } from '../policies/elements/rewrite-uri.js';
export { setBackendService, type SetBackendService, type SetBackendServiceOptions } from '../policies/elements/set-backend-service.js';
export { authenticationManagedIdentity, type AuthenticationManagedIdentity, type AuthenticationManagedIdentityOptions } from '../policies/elements/authentication-managed-identity.js';
export { rateLimitByKey, type RateLimitByKey, type RateLimitByKeyOptions } from '../policies/elements/rate-limit-by-key.js';
export { quotaByKey, type QuotaByKey, type QuotaByKeyOptions } from '../policies/elements/quota-by-key.js';
export { cors, type Cors, type CorsOptions, type CorsAllowedMethods } from '../policies/elements/cors.js';
export { returnResponse, type ReturnResponse, type ReturnResponseOptions } from '../policies/elements/return-response.js';
export { setStatus, type SetStatus, type SetStatusOptions } from '../policies/elements/set-status.js';
export { setBody, type SetBody, type SetBodyOptions } from '../policies/elements/set-body.js';
export { setVariable, type SetVariable, type SetVariableOptions } from '../policies/elements/set-variable.js';
export { choose, when, type Choose, type ChooseOptions, type When } from '../policies/elements/choose.js';
export { includeFragment, type IncludeFragment, type IncludeFragmentOptions } from '../policies/elements/include-fragment.js';
export { ipFilter, type IpFilter, type IpFilterOptions, type AddressRange } from '../policies/elements/ip-filter.js';
export { forwardRequest, type ForwardRequest, type ForwardRequestOptions } from '../policies/elements/forward-request.js';
export { retry, type Retry, type RetryOptions } from '../policies/elements/retry.js';
export { mockResponse, type MockResponse, type MockResponseOptions } from '../policies/elements/mock-response.js';
export { trace, type Trace, type TraceOptions, type TraceMetadata } from '../policies/elements/trace.js';
export { emitMetric, type EmitMetric, type EmitMetricOptions, type MetricDimension } from '../policies/elements/emit-metric.js';
export { limitConcurrency, type LimitConcurrency, type LimitConcurrencyOptions } from '../policies/elements/limit-concurrency.js';
// expressions
export * as expr from '../policies/expressions/index.js';
export type { Expr, Operand } from '../policies/expressions/index.js';
// presets
export {
  identityChain,
  entraIssuer,
  entraOpenIdConfigUrl,
  CLIENT_PRINCIPAL_HEADERS,
  identityFromContract,
  IDENTITY_HEADER_SUFFIXES,
  type IdentityChainOptions,
  type IdentityContract,
  type SpecContract,
  type ContractSessionKey,
  type ContractAccessRule,
  type ContractClaimRule,
  type ContractDerived,
  type TokenTrust,
  type CallerPermissions,
  type ForwardedClaim,
} from '../policies/presets/identity.js';
// XML layer
export * from '../policies/xml/index.js';
// linter
export * from '../policies/lint/index.js';
