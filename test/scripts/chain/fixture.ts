/** The product's own chain (policy build's XML, the sample spec, local.settings.example.json) and seeding helpers. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { productPolicies } from '../../../policies/product/index.js';
import { emitPolicy } from '../../../policies/model/text.js';
import { parsePolicyXml } from '../../../policies/xml/index.js';
import { ordersSpecInput } from '../../../rls/sample/spec.js';
import { parseSpec } from '../../../rls/spec/load.js';
import type { RlsSpec, RlsSpecInput } from '../../../rls/spec/schema.js';
import { ordersClaimMap, type ClaimMap } from '../../../functions/identity/claim-map.js';
import { checkChain, type ChainInput } from '../../../scripts/chain/check/index.js';

export const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

/** policy build's XML of each product policy, by name. */
export const built: Record<string, string> = Object.fromEntries(productPolicies().map((p) => [p.name, emitPolicy(p.document, { form: 'xml' })]));

export const exampleSettings: Record<string, string> = (JSON.parse(readFileSync(`${repoRoot}local.settings.example.json`, 'utf8')) as { Values: Record<string, string> }).Values;

/** The value local.settings.example.json gives the gateway audience: what {{orders-backend-resource}} names. */
export const backendResource = exampleSettings['APIM_RLS_GATEWAY_AUDIENCE'] as string;

/** Replaces `from` (which must occur) by `to`. */
export function seed(text: string, from: string, to: string): string {
  assert.ok(text.includes(from), `the seed text is not in the chain: ${from}`);
  return text.split(from).join(to);
}

export interface Chain {
  api?: string;
  global?: string;
  spec?: RlsSpecInput;
  settings?: Record<string, string>;
  claimMap?: ClaimMap;
  namedValues?: Record<string, string>;
}

export function specOf(input: RlsSpecInput): RlsSpec {
  return parseSpec(structuredClone(input), 'test');
}

export function input(c: Chain = {}): ChainInput {
  return {
    policy: { file: 'orders-api.xml', root: parsePolicyXml(c.api ?? (built['orders-api'] as string)) },
    scopes: [{ file: 'global.xml', root: parsePolicyXml(c.global ?? (built['global'] as string)) }],
    spec: specOf(c.spec ?? ordersSpecInput),
    specFile: 'spec.ts',
    settings: c.settings ?? exampleSettings,
    settingsFile: 'local.settings.json',
    claimMap: c.claimMap ?? ordersClaimMap,
    namedValues: c.namedValues ?? { 'orders-backend-resource': backendResource },
  };
}

/** The ids found, sorted and distinct. */
export function ids(c: Chain = {}): string[] {
  return [...new Set(checkChain(input(c)).map((f) => f.id))].sort();
}

export function findings(c: Chain = {}) {
  return checkChain(input(c));
}
