/**
 * `set-header`: add, replace, append to or delete a request/response header.
 * Reference: https://learn.microsoft.com/azure/api-management/set-header-policy
 */
import type { ElementSpec } from '../model/schema.js';
import { makeElement } from '../model/element.js';
import type { NamedValueRef, PolicyExpression, Text } from '../model/values.js';

export type SetHeaderOptions =
  | {
      name: Text;
      /** override (default) replaces, skip keeps an existing header, append adds values. */
      existsAction?: 'override' | 'skip' | 'append' | NamedValueRef | PolicyExpression;
      values: [Text, ...Text[]];
    }
  | {
      name: Text;
      /** delete removes the header; it takes no values. */
      existsAction: 'delete';
      values?: never;
    };

export type SetHeader = { kind: 'set-header' } & SetHeaderOptions;

export const setHeaderSpec: ElementSpec = {
  name: 'set-header',
  attrs: [
    { key: 'name', xml: 'name', type: 'text' },
    { key: 'existsAction', xml: 'exists-action', type: { enum: ['override', 'skip', 'append', 'delete'] } },
  ],
  children: [{ kind: 'texts', key: 'values', xml: 'value' }],
  check: (m) => {
    if (m.name === undefined) return 'name is required';
    if (m.existsAction === 'delete') return m.values === undefined ? undefined : 'exists-action="delete" takes no values';
    if (typeof m.existsAction === 'string' || m.existsAction === undefined) return m.values === undefined ? 'at least one value is required (or existsAction: "delete")' : undefined;
    return undefined;
  },
};

export function setHeader(options: SetHeaderOptions): SetHeader {
  return makeElement<SetHeader>(setHeaderSpec, options);
}

/** `<set-header name="..." exists-action="delete" />`. */
export function deleteHeader(name: Text): SetHeader {
  return setHeader({ name, existsAction: 'delete' });
}
