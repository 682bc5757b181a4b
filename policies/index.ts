/** apim-rls policies: the public surface (re-exports only). */
// model
export type { PolicyDocument, PolicyFragment, PolicyDocumentOptions, SectionName, LayoutItem } from './model/document.js';
export { policyDocument, policyFragment, SECTION_NAMES } from './model/document.js';
export type { PolicyNode, PolicyElement, PolicyElementName, Base, Comment, RawXml, GenericNode } from './model/nodes.js';
export type { PolicyExpression, NamedValueRef, Text, BoolValue, IntValue, EnumValue, CData } from './model/values.js';
export { cdata, namedValue, isNamedValueRef, expression, isPolicyExpression, listNamedValues } from './model/values.js';
export { buildPolicy, readPolicy } from './model/codec.js';
export { emitPolicy, parsePolicy, type EmitPolicyOptions } from './model/text.js';
export { semanticEqual } from './model/equal.js';
export { PolicyModelError, type PolicyModelErrorCode } from './model/errors.js';
export { POLICY_REFERENCE, type DocumentedElement, type DocumentedAttribute } from './model/reference.js';
// elements
export { base, comment, raw } from './elements/base.js';
export { validateJwt, type ValidateJwt, type ValidateJwtOptions } from './elements/validate-jwt.js';
export { validateAzureAdToken, type ValidateAzureAdToken, type ValidateAzureAdTokenOptions } from './elements/validate-azure-ad-token.js';
export type { JwtKey, DecryptionKey, RequiredClaim, OpenIdConfig, TokenSource } from './elements/jwt-parts.js';
export { checkHeader, type CheckHeader, type CheckHeaderOptions } from './elements/check-header.js';
export { setHeader, deleteHeader, type SetHeader, type SetHeaderOptions } from './elements/set-header.js';
export { setQueryParameter, type SetQueryParameter, type SetQueryParameterOptions } from './elements/set-query-parameter.js';
export { rewriteUri, type RewriteUri, type RewriteUriOptions } from './elements/rewrite-uri.js';
export { setBackendService, type SetBackendService, type SetBackendServiceOptions } from './elements/set-backend-service.js';
export { authenticationManagedIdentity, type AuthenticationManagedIdentity, type AuthenticationManagedIdentityOptions } from './elements/authentication-managed-identity.js';
export { rateLimitByKey, type RateLimitByKey, type RateLimitByKeyOptions } from './elements/rate-limit-by-key.js';
export { quotaByKey, type QuotaByKey, type QuotaByKeyOptions } from './elements/quota-by-key.js';
export { cors, type Cors, type CorsOptions, type CorsAllowedMethods } from './elements/cors.js';
export { returnResponse, type ReturnResponse, type ReturnResponseOptions } from './elements/return-response.js';
export { setStatus, type SetStatus, type SetStatusOptions } from './elements/set-status.js';
export { setBody, type SetBody, type SetBodyOptions } from './elements/set-body.js';
export { setVariable, type SetVariable, type SetVariableOptions } from './elements/set-variable.js';
export { choose, when, type Choose, type ChooseOptions, type When } from './elements/choose.js';
export { includeFragment, type IncludeFragment, type IncludeFragmentOptions } from './elements/include-fragment.js';
export { ipFilter, type IpFilter, type IpFilterOptions, type AddressRange } from './elements/ip-filter.js';
export { forwardRequest, type ForwardRequest, type ForwardRequestOptions } from './elements/forward-request.js';
export { retry, type Retry, type RetryOptions } from './elements/retry.js';
export { mockResponse, type MockResponse, type MockResponseOptions } from './elements/mock-response.js';
export { trace, type Trace, type TraceOptions, type TraceMetadata } from './elements/trace.js';
export { emitMetric, type EmitMetric, type EmitMetricOptions, type MetricDimension } from './elements/emit-metric.js';
export { limitConcurrency, type LimitConcurrency, type LimitConcurrencyOptions } from './elements/limit-concurrency.js';
// expressions
export * as expr from './expressions/index.js';
export type { Expr, Operand } from './expressions/index.js';
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
} from './presets/identity.js';
// this product's policies
export { productPolicies, ordersApiPolicy, globalPolicy, perCallerRateLimit, type ProductPolicy, type OrdersApiPolicyOptions } from './product/index.js';
// XML layer
export * from './xml/index.js';
// linter
export * from './lint/index.js';
