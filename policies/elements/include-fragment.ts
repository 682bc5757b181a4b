/**
 * `include-fragment`: insert a policy fragment.
 * Reference: https://learn.microsoft.com/azure/api-management/include-fragment-policy
 */
import type { ElementSpec } from '../model/schema.js';
import { makeElement } from '../model/element.js';

export interface IncludeFragmentOptions {
  /** The fragment's id; expressions are not allowed. */
  fragmentId: string;
}

export type IncludeFragment = { kind: 'include-fragment' } & IncludeFragmentOptions;

export const includeFragmentSpec: ElementSpec = {
  name: 'include-fragment',
  attrs: [{ key: 'fragmentId', xml: 'fragment-id', type: 'text' }],
  children: [],
  check: (m) => (typeof m.fragmentId !== 'string' || m.fragmentId === '' ? 'fragmentId must be a non-empty string' : undefined),
};

export function includeFragment(fragmentId: string): IncludeFragment {
  return makeElement<IncludeFragment>(includeFragmentSpec, { fragmentId });
}
