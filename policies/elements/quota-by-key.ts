/**
 * `quota-by-key`: a call and/or bandwidth quota per key.
 * Reference: https://learn.microsoft.com/azure/api-management/quota-by-key-policy
 */
import type { ElementSpec } from '../model/schema.js';
import { makeElement } from '../model/element.js';
import type { BoolValue, IntValue, Text } from '../model/values.js';

/** "Minimum period: 300 seconds. When renewal-period is set to 0, the period is set to infinite." */
export const MIN_RENEWAL_PERIOD_SECONDS = 300;

interface QuotaBase {
  /** Fixed period in seconds (at least 300; 0: never renewed), counted from firstPeriodStart. */
  renewalPeriod: IntValue;
  counterKey: Text;
  incrementCondition?: BoolValue;
  /** ISO 8601 start of the first period. */
  firstPeriodStart?: Text;
}

/** At least one of calls and bandwidth (kilobytes). */
export type QuotaByKeyOptions = QuotaBase & ({ calls: IntValue; bandwidth?: IntValue } | { bandwidth: IntValue; calls?: IntValue });

export type QuotaByKey = { kind: 'quota-by-key' } & QuotaByKeyOptions;

export const quotaByKeySpec: ElementSpec = {
  name: 'quota-by-key',
  attrs: [
    { key: 'calls', xml: 'calls', type: 'int' },
    { key: 'bandwidth', xml: 'bandwidth', type: 'int' },
    { key: 'renewalPeriod', xml: 'renewal-period', type: 'int' },
    { key: 'counterKey', xml: 'counter-key', type: 'text' },
    { key: 'incrementCondition', xml: 'increment-condition', type: 'bool' },
    { key: 'firstPeriodStart', xml: 'first-period-start', type: 'text' },
  ],
  children: [],
  check: (m) =>
    m.renewalPeriod === undefined || m.counterKey === undefined
      ? 'renewalPeriod and counterKey are required'
      : m.calls === undefined && m.bandwidth === undefined
        ? 'at least one of calls and bandwidth is required'
        : typeof m.renewalPeriod === 'number' && m.renewalPeriod !== 0 && m.renewalPeriod < MIN_RENEWAL_PERIOD_SECONDS
          ? `renewalPeriod must be 0 (no renewal) or at least ${MIN_RENEWAL_PERIOD_SECONDS} seconds (the reference's minimum), not ${m.renewalPeriod}`
          : undefined,
};

export function quotaByKey(options: QuotaByKeyOptions): QuotaByKey {
  return makeElement<QuotaByKey>(quotaByKeySpec, options);
}
