/**
 * `set-header`: add, replace, append to or delete a request/response header.
 * Reference: https://learn.microsoft.com/azure/api-management/set-header-policy
 */
import type { ElementSpec } from '../model/schema.js';
import { makeElement } from '../model/element.js';
import type { Text } from '../model/values.js';
import { nameValuesSpec, type NameValuesOptions } from './name-values.js';

export type SetHeaderOptions = NameValuesOptions;

export type SetHeader = { kind: 'set-header' } & SetHeaderOptions;

export const setHeaderSpec: ElementSpec = nameValuesSpec('set-header');

export function setHeader(options: SetHeaderOptions): SetHeader {
  return makeElement<SetHeader>(setHeaderSpec, options);
}

/** `<set-header name="..." exists-action="delete" />`. */
export function deleteHeader(name: Text): SetHeader {
  return setHeader({ name, existsAction: 'delete' });
}
