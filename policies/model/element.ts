/** Shared builder step: check options against the element's spec and return its canonical model. */
import { normalizeModel, type ElementSpec } from './schema.js';

export function makeElement<T extends { kind: string }>(spec: ElementSpec, options: object): T {
  return { kind: spec.name, ...normalizeModel(spec, options as Record<string, unknown>, spec.name) } as unknown as T;
}
