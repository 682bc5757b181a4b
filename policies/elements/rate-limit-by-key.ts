/**
 * `rate-limit-by-key`: limit the call rate per key (for example per validated caller).
 * Reference: https://learn.microsoft.com/azure/api-management/rate-limit-by-key-policy
 */
import type { ElementSpec } from '../model/schema.js';
import { makeElement } from '../model/element.js';
import type { BoolValue, IntValue, Text } from '../model/values.js';

/** "Maximum allowed value: 300 seconds" (renewal-period, in the reference above). */
export const MAX_RENEWAL_PERIOD_SECONDS = 300;

export interface RateLimitByKeyOptions {
  calls: IntValue;
  /** Length of the sliding window in seconds, 1–300. */
  renewalPeriod: IntValue;
  counterKey: Text;
  incrementCondition?: BoolValue;
  incrementCount?: IntValue;
  retryAfterHeaderName?: Text;
  retryAfterVariableName?: Text;
  remainingCallsHeaderName?: Text;
  remainingCallsVariableName?: Text;
  totalCallsHeaderName?: Text;
}

export type RateLimitByKey = { kind: 'rate-limit-by-key' } & RateLimitByKeyOptions;

export const rateLimitByKeySpec: ElementSpec = {
  name: 'rate-limit-by-key',
  attrs: [
    { key: 'calls', xml: 'calls', type: 'int' },
    { key: 'renewalPeriod', xml: 'renewal-period', type: 'int' },
    { key: 'counterKey', xml: 'counter-key', type: 'text' },
    { key: 'incrementCondition', xml: 'increment-condition', type: 'bool' },
    { key: 'incrementCount', xml: 'increment-count', type: 'int' },
    { key: 'retryAfterHeaderName', xml: 'retry-after-header-name', type: 'text' },
    { key: 'retryAfterVariableName', xml: 'retry-after-variable-name', type: 'text' },
    { key: 'remainingCallsHeaderName', xml: 'remaining-calls-header-name', type: 'text' },
    { key: 'remainingCallsVariableName', xml: 'remaining-calls-variable-name', type: 'text' },
    { key: 'totalCallsHeaderName', xml: 'total-calls-header-name', type: 'text' },
  ],
  children: [],
  check: (m) =>
    m.calls === undefined || m.renewalPeriod === undefined || m.counterKey === undefined
      ? 'calls, renewalPeriod and counterKey are required'
      : typeof m.renewalPeriod === 'number' && (m.renewalPeriod < 1 || m.renewalPeriod > MAX_RENEWAL_PERIOD_SECONDS)
        ? `renewalPeriod must be between 1 and ${MAX_RENEWAL_PERIOD_SECONDS} seconds (the reference's maximum), not ${m.renewalPeriod}`
        : undefined,
};

export function rateLimitByKey(options: RateLimitByKeyOptions): RateLimitByKey {
  return makeElement<RateLimitByKey>(rateLimitByKeySpec, options);
}
