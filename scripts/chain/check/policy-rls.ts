/**
 * Policy ↔ RLS (CHAIN3xx): the claims the spec's session keys come from must be validated by the
 * policy, and the roles its rules grant must be the roles the policy admits.
 */
import { operations, type RlsSpec } from '../../../rls/spec/schema.js';
import type { PolicyFacts } from './facts.js';
import type { Reporter } from './report.js';

export function checkPolicyRls(spec: RlsSpec, facts: PolicyFacts, r: Reporter): void {
  const required = new Set(facts.validations.flatMap((v) => [...v.requiredClaims.keys()]));
  spec.sessionKeys.forEach((k, i) => {
    if (!k.required || k.source !== 'claim') return;
    const claim = k.claim ?? k.name;
    if (!required.has(claim)) {
      r.spec('CHAIN301', `the session key "${k.name}" is required and comes from the claim "${claim}", which the policy's token validation does not require: tokens without it pass the gateway`, `sessionKeys.${i}`);
    }
  });

  // roles: the claim the spec's roles key holds
  const rolesKey = spec.rolesKey === undefined ? undefined : spec.sessionKeys.find((k) => k.name === spec.rolesKey);
  if (rolesKey === undefined || rolesKey.source !== 'claim') return;
  const claim = rolesKey.claim ?? rolesKey.name;
  const gates = facts.roleGates.filter((g) => g.claim === claim);
  // no gate: every authenticated caller passes whatever their roles
  if (gates.length === 0) return;
  // every gate must let the role through
  const admitted = gates.map((g) => new Set(g.roles)).reduce((a, b) => new Set([...a].filter((x) => b.has(x))));
  const granted = new Map<string, string>();
  spec.tables.forEach((t, ti) => {
    for (const op of operations) {
      t.access[op]?.forEach((rule, ri) => {
        for (const role of rule.roles) if (!granted.has(role)) granted.set(role, `tables.${ti}.access.${op}.${ri}.roles`);
      });
    }
  });
  // a spec without role rules grants every caller the same (tenant-only) access: any gate is the API's own business
  if (granted.size === 0) return;
  for (const [role, path] of granted) {
    if (!admitted.has(role)) r.spec('CHAIN303', `an RLS rule grants the role "${role}", but the policy never lets a caller with only that role through (it admits ${[...admitted].map((x) => JSON.stringify(x)).join(', ') || 'no role'})`, path);
  }
  for (const g of gates) {
    for (const role of g.roles) {
      if (!granted.has(role)) r.policy('CHAIN304', `the policy admits the role "${role}", which no RLS rule grants: such callers reach the database and see only what needs no role`, g.visit);
    }
  }
}
