/**
 * `emit-metric`: send a custom metric to Application Insights.
 * Reference: https://learn.microsoft.com/azure/api-management/emit-metric-policy
 */
import type { ElementSpec, StructSpec } from '../model/schema.js';
import { makeElement } from '../model/element.js';
import type { Text } from '../model/values.js';

export interface MetricDimension {
  name: Text;
  /** Omitted for the default dimensions (API ID, Operation ID, User ID, ...). */
  value?: Text;
}

export interface EmitMetricOptions {
  /** Expressions are not allowed. */
  name: string;
  /** A double or an expression (default 1). */
  value?: Text;
  /** Expressions are not allowed. */
  namespace?: string;
  dimensions: [MetricDimension, ...MetricDimension[]];
}

export type EmitMetric = { kind: 'emit-metric' } & EmitMetricOptions;

const dimensionSpec: StructSpec = {
  attrs: [
    { key: 'name', xml: 'name', type: 'text' },
    { key: 'value', xml: 'value', type: 'text' },
  ],
  children: [],
  check: (m) => (m.name === undefined ? 'a dimension needs a name' : undefined),
};

export const emitMetricSpec: ElementSpec = {
  name: 'emit-metric',
  attrs: [
    { key: 'name', xml: 'name', type: 'text' },
    { key: 'value', xml: 'value', type: 'text' },
    { key: 'namespace', xml: 'namespace', type: 'text' },
  ],
  children: [{ kind: 'struct', key: 'dimensions', xml: 'dimension', spec: dimensionSpec, many: true }],
  check: (m) =>
    typeof m.name !== 'string'
      ? 'name must be a literal string'
      : m.namespace !== undefined && typeof m.namespace !== 'string'
        ? 'namespace must be a literal string'
        : m.dimensions === undefined
          ? 'at least one dimension is required'
          : undefined,
};

export function emitMetric(options: EmitMetricOptions): EmitMetric {
  return makeElement<EmitMetric>(emitMetricSpec, options);
}
