/**
 * `authentication-managed-identity`: get a token for the gateway's managed identity and send it to the backend.
 * Reference: https://learn.microsoft.com/azure/api-management/authentication-managed-identity-policy
 */
import type { ElementSpec } from '../model/schema.js';
import { makeElement } from '../model/element.js';
import type { BoolValue, Text } from '../model/values.js';

export interface AuthenticationManagedIdentityOptions {
  /** App ID URI (audience) of the target, e.g. `api://orders-backend` or `https://database.windows.net/`. */
  resource: Text;
  /** Client id of a user-assigned identity; omitted for the system-assigned one. */
  clientId?: Text;
  /** Store the token in this context variable instead of the Authorization header. */
  outputTokenVariableName?: Text;
  ignoreError?: BoolValue;
}

export type AuthenticationManagedIdentity = { kind: 'authentication-managed-identity' } & AuthenticationManagedIdentityOptions;

export const authenticationManagedIdentitySpec: ElementSpec = {
  name: 'authentication-managed-identity',
  attrs: [
    { key: 'resource', xml: 'resource', type: 'text' },
    { key: 'clientId', xml: 'client-id', type: 'text' },
    { key: 'outputTokenVariableName', xml: 'output-token-variable-name', type: 'text' },
    { key: 'ignoreError', xml: 'ignore-error', type: 'bool' },
  ],
  children: [],
  check: (m) => (m.resource === undefined ? 'resource is required' : undefined),
};

export function authenticationManagedIdentity(options: AuthenticationManagedIdentityOptions): AuthenticationManagedIdentity {
  return makeElement<AuthenticationManagedIdentity>(authenticationManagedIdentitySpec, options);
}
