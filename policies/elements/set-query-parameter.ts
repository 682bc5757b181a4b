/**
 * `set-query-parameter`: add, replace, append to or delete a query parameter.
 * Reference: https://learn.microsoft.com/azure/api-management/set-query-parameter-policy
 */
import type { ElementSpec } from '../model/schema.js';
import { makeElement } from '../model/element.js';
import type { NamedValueRef, PolicyExpression, Text } from '../model/values.js';

export type SetQueryParameterOptions =
  | { name: Text; existsAction?: 'override' | 'skip' | 'append' | NamedValueRef | PolicyExpression; values: [Text, ...Text[]] }
  | { name: Text; existsAction: 'delete'; values?: never };

export type SetQueryParameter = { kind: 'set-query-parameter' } & SetQueryParameterOptions;

export const setQueryParameterSpec: ElementSpec = {
  name: 'set-query-parameter',
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

export function setQueryParameter(options: SetQueryParameterOptions): SetQueryParameter {
  return makeElement<SetQueryParameter>(setQueryParameterSpec, options);
}
