/**
 * `set-query-parameter`: add, replace, append to or delete a query parameter.
 * Reference: https://learn.microsoft.com/azure/api-management/set-query-parameter-policy
 */
import type { ElementSpec } from '../model/schema.js';
import { makeElement } from '../model/element.js';
import { nameValuesSpec, type NameValuesOptions } from './name-values.js';

export type SetQueryParameterOptions = NameValuesOptions;

export type SetQueryParameter = { kind: 'set-query-parameter' } & SetQueryParameterOptions;

export const setQueryParameterSpec: ElementSpec = nameValuesSpec('set-query-parameter');

export function setQueryParameter(options: SetQueryParameterOptions): SetQueryParameter {
  return makeElement<SetQueryParameter>(setQueryParameterSpec, options);
}
