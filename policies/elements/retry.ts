/**
 * `retry`: run its child policies again while a condition holds.
 * Reference: https://learn.microsoft.com/azure/api-management/retry-policy
 */
import type { ElementSpec } from '../model/schema.js';
import { makeElement } from '../model/element.js';
import type { BoolValue, IntValue, PolicyExpression } from '../model/values.js';
import type { PolicyNode } from '../model/nodes.js';

export interface RetryOptions {
  condition: PolicyExpression | boolean;
  count: IntValue;
  /** Seconds between attempts. */
  interval: IntValue;
  maxInterval?: IntValue;
  delta?: IntValue;
  firstFastRetry?: BoolValue;
  policies: PolicyNode[];
}

export type Retry = { kind: 'retry' } & RetryOptions;

export const retrySpec: ElementSpec = {
  name: 'retry',
  attrs: [
    { key: 'condition', xml: 'condition', type: 'bool' },
    { key: 'count', xml: 'count', type: 'int' },
    { key: 'interval', xml: 'interval', type: 'int' },
    { key: 'maxInterval', xml: 'max-interval', type: 'int' },
    { key: 'delta', xml: 'delta', type: 'int' },
    { key: 'firstFastRetry', xml: 'first-fast-retry', type: 'bool' },
  ],
  children: [{ kind: 'policies', key: 'policies' }],
  check: (m) => (m.condition === undefined || m.count === undefined || m.interval === undefined ? 'condition, count and interval are required' : undefined),
};

export function retry(options: RetryOptions): Retry {
  return makeElement<Retry>(retrySpec, options);
}
