/**
 * `check-header`: require a header, optionally with one of a set of values.
 * Reference: https://learn.microsoft.com/azure/api-management/check-header-policy
 */
import type { ElementSpec } from '../model/schema.js';
import { makeElement } from '../model/element.js';
import type { BoolValue, IntValue, Text } from '../model/values.js';

export interface CheckHeaderOptions {
  name: Text;
  failedCheckHttpCode: IntValue;
  failedCheckErrorMessage: Text;
  ignoreCase: BoolValue;
  /** Allowed values; none means "the header must be present". */
  values?: Text[];
}

export type CheckHeader = { kind: 'check-header' } & CheckHeaderOptions;

export const checkHeaderSpec: ElementSpec = {
  name: 'check-header',
  attrs: [
    { key: 'name', xml: 'name', type: 'text' },
    { key: 'failedCheckHttpCode', xml: 'failed-check-httpcode', type: 'int' },
    { key: 'failedCheckErrorMessage', xml: 'failed-check-error-message', type: 'text' },
    { key: 'ignoreCase', xml: 'ignore-case', type: 'bool' },
  ],
  children: [{ kind: 'texts', key: 'values', xml: 'value' }],
  check: (m) =>
    m.name === undefined || m.failedCheckHttpCode === undefined || m.failedCheckErrorMessage === undefined || m.ignoreCase === undefined
      ? 'name, failedCheckHttpCode, failedCheckErrorMessage and ignoreCase are required'
      : undefined,
};

export function checkHeader(options: CheckHeaderOptions): CheckHeader {
  return makeElement<CheckHeader>(checkHeaderSpec, options);
}
