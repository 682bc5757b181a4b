/**
 * `checkChain`: the static check of one identity chain — the APIM policy (with its scopes,
 * fragments and named values), the backend's settings and claim map, and the RLS spec — for the
 * places where they stop agreeing. Pure: no file, network or database (the CLI loads the inputs;
 * `rls drift` is run by the CLI and reported as CHAIN901).
 */
import { ConfigError, loadConfig, type AppConfig } from '../../../functions/config.js';
import { ordersClaimMap } from '../../../functions/identity/claim-map.js';
import { walk } from '../../../policies/lint/walk.js';
import type { XmlElement } from '../../../policies/xml/tree.js';
import { checkBackendRls } from './backend-rls.js';
import { effectivePolicy } from './effective.js';
import { policyFacts } from './facts.js';
import { checkLimits } from './limits.js';
import { checkPolicyBackend } from './policy-backend.js';
import { checkPolicyRls } from './policy-rls.js';
import { createReporter } from './report.js';
import { CHAIN_RULES } from './rules.js';
import type { ChainFinding, ChainInput } from './types.js';

export { CHAIN_RULES, type ChainRule, type ChainRuleId } from './rules.js';
export type { ChainFinding, ChainFindingLocation, ChainInput, ChainSeverity, PolicySource } from './types.js';
export { effectivePolicy, type EffectivePolicy } from './effective.js';

const order = new Map<string, number>(CHAIN_RULES.map((r, i) => [r.id, i]));

export function checkChain(input: ChainInput): ChainFinding[] {
  const effective = effectivePolicy(input.policy, input.scopes ?? [], input.fragments ?? {}, input.namedValues ?? {});
  const pathOf = new Map<XmlElement, string>(walk(effective.root).map((v) => [v.el, v.path]));
  const r = createReporter({
    fileOf: effective.fileOf,
    policyFile: input.policy.file,
    pathOf,
    specFile: input.specFile,
    settingsFile: input.settingsFile,
    settingsLines: input.settingsLines ?? {},
  });
  const claimMap = input.claimMap ?? ordersClaimMap;
  const facts = policyFacts(effective.root);

  let config: AppConfig | undefined;
  try {
    config = loadConfig(input.settings);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const problem of err.problems) r.setting('CHAIN001', `the backend would not start: ${problem}`, problem.split(':')[0]);
  }
  if (facts.validations.length === 0) {
    r.policy('CHAIN002', 'the effective inbound validates no token (validate-jwt / validate-azure-ad-token): there is no verified identity for the backend or the database', childInbound(effective.root));
  } else if (config !== undefined) {
    const needsRequestId = input.spec.sessionKeys.some((k) => k.source === 'request-id');
    checkPolicyBackend(facts, config, claimMap, needsRequestId, r);
  }
  checkBackendRls(input.spec, claimMap, r);
  if (facts.validations.length > 0) {
    checkPolicyRls(input.spec, facts, r);
    checkLimits(facts, r);
  }
  return r.findings.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
}

function childInbound(root: XmlElement): XmlElement | undefined {
  return root.children.find((c): c is XmlElement => c.kind === 'element' && c.name === 'inbound');
}
