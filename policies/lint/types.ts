/** The linter's public types. */
import type { XmlElement } from '../xml/tree.js';

export type Severity = 'error' | 'warning' | 'info';

export interface FindingLocation {
  /** XPath-like path: `policies/inbound/set-header[2]` (an index only among same-named siblings). */
  path: string;
  line?: number;
  column?: number;
}

export interface Finding {
  ruleId: string;
  severity: Severity;
  message: string;
  location: FindingLocation;
}

/** The scope a policy document is attached at; `<base />` has nothing to inherit at `global`. */
export type PolicyScope = 'global' | 'workspace' | 'product' | 'api' | 'operation' | 'fragment';

export interface LintOptions {
  /** Where the document applies. Default: `fragment` for a `<fragment>` root, `api` otherwise. */
  scope?: PolicyScope;
  /**
   * Header-name prefixes (case-insensitive) that carry a caller's identity to the backend.
   * Default: {@link DEFAULT_IDENTITY_HEADER_PREFIXES}.
   */
  identityHeaderPrefixes?: readonly string[];
  /** Largest acceptable validate-jwt clock-skew in seconds. Default 300. */
  maxClockSkewSeconds?: number;
  /** Rule ids to skip. */
  disable?: readonly string[];
}

export const DEFAULT_IDENTITY_HEADER_PREFIXES: readonly string[] = [
  'X-Identity-',
  'X-MS-CLIENT-PRINCIPAL',
  'X-MS-TOKEN-',
  'X-User-',
  'X-Tenant-',
  'X-Caller-',
  'X-Forwarded-User',
  'X-Forwarded-Email',
];

/** One element met while walking the tree. */
export interface Visit {
  el: XmlElement;
  path: string;
  /** Ancestors from the root down to the parent. */
  ancestors: XmlElement[];
  /** The policy section it sits in (`inbound`, …), if any. */
  section: string | undefined;
}

/** What a rule sees: the walk, the root and resolved options. */
export interface RuleContext {
  root: XmlElement;
  visits: Visit[];
  scope: PolicyScope;
  identityHeaderPrefixes: readonly string[];
  maxClockSkewSeconds: number;
  /** Reports one finding of the running rule at an element. */
  report(at: Visit, message: string): void;
}

export interface Rule {
  /** Stable id: APIM1xx JWT validation, 2xx identity forwarding, 3xx secrets and transport, 4xx structure, 5xx expressions. */
  id: string;
  severity: Severity;
  /** One line, as in the README's rules table. */
  summary: string;
  check(ctx: RuleContext): void;
}
