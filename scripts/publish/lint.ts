/**
 * The linter as publishing uses it: `policies/lint` at the target's scope, findings reduced to
 * what `policy publish` prints.
 */
import { lintPolicy } from '../../policies/lint/index.js';
import type { XmlElement } from '../../policies/xml/tree.js';
import type { PublishLintFinding } from './publish.js';
import type { PublishTarget } from './target.js';

export function lintForPublish(root: XmlElement, target: PublishTarget): PublishLintFinding[] {
  return lintPolicy(root, { scope: target.scope }).map((f) => ({
    rule: f.ruleId,
    severity: f.severity,
    message: f.message,
    ...(f.location.line !== undefined ? { line: f.location.line } : {}),
    ...(f.location.column !== undefined ? { column: f.location.column } : {}),
  }));
}
