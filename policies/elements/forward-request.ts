/**
 * `forward-request`: send the request to the backend.
 * Reference: https://learn.microsoft.com/azure/api-management/forward-request-policy
 */
import type { ElementSpec } from '../model/schema.js';
import { makeElement } from '../model/element.js';
import type { BoolValue, EnumValue, IntValue } from '../model/values.js';

interface ForwardRequestBase {
  httpVersion?: EnumValue<'1' | '2or1' | '2'>;
  continueTimeout?: IntValue;
  followRedirects?: BoolValue;
  bufferRequestBody?: BoolValue;
  bufferResponse?: BoolValue;
  failOnErrorStatusCode?: BoolValue;
}

/** `timeout` (seconds) or `timeoutMs`, not both. */
export type ForwardRequestOptions = ForwardRequestBase & ({ timeout?: IntValue; timeoutMs?: never } | { timeoutMs?: IntValue; timeout?: never });

export type ForwardRequest = { kind: 'forward-request' } & ForwardRequestOptions;

export const forwardRequestSpec: ElementSpec = {
  name: 'forward-request',
  attrs: [
    { key: 'httpVersion', xml: 'http-version', type: { enum: ['1', '2or1', '2'] } },
    { key: 'timeout', xml: 'timeout', type: 'int' },
    { key: 'timeoutMs', xml: 'timeout-ms', type: 'int' },
    { key: 'continueTimeout', xml: 'continue-timeout', type: 'int' },
    { key: 'followRedirects', xml: 'follow-redirects', type: 'bool' },
    { key: 'bufferRequestBody', xml: 'buffer-request-body', type: 'bool' },
    { key: 'bufferResponse', xml: 'buffer-response', type: 'bool' },
    { key: 'failOnErrorStatusCode', xml: 'fail-on-error-status-code', type: 'bool' },
  ],
  children: [],
  check: (m) => (m.timeout !== undefined && m.timeoutMs !== undefined ? 'timeout and timeoutMs are exclusive' : undefined),
};

export function forwardRequest(options: ForwardRequestOptions = {}): ForwardRequest {
  return makeElement<ForwardRequest>(forwardRequestSpec, options);
}
