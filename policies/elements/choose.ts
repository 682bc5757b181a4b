/**
 * `choose` / `when` / `otherwise`: conditional policies.
 * Reference: https://learn.microsoft.com/azure/api-management/choose-policy
 */
import type { ElementSpec, StructSpec } from '../model/schema.js';
import { makeElement } from '../model/element.js';
import type { PolicyExpression } from '../model/values.js';
import type { PolicyNode } from '../model/nodes.js';

export interface When {
  /** A boolean policy expression. */
  condition: PolicyExpression;
  policies: PolicyNode[];
  /** Comments written right before this `<when>`. */
  comments?: string[];
}

export interface ChooseOptions {
  when: [When, ...When[]];
  otherwise?: PolicyNode[];
}

export type Choose = { kind: 'choose' } & ChooseOptions;

const whenSpec: StructSpec = {
  attrs: [{ key: 'condition', xml: 'condition', type: 'text' }],
  children: [{ kind: 'policies', key: 'policies' }],
  leadingComments: true,
  check: (m) => (typeof m.condition !== 'object' || m.condition === null ? 'when needs a policy expression as its condition' : undefined),
};

export const chooseSpec: ElementSpec = {
  name: 'choose',
  attrs: [],
  children: [
    { kind: 'struct', key: 'when', xml: 'when', spec: whenSpec, many: true },
    { kind: 'policies', key: 'otherwise', xml: 'otherwise' },
  ],
  check: (m) => (m.when === undefined ? 'at least one when is required' : undefined),
};

export function choose(options: ChooseOptions): Choose {
  return makeElement<Choose>(chooseSpec, options);
}

/** One branch: `when(condition, [policies...])`. */
export function when(condition: PolicyExpression, policies: PolicyNode[]): When {
  return { condition, policies };
}
