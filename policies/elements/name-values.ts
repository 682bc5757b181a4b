/**
 * The shape `set-header` and `set-query-parameter` share: a name, an exists-action
 * (override / skip / append / delete) and one or more values — none with delete.
 */
import type { ElementSpec } from '../model/schema.js';
import type { NamedValueRef, PolicyExpression, Text } from '../model/values.js';

export type NameValuesOptions =
  | {
      name: Text;
      /** override (default) replaces, skip keeps an existing entry, append adds values. */
      existsAction?: 'override' | 'skip' | 'append' | NamedValueRef | PolicyExpression;
      values: [Text, ...Text[]];
    }
  | {
      name: Text;
      /** delete removes the entry; it takes no values. */
      existsAction: 'delete';
      values?: never;
    };

/** The element spec (codec and checks) of a name/exists-action/values element called `name`. */
export function nameValuesSpec(name: 'set-header' | 'set-query-parameter'): ElementSpec {
  return {
    name,
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
}
