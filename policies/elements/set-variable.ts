/**
 * `set-variable`: store a value in a context variable.
 * Reference: https://learn.microsoft.com/azure/api-management/set-variable-policy
 */
import type { ElementSpec } from '../model/schema.js';
import { makeElement } from '../model/element.js';
import type { Text } from '../model/values.js';

export interface SetVariableOptions {
  name: Text;
  value: Text;
}

export type SetVariable = { kind: 'set-variable' } & SetVariableOptions;

export const setVariableSpec: ElementSpec = {
  name: 'set-variable',
  attrs: [
    { key: 'name', xml: 'name', type: 'text' },
    { key: 'value', xml: 'value', type: 'text' },
  ],
  children: [],
  check: (m) => (m.name === undefined || m.value === undefined ? 'name and value are required' : undefined),
};

export function setVariable(options: SetVariableOptions): SetVariable {
  return makeElement<SetVariable>(setVariableSpec, options);
}
