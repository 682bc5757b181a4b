/**
 * `trace`: add a custom trace (request tracing, Application Insights).
 * Reference: https://learn.microsoft.com/azure/api-management/trace-policy
 */
import type { ElementSpec, StructSpec } from '../model/schema.js';
import { makeElement } from '../model/element.js';
import type { EnumValue, Text } from '../model/values.js';

export interface TraceMetadata {
  name: Text;
  value: Text;
}

export interface TraceOptions {
  source: Text;
  severity?: EnumValue<'verbose' | 'information' | 'error'>;
  message: Text;
  metadata?: TraceMetadata[];
}

export type Trace = { kind: 'trace' } & TraceOptions;

const metadataSpec: StructSpec = {
  attrs: [
    { key: 'name', xml: 'name', type: 'text' },
    { key: 'value', xml: 'value', type: 'text' },
  ],
  children: [],
  check: (m) => (m.name === undefined || m.value === undefined ? 'metadata needs name and value' : undefined),
};

export const traceSpec: ElementSpec = {
  name: 'trace',
  attrs: [
    { key: 'source', xml: 'source', type: 'text' },
    { key: 'severity', xml: 'severity', type: { enum: ['verbose', 'information', 'error'] } },
  ],
  children: [
    { kind: 'text', key: 'message', xml: 'message' },
    { kind: 'struct', key: 'metadata', xml: 'metadata', spec: metadataSpec, many: true },
  ],
  check: (m) => (m.source === undefined || m.message === undefined ? 'source and message are required' : undefined),
};

export function trace(options: TraceOptions): Trace {
  return makeElement<Trace>(traceSpec, options);
}
