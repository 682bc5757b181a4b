/**
 * `limit-concurrency`: at most `maxCount` concurrent executions of the enclosed policies per key.
 * Reference: https://learn.microsoft.com/azure/api-management/limit-concurrency-policy
 */
import type { ElementSpec } from '../model/schema.js';
import { makeElement } from '../model/element.js';
import type { IntValue, Text } from '../model/values.js';
import type { PolicyNode } from '../model/nodes.js';

export interface LimitConcurrencyOptions {
  key: Text;
  maxCount: IntValue;
  policies: PolicyNode[];
}

export type LimitConcurrency = { kind: 'limit-concurrency' } & LimitConcurrencyOptions;

export const limitConcurrencySpec: ElementSpec = {
  name: 'limit-concurrency',
  attrs: [
    { key: 'key', xml: 'key', type: 'text' },
    { key: 'maxCount', xml: 'max-count', type: 'int' },
  ],
  children: [{ kind: 'policies', key: 'policies' }],
  check: (m) => (m.key === undefined || m.maxCount === undefined ? 'key and maxCount are required' : undefined),
};

export function limitConcurrency(options: LimitConcurrencyOptions): LimitConcurrency {
  return makeElement<LimitConcurrency>(limitConcurrencySpec, options);
}
