/**
 * `set-status`: set the HTTP status code and reason.
 * Reference: https://learn.microsoft.com/azure/api-management/set-status-policy
 */
import type { ElementSpec } from '../model/schema.js';
import { makeElement } from '../model/element.js';
import type { IntValue, Text } from '../model/values.js';

export interface SetStatusOptions {
  code: IntValue;
  reason?: Text;
}

export type SetStatus = { kind: 'set-status' } & SetStatusOptions;

export const setStatusSpec: ElementSpec = {
  name: 'set-status',
  attrs: [
    { key: 'code', xml: 'code', type: 'int' },
    { key: 'reason', xml: 'reason', type: 'text' },
  ],
  children: [],
  check: (m) => (m.code === undefined ? 'code is required' : typeof m.code === 'number' && (m.code < 100 || m.code > 599) ? 'code must be an HTTP status (100-599)' : undefined),
};

export function setStatus(options: SetStatusOptions): SetStatus {
  return makeElement<SetStatus>(setStatusSpec, options);
}
