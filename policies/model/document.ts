/**
 * Policy documents and fragments.
 *
 * A document has the four sections `inbound`, `backend`, `outbound`, `on-error` (model key
 * `onError`). A fragment is a document of its own: one list of policies under `<fragment>`.
 */
import type { Comment, GenericNode, PolicyNode } from './nodes.js';
import { base } from '../elements/base.js';

export type SectionName = 'inbound' | 'backend' | 'outbound' | 'on-error';
export const SECTION_NAMES: readonly SectionName[] = ['inbound', 'backend', 'outbound', 'on-error'];
export type SectionKey = 'inbound' | 'backend' | 'outbound' | 'onError';

export function sectionKey(name: SectionName): SectionKey {
  return name === 'on-error' ? 'onError' : name;
}

/** Root-level items in source order, kept only when a parsed document is not in canonical layout. */
export type LayoutItem = SectionName | Comment | GenericNode;

export interface PolicyDocument {
  kind: 'policies';
  inbound?: PolicyNode[];
  backend?: PolicyNode[];
  outbound?: PolicyNode[];
  onError?: PolicyNode[];
  /**
   * Present only when read from XML whose root holds comments, repeated or unknown elements, or
   * sections out of the usual order; the builder then follows it so nothing is lost.
   */
  layout?: LayoutItem[];
}

export interface PolicyFragment {
  kind: 'fragment';
  policies: PolicyNode[];
}

export interface PolicyDocumentOptions {
  inbound?: PolicyNode[];
  backend?: PolicyNode[];
  outbound?: PolicyNode[];
  onError?: PolicyNode[];
}

/**
 * A policy document with all four sections. A section left out gets `[<base />]` (inherit),
 * as in APIM's default policy; pass `[]` for an empty section.
 */
export function policyDocument(options: PolicyDocumentOptions = {}): PolicyDocument {
  return {
    kind: 'policies',
    inbound: [...(options.inbound ?? [base()])],
    backend: [...(options.backend ?? [base()])],
    outbound: [...(options.outbound ?? [base()])],
    onError: [...(options.onError ?? [base()])],
  };
}

/** A policy fragment (included with `include-fragment`). */
export function policyFragment(policies: PolicyNode[]): PolicyFragment {
  return { kind: 'fragment', policies: [...policies] };
}
