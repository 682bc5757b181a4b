/**
 * `lintPolicy(root)`: runs every rule over a parsed policy document or fragment and returns the
 * findings in document order (then rule id). Works on the generic tree, so it serves hand-written
 * and exported policies as well as built ones.
 */
import type { XmlElement } from '../xml/tree.js';
import { RULES } from './rules.js';
import { DEFAULT_IDENTITY_HEADER_PREFIXES, type Finding, type LintOptions, type RuleContext, type Visit } from './types.js';
import { walk } from './walk.js';

const SCOPES = new Set(['global', 'workspace', 'product', 'api', 'operation', 'fragment']);

export function lintPolicy(root: XmlElement, options: LintOptions = {}): Finding[] {
  if (root === null || typeof root !== 'object' || root.kind !== 'element') throw new TypeError('lintPolicy expects a parsed policy root element');
  const scope = options.scope ?? (root.name === 'fragment' ? 'fragment' : 'api');
  if (!SCOPES.has(scope)) throw new TypeError(`invalid scope option: ${String(scope)}`);
  const maxClockSkewSeconds = options.maxClockSkewSeconds ?? 300;
  if (typeof maxClockSkewSeconds !== 'number' || !(maxClockSkewSeconds >= 0)) throw new TypeError('maxClockSkewSeconds must be a number ≥ 0');
  const prefixes = options.identityHeaderPrefixes ?? DEFAULT_IDENTITY_HEADER_PREFIXES;
  if (!Array.isArray(prefixes) || prefixes.some((p) => typeof p !== 'string' || p === '')) {
    throw new TypeError('identityHeaderPrefixes must be non-empty strings');
  }
  const disabled = new Set(options.disable ?? []);

  const visits = walk(root);
  const order = new Map<XmlElement, number>(visits.map((v, i) => [v.el, i]));
  const findings: Array<Finding & { order: number }> = [];
  for (const rule of RULES) {
    if (disabled.has(rule.id)) continue;
    const ctx: RuleContext = {
      root,
      visits,
      scope,
      identityHeaderPrefixes: prefixes,
      maxClockSkewSeconds,
      report(at: Visit, message: string) {
        const location: Finding['location'] = { path: at.path };
        if (at.el.loc) {
          location.line = at.el.loc.line;
          location.column = at.el.loc.column;
        }
        findings.push({ ruleId: rule.id, severity: rule.severity, message, location, order: order.get(at.el) ?? -1 });
      },
    };
    rule.check(ctx);
  }
  findings.sort((a, b) => (a.location.line ?? 0) - (b.location.line ?? 0) || a.order - b.order || a.ruleId.localeCompare(b.ruleId));
  return findings.map(({ order: _order, ...f }) => f);
}
