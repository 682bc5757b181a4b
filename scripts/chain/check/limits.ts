/**
 * Limits (CHAIN4xx): a rate limit or quota is per caller only when its key is a claim the token
 * validation requires — read from the validated token, never a header the caller can set (their
 * own key per request escapes the limit; another caller's key spends theirs).
 */
import { sourceOf, type PolicyFacts } from './facts.js';
import type { Reporter } from './report.js';

export function checkLimits(facts: PolicyFacts, r: Reporter): void {
  const required = new Set(facts.validations.flatMap((v) => [...v.requiredClaims.keys()]));
  for (const l of facts.limits) {
    if (l.key === undefined) continue;
    const source = sourceOf(l.key, l.visit, facts.validations);
    if (source.kind === 'other') {
      r.policy('CHAIN401', `${l.visit.el.name} is keyed by ${source.why}, not by a validated claim`, l.visit);
      continue;
    }
    const loose = source.claims.filter((c) => !required.has(c));
    if (loose.length > 0) {
      r.policy('CHAIN401', `${l.visit.el.name} is keyed by the claim(s) ${loose.map((c) => `"${c}"`).join(', ')}, which the token validation does not require: every caller without it shares one counter`, l.visit);
    }
  }
}
