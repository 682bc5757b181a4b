/**
 * The linter as publishing uses it: `policies/lint` at the target's scope, findings reduced to
 * what `policy publish` and `publish DIR` print.
 */
import { lintPolicy } from '../../policies/lint/index.js';
import type { PolicyScope } from '../../policies/lint/types.js';
import type { XmlElement } from '../../policies/xml/tree.js';
import type { PublishLintFinding } from './publish.js';
import type { PublishTarget } from './target.js';

export function lintAtScope(root: XmlElement, scope: PolicyScope): PublishLintFinding[] {
  return lintPolicy(root, { scope }).map((f) => ({
    rule: f.ruleId,
    severity: f.severity,
    message: f.message,
    ...(f.location.line !== undefined ? { line: f.location.line } : {}),
    ...(f.location.column !== undefined ? { column: f.location.column } : {}),
  }));
}

export function lintForPublish(root: XmlElement, target: PublishTarget): PublishLintFinding[] {
  return lintAtScope(root, target.scope);
}
