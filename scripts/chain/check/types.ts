/** The chain check's public types: what it reads, and what it reports. */
import type { ClaimMap } from '../../../functions/identity/claim-map.js';
import type { RlsSpec } from '../../../rls/spec/schema.js';
import type { XmlElement } from '../../../policies/xml/tree.js';

export type ChainSeverity = 'error' | 'warning' | 'info';

/** A parsed policy document and the file it came from (for locations). */
export interface PolicySource {
  file: string;
  root: XmlElement;
}

export interface ChainInput {
  /** The most specific policy (API or operation scope). */
  policy: PolicySource;
  /** Enclosing scopes, outermost first (global → product → API); `<base />` walks up this chain. */
  scopes?: readonly PolicySource[];
  /** Fragments for include-fragment, by fragment id. */
  fragments?: Readonly<Record<string, PolicySource>>;
  /** `{{name}}` values; a compared value that names one not given is reported (CHAIN003). */
  namedValues?: Readonly<Record<string, string>>;
  /** The RLS spec (parsed). */
  spec: RlsSpec;
  /** Where the spec came from, for locations. */
  specFile?: string;
  /** The backend's app settings (`local.settings.json`'s `Values`, or the environment). */
  settings: Readonly<Record<string, string | undefined>>;
  /** Where the settings came from, and the line of each key in it, for locations. */
  settingsFile?: string;
  settingsLines?: Readonly<Record<string, number>>;
  /** The backend's claim map; default the one the Functions app runs with (`ordersClaimMap`). */
  claimMap?: ClaimMap;
}

export interface ChainFindingLocation {
  /** The file: a policy, the spec or the settings. */
  file?: string;
  /** Policy: the element's path in the effective policy; spec: the spec path; settings: the key. */
  path?: string;
  line?: number;
  column?: number;
}

export interface ChainFinding {
  /** Stable id (CHAIN001…), see {@link CHAIN_RULES}. */
  id: string;
  severity: ChainSeverity;
  message: string;
  location: ChainFindingLocation;
}
