/**
 * `ip-filter`: allow or forbid callers by IP address or range.
 * Reference: https://learn.microsoft.com/azure/api-management/ip-filter-policy
 */
import type { ElementSpec, StructSpec } from '../model/schema.js';
import { makeElement } from '../model/element.js';
import type { EnumValue, Text } from '../model/values.js';

export interface AddressRange {
  from: Text;
  to: Text;
}

export interface IpFilterOptions {
  action: EnumValue<'allow' | 'forbid'>;
  addresses?: Text[];
  addressRanges?: AddressRange[];
}

export type IpFilter = { kind: 'ip-filter' } & IpFilterOptions;

const rangeSpec: StructSpec = {
  attrs: [
    { key: 'from', xml: 'from', type: 'text' },
    { key: 'to', xml: 'to', type: 'text' },
  ],
  children: [],
  check: (m) => (m.from === undefined || m.to === undefined ? 'an address range needs from and to' : undefined),
};

export const ipFilterSpec: ElementSpec = {
  name: 'ip-filter',
  attrs: [{ key: 'action', xml: 'action', type: { enum: ['allow', 'forbid'] } }],
  children: [
    { kind: 'texts', key: 'addresses', xml: 'address' },
    { kind: 'struct', key: 'addressRanges', xml: 'address-range', spec: rangeSpec, many: true },
  ],
  check: (m) =>
    m.action === undefined ? 'action is required' : m.addresses === undefined && m.addressRanges === undefined ? 'at least one address or address range is required' : undefined,
};

export function ipFilter(options: IpFilterOptions): IpFilter {
  return makeElement<IpFilter>(ipFilterSpec, options);
}
