/**
 * `cors`: cross-origin resource sharing.
 * Reference: https://learn.microsoft.com/azure/api-management/cors-policy
 */
import type { ElementSpec, StructSpec } from '../model/schema.js';
import { makeElement } from '../model/element.js';
import type { BoolValue, IntValue, Text } from '../model/values.js';

export interface CorsAllowedMethods {
  /** Seconds a browser may cache the preflight result. */
  preflightResultMaxAge?: IntValue;
  methods?: Text[];
}

export interface CorsOptions {
  allowCredentials?: BoolValue;
  terminateUnmatchedRequest?: BoolValue;
  /** `*` or origins such as `https://contoso.com`. */
  allowedOrigins: Text[];
  allowedMethods?: CorsAllowedMethods;
  allowedHeaders?: Text[];
  exposeHeaders?: Text[];
}

export type Cors = { kind: 'cors' } & CorsOptions;

const allowedMethodsSpec: StructSpec = {
  attrs: [{ key: 'preflightResultMaxAge', xml: 'preflight-result-max-age', type: 'int' }],
  children: [{ kind: 'texts', key: 'methods', xml: 'method' }],
};

export const corsSpec: ElementSpec = {
  name: 'cors',
  attrs: [
    { key: 'allowCredentials', xml: 'allow-credentials', type: 'bool' },
    { key: 'terminateUnmatchedRequest', xml: 'terminate-unmatched-request', type: 'bool' },
  ],
  children: [
    { kind: 'wrapped-texts', key: 'allowedOrigins', xml: 'allowed-origins', item: 'origin' },
    { kind: 'struct', key: 'allowedMethods', xml: 'allowed-methods', spec: allowedMethodsSpec },
    { kind: 'wrapped-texts', key: 'allowedHeaders', xml: 'allowed-headers', item: 'header' },
    { kind: 'wrapped-texts', key: 'exposeHeaders', xml: 'expose-headers', item: 'header' },
  ],
  check: (m) => (m.allowedOrigins === undefined ? 'allowedOrigins is required' : undefined),
};

export function cors(options: CorsOptions): Cors {
  return makeElement<Cors>(corsSpec, options);
}
