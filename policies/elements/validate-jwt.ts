/**
 * `validate-jwt`: require a valid JWT from a header, a query parameter or an expression.
 * Reference: https://learn.microsoft.com/azure/api-management/validate-jwt-policy
 */
import type { ElementSpec } from '../model/schema.js';
import { makeElement } from '../model/element.js';
import type { BoolValue, IntValue, Text } from '../model/values.js';
import { claimSpec, decryptionKeySpec, keySpec, openIdConfigSpec, tokenSourceCount, type DecryptionKey, type JwtKey, type OpenIdConfig, type RequiredClaim, type TokenSource } from './jwt-parts.js';

export type ValidateJwtOptions = TokenSource & {
  /** HTTP status on failure (default 401). */
  failedValidationHttpCode?: IntValue;
  failedValidationErrorMessage?: Text;
  requireExpirationTime?: BoolValue;
  /** Token scheme, e.g. "Bearer". */
  requireScheme?: Text;
  requireSignedTokens?: BoolValue;
  /** Allowed clock skew in seconds. */
  clockSkew?: IntValue;
  /** Context variable that receives the validated token (a `Jwt`). */
  outputTokenVariableName?: Text;
  openidConfigs?: OpenIdConfig[];
  issuerSigningKeys?: JwtKey[];
  decryptionKeys?: DecryptionKey[];
  audiences?: Text[];
  issuers?: Text[];
  requiredClaims?: RequiredClaim[];
};

export type ValidateJwt = { kind: 'validate-jwt' } & ValidateJwtOptions;

export const validateJwtSpec: ElementSpec = {
  name: 'validate-jwt',
  attrs: [
    { key: 'headerName', xml: 'header-name', type: 'text' },
    { key: 'queryParameterName', xml: 'query-parameter-name', type: 'text' },
    { key: 'tokenValue', xml: 'token-value', type: 'text' },
    { key: 'failedValidationHttpCode', xml: 'failed-validation-httpcode', type: 'int' },
    { key: 'failedValidationErrorMessage', xml: 'failed-validation-error-message', type: 'text' },
    { key: 'requireExpirationTime', xml: 'require-expiration-time', type: 'bool' },
    { key: 'requireScheme', xml: 'require-scheme', type: 'text' },
    { key: 'requireSignedTokens', xml: 'require-signed-tokens', type: 'bool' },
    { key: 'clockSkew', xml: 'clock-skew', type: 'int' },
    { key: 'outputTokenVariableName', xml: 'output-token-variable-name', type: 'text' },
  ],
  children: [
    { kind: 'struct', key: 'openidConfigs', xml: 'openid-config', spec: openIdConfigSpec, many: true },
    { kind: 'struct', key: 'issuerSigningKeys', xml: 'key', wrapper: 'issuer-signing-keys', spec: keySpec },
    { kind: 'struct', key: 'decryptionKeys', xml: 'key', wrapper: 'decryption-keys', spec: decryptionKeySpec },
    { kind: 'wrapped-texts', key: 'audiences', xml: 'audiences', item: 'audience' },
    { kind: 'wrapped-texts', key: 'issuers', xml: 'issuers', item: 'issuer' },
    { kind: 'struct', key: 'requiredClaims', xml: 'claim', wrapper: 'required-claims', spec: claimSpec },
  ],
  check: (m) => (tokenSourceCount(m) === 1 ? undefined : 'exactly one of headerName, queryParameterName, tokenValue is required'),
};

export function validateJwt(options: ValidateJwtOptions): ValidateJwt {
  return makeElement<ValidateJwt>(validateJwtSpec, options);
}
