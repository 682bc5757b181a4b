/**
 * `rewrite-uri`: rewrite the request URL from a public form to the backend's form.
 * Reference: https://learn.microsoft.com/azure/api-management/rewrite-uri-policy
 */
import type { ElementSpec } from '../model/schema.js';
import { makeElement } from '../model/element.js';
import type { BoolValue, Text } from '../model/values.js';

export interface RewriteUriOptions {
  template: Text;
  copyUnmatchedParams?: BoolValue;
}

export type RewriteUri = { kind: 'rewrite-uri' } & RewriteUriOptions;

export const rewriteUriSpec: ElementSpec = {
  name: 'rewrite-uri',
  attrs: [
    { key: 'template', xml: 'template', type: 'text' },
    { key: 'copyUnmatchedParams', xml: 'copy-unmatched-params', type: 'bool' },
  ],
  children: [],
  check: (m) => (m.template === undefined ? 'template is required' : undefined),
};

export function rewriteUri(options: RewriteUriOptions): RewriteUri {
  return makeElement<RewriteUri>(rewriteUriSpec, options);
}
