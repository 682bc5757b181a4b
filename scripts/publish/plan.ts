/**
 * Planning, pure: given the local policy tree and what the service holds, decide whether to
 * write, what the change looks like, and in which wire format. No I/O.
 */
import type { XmlElement } from '../../policies/xml/tree.js';
import { semanticEqual } from '../../policies/model/equal.js';
import { canonicalText } from './canonical.js';
import { unifiedDiff } from './diff.js';
import { referencedNamedValues } from './named-values.js';
import type { PolicyFormat } from './store.js';
import { describeTarget, type PublishTarget } from './target.js';

export type PublishAction = 'create' | 'update' | 'unchanged';

export interface PublishPlan {
  target: PublishTarget;
  action: PublishAction;
  /** Unified diff from the service's policy to the local one ('' when unchanged). */
  diff: string;
  /** What a write sends: the policy text and its format. */
  value: string;
  format: PolicyFormat;
  /** The ETag read, sent as If-Match on update. */
  ifMatch: string | undefined;
  /** Named values the local policy references, sorted. */
  namedValues: string[];
}

export interface PlanInput {
  target: PublishTarget;
  /** The local policy, parsed. */
  local: XmlElement;
  /** The service's policy, parsed, with its ETag; undefined when none is set. */
  remote: { root: XmlElement; etag: string | undefined } | undefined;
  /** The local policy written in both forms (see {@link chooseWireForm}). */
  rendered: { raw: string; xml: string };
  /** Label for the local side of the diff (a file name, `build:<name>`). */
  sourceLabel: string;
}

/**
 * The wire format: `xml` (well-formed XML, APIM's own storage form) when writing the policy as
 * well-formed XML changes nothing, that is no expression needs escaping; otherwise `rawxml`
 * with the raw form, so expressions reach APIM exactly as written (the brief's rule; also what
 * a reviewer reads in the portal).
 */
export function chooseWireForm(rendered: { raw: string; xml: string }): { value: string; format: PolicyFormat } {
  return rendered.raw === rendered.xml ? { value: rendered.xml, format: 'xml' } : { value: rendered.raw, format: 'rawxml' };
}

export function planPublish(input: PlanInput): PublishPlan {
  const { target, local, remote } = input;
  const wire = chooseWireForm(input.rendered);
  const namedValues = referencedNamedValues(local);
  const base = { target, ...wire, ifMatch: remote?.etag, namedValues };
  if (remote !== undefined && semanticEqual(remote.root, local)) return { ...base, action: 'unchanged', diff: '' };
  const before = remote === undefined ? '' : canonicalText(remote.root);
  const after = canonicalText(local);
  const where = describeTarget(target);
  let diff = unifiedDiff(before, after, {
    fromLabel: remote === undefined ? `apim: ${where} (none)` : `apim: ${where}`,
    toLabel: `local: ${input.sourceLabel}`,
  });
  // semantic difference the canonical text cannot show (should not happen; never hide a change)
  if (diff === '') diff = `--- apim: ${where}\n+++ local: ${input.sourceLabel}\n(the policies differ in a way the canonical text does not show)\n`;
  return { ...base, action: remote === undefined ? 'create' : 'update', diff };
}
