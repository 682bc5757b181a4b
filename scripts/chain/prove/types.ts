/** The input and the report of `proveChain`. */
import type { PGliteInterface } from '@electric-sql/pglite';
import type { ClaimMap } from '../../../functions/identity/claim-map.js';
import type { NamedValues, PolicyInput } from '../../../policies/emulator/index.js';
import type { VerifyCases } from '../../../rls/cases.js';
import type { VerifyReport } from '../../../rls/verify.js';
import type { RlsSpec } from '../../../rls/spec/schema.js';
import type { ProveDatabase } from './database.js';
import type { ForwardedToken, ReportedKeys } from './identity.js';

export interface ProveInput {
  /** the most specific policy (the API's, as `policy build` writes it): XML text, a tree or a typed document */
  policy: PolicyInput;
  /** the enclosing scopes, outermost first (global, product), as `policy emulate --scope` */
  scopes?: PolicyInput[];
  fragments?: Record<string, PolicyInput>;
  /** `{{name}}` values; a referenced name without a value fails the proof (CHAIN_PROVE_INPUT) */
  namedValues?: NamedValues;
  spec: RlsSpec;
  /** the spec's verify cases (`rls verify --cases`) */
  cases: VerifyCases;
  /** the backend's app settings (local.settings.json `Values`, or the environment); APIM_RLS_DB is not used */
  settings: Readonly<Record<string, string | undefined>>;
  /** the backend's claim map; default: the one the Functions app runs with */
  claimMap?: ClaimMap;
  /** tables and seed rows; default: the orders sample's */
  database?: ProveDatabase;
  /**
   * Opens the empty in-memory PGlite the proof runs on (default a new in-memory cluster, see `pgliteCache`); the proof closes
   * it. Tests clone one empty template (`PGlite.clone()`) instead of starting PGlite again.
   */
  openPglite?: () => Promise<PGliteInterface>;
  /** without openPglite: the folder of the cached dump the in-memory cluster is loaded from instead of running initdb (rls/db/pglite-cluster.ts); none: initdb */
  pgliteCache?: string | null;
  /** milliseconds since the epoch, for every part (tokens, key caches, rate limits); default Date.now */
  now?: () => number;
  /** the bound of one API call through the chain; default 30000 */
  callTimeoutInMs?: number;
}

export type ProveLayer = 'gateway' | 'backend' | 'database';

/**
 * - `agree`: the API did what the truth table says the database does
 * - `mismatch`: it did not (or the identity changed on the way): a finding, with its layer
 * - `unreachable`: no API operation expresses the check
 * - `refused`: the gateway's admission (401/403 from the policy, nothing forwarded) refused a
 *   caller the database would give access; a policy decision the static check compares with the spec
 */
export type ProveOutcome = 'agree' | 'mismatch' | 'unreachable' | 'refused';

export interface ProveRow {
  case: string;
  /** identity: forwarded headers / session keys; rows / write: a verify check; verify: `rls verify` disagrees with its own case; chain: the whole run */
  kind: 'identity' | 'rows' | 'write' | 'verify' | 'chain';
  /** `app.orders`, a write probe's name, `forwarded identity`, `session keys` */
  subject: string;
  /** the API operation that expresses it (`GET /orders`), or '' */
  operation: string;
  /** the truth table's answer (what the database does directly), or the expected identity */
  truth: string;
  /** what happened through the API */
  api: string;
  outcome: ProveOutcome;
  layer?: ProveLayer;
  detail?: string;
}

export interface ProveCaseEvidence {
  case: string;
  /** GET /me through the gateway: status, and whether the gateway forwarded it */
  me: { status: number; forwarded: boolean; refusal?: string };
  /** what the gateway forwarded (identity headers, X-Request-Id; the token only described) */
  forwarded?: { headers: Record<string, string>; authorization: ForwardedToken };
  /** the session keys as the database reported them (GET /me) */
  sessionKeys?: ReportedKeys;
  /** where the identity changed, when it did */
  layer?: ProveLayer;
  findings: string[];
}

export interface ProveReport {
  rows: ProveRow[];
  cases: ProveCaseEvidence[];
  /** `rls verify`'s truth table on the same database, before any API call */
  truth: VerifyReport;
  counts: Record<ProveOutcome, number>;
  /** rows with outcome `mismatch` */
  mismatches: number;
}
