/**
 * The chain check's findings: stable ids, never reused (like the lint rules' APIMnnn).
 * 0xx the inputs, 1xx policy ↔ backend, 2xx backend ↔ RLS, 3xx policy ↔ RLS, 4xx limits, 9xx the database.
 * docs/chain.md lists the same table (a test keeps the two in step).
 */
import type { ChainSeverity } from './types.js';

export interface ChainRule {
  id: string;
  severity: ChainSeverity;
  /** One line, as in docs/chain.md's table. */
  summary: string;
}

export const CHAIN_RULES = [
  { id: 'CHAIN001', severity: 'error', summary: 'the backend settings would not start the Functions app (the problems `loadConfig` names)' },
  { id: 'CHAIN002', severity: 'error', summary: 'no validate-jwt / validate-azure-ad-token in the effective inbound: the chain has no verified identity to carry' },
  { id: 'CHAIN003', severity: 'warning', summary: 'a value the check compares is a `{{named value}}` that was not given (pass `--named-value`)' },
  { id: 'CHAIN101', severity: 'error', summary: 'a header the backend reads is not set by the policy, which forwards the claim under another name' },
  { id: 'CHAIN102', severity: 'error', summary: 'a header the backend reads is set from something other than the validated token\'s claim it stands for' },
  { id: 'CHAIN103', severity: 'error', summary: 'a header the backend reads is not in the encoding the backend decodes (percent-encoded; a list claim as a JSON array)' },
  { id: 'CHAIN104', severity: 'error', summary: 'a header the backend reads as identity is neither set, deleted nor refused by the policy: a caller can send it' },
  { id: 'CHAIN105', severity: 'error', summary: 'the audience the backend accepts for callers\' tokens is not one the policy validates' },
  { id: 'CHAIN106', severity: 'warning', summary: 'the policy admits an audience the backend refuses: those callers pass the gateway and get 401' },
  { id: 'CHAIN107', severity: 'error', summary: 'gateway-token mode: no managed-identity token for the backend, or its resource is not the audience the backend accepts' },
  { id: 'CHAIN108', severity: 'error', summary: 'caller-token mode: authentication-managed-identity replaces the caller\'s token the backend verifies' },
  { id: 'CHAIN109', severity: 'error', summary: 'the spec keys the request id, but the policy does not forward `context.RequestId` as the header the backend reads' },
  { id: 'CHAIN110', severity: 'error', summary: 'the issuer the backend pins (`APIM_RLS_ISSUER`) is not one the policy accepts for callers\' tokens' },
  { id: 'CHAIN201', severity: 'error', summary: 'a session key the RLS spec reads is not set by the backend\'s claim map: it is NULL in the database' },
  { id: 'CHAIN202', severity: 'warning', summary: 'the backend\'s claim map sets a session key the RLS spec does not declare' },
  { id: 'CHAIN203', severity: 'error', summary: 'the backend fills a session key from another claim (or the request id) than the RLS spec says' },
  { id: 'CHAIN204', severity: 'error', summary: 'the backend accepts a longer value for a session key than the RLS cast holds' },
  { id: 'CHAIN205', severity: 'error', summary: 'the backend\'s value for a session key does not fit the RLS type (list vs single value, or longer than the type can be)' },
  { id: 'CHAIN206', severity: 'warning', summary: 'the RLS spec requires a session key the backend treats as optional (a missing claim reaches the database as NULL instead of 403)' },
  { id: 'CHAIN207', severity: 'info', summary: 'the backend refuses values for a session key that the RLS cast would hold (a shorter maxLength: callers with longer claims get 403)' },
  { id: 'CHAIN301', severity: 'error', summary: 'a required session key\'s claim is not among the claims the policy\'s token validation requires' },
  { id: 'CHAIN302', severity: 'error', summary: 'a session key\'s claim never reaches the backend: not forwarded in gateway-token mode' },
  { id: 'CHAIN303', severity: 'error', summary: 'a role an RLS rule grants is one the policy never lets through' },
  { id: 'CHAIN304', severity: 'warning', summary: 'the policy admits a role that no RLS rule grants' },
  { id: 'CHAIN401', severity: 'error', summary: 'a rate limit or quota keyed by something other than a claim the policy\'s token validation requires' },
  { id: 'CHAIN901', severity: 'error', summary: 'the database catalog differs from the RLS spec (`rls drift`, with `--db`)' },
] as const satisfies readonly ChainRule[];

export type ChainRuleId = (typeof CHAIN_RULES)[number]['id'];

const byId = new Map<string, ChainRule>(CHAIN_RULES.map((r) => [r.id, r]));

export function ruleOf(id: ChainRuleId): ChainRule {
  return byId.get(id) as ChainRule;
}
