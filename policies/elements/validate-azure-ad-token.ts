/**
 * `validate-azure-ad-token`: require a valid Microsoft Entra token.
 * Reference: https://learn.microsoft.com/azure/api-management/validate-azure-ad-token-policy
 */
import type { ElementSpec } from '../model/schema.js';
import { makeElement } from '../model/element.js';
import type { IntValue, Text } from '../model/values.js';
import { claimSpec, decryptionKeySpec, tokenSourceCount, type DecryptionKey, type RequiredClaim, type TokenSource } from './jwt-parts.js';

/** The token source is optional here (APIM reads the Authorization header by default), but at most one. */
type OptionalTokenSource = TokenSource | { headerName?: never; queryParameterName?: never; tokenValue?: never };

export type ValidateAzureAdTokenOptions = OptionalTokenSource & {
  /** Tenant id or URL of the Entra tenant. */
  tenantId: Text;
  /** Entra environment endpoint (sovereign clouds). */
  authenticationEndpoint?: Text;
  failedValidationHttpCode?: IntValue;
  failedValidationErrorMessage?: Text;
  outputTokenVariableName?: Text;
  /** Required, at least one: "At least one application-id must be specified." (reference above) */
  clientApplicationIds: [Text, ...Text[]];
  backendApplicationIds?: Text[];
  audiences?: Text[];
  requiredClaims?: RequiredClaim[];
  decryptionKeys?: DecryptionKey[];
};

export type ValidateAzureAdToken = { kind: 'validate-azure-ad-token' } & ValidateAzureAdTokenOptions;

export const validateAzureAdTokenSpec: ElementSpec = {
  name: 'validate-azure-ad-token',
  attrs: [
    { key: 'tenantId', xml: 'tenant-id', type: 'text' },
    { key: 'headerName', xml: 'header-name', type: 'text' },
    { key: 'queryParameterName', xml: 'query-parameter-name', type: 'text' },
    { key: 'tokenValue', xml: 'token-value', type: 'text' },
    { key: 'authenticationEndpoint', xml: 'authentication-endpoint', type: 'text' },
    { key: 'failedValidationHttpCode', xml: 'failed-validation-httpcode', type: 'int' },
    { key: 'failedValidationErrorMessage', xml: 'failed-validation-error-message', type: 'text' },
    { key: 'outputTokenVariableName', xml: 'output-token-variable-name', type: 'text' },
  ],
  children: [
    { kind: 'wrapped-texts', key: 'clientApplicationIds', xml: 'client-application-ids', item: 'application-id' },
    { kind: 'wrapped-texts', key: 'backendApplicationIds', xml: 'backend-application-ids', item: 'application-id' },
    { kind: 'wrapped-texts', key: 'audiences', xml: 'audiences', item: 'audience' },
    { kind: 'struct', key: 'requiredClaims', xml: 'claim', wrapper: 'required-claims', spec: claimSpec },
    { kind: 'struct', key: 'decryptionKeys', xml: 'key', wrapper: 'decryption-keys', spec: decryptionKeySpec },
  ],
  check: (m) =>
    m.tenantId === undefined
      ? 'tenantId is required'
      : !Array.isArray(m.clientApplicationIds) || m.clientApplicationIds.length === 0
        ? 'clientApplicationIds is required, with at least one application id'
        : tokenSourceCount(m) > 1
          ? 'at most one of headerName, queryParameterName, tokenValue'
          : undefined,
};

export function validateAzureAdToken(options: ValidateAzureAdTokenOptions): ValidateAzureAdToken {
  return makeElement<ValidateAzureAdToken>(validateAzureAdTokenSpec, options);
}
