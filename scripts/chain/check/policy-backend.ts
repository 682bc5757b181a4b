/**
 * Policy ↔ backend (CHAIN1xx): the headers the Functions trust boundary reads
 * (functions/identity/trust-boundary.ts `identityHeaderClaims` under `APIM_RLS_IDENTITY_HEADER_PREFIX`,
 * and `X-Request-Id` in functions/pipeline/run.ts), the audience it accepts for its auth mode
 * (functions/config.ts), and the token it verifies.
 */
import type { AppConfig } from '../../../functions/config.js';
import type { ClaimMap } from '../../../functions/identity/claim-map.js';
import { identityHeaderClaims } from '../../../functions/identity/trust-boundary.js';
import { isExpression, type XmlValue } from '../../../policies/xml/tree.js';
import { unresolvedNames } from './effective.js';
import { sourceOf, valueText, type HeaderWrite, type PolicyFacts } from './facts.js';
import type { Reporter } from './report.js';

/** The correlation header the backend reads (functions/pipeline/run.ts). */
export const REQUEST_ID_HEADER = 'X-Request-Id';
/** The headers caller-token mode compares with the token when they are present (trust-boundary.ts). */
const CALLER_MODE_COMPARED = new Set(['oid', 'tid']);
/** Claims the backend decodes as a JSON array (trust-boundary.ts `multiValuedHeaderClaims`). */
const LIST_HEADER_CLAIMS = new Set(['roles']);

/** `Uri.EscapeDataString` applied last; for a list claim around `JsonConvert.SerializeObject`. */
function encodingProblem(code: string, list: boolean): string | undefined {
  if (!/^@[({]\s*Uri\.EscapeDataString\s*\(/.test(code)) return 'it is not percent-encoded (Uri.EscapeDataString), so the backend refuses it (403 FN_211)';
  if (list && !/JsonConvert\.SerializeObject\s*\(/.test(code)) return 'a list claim must be forwarded as a JSON array (JsonConvert.SerializeObject), which the backend decodes; anything else is refused (403 FN_211)';
  return undefined;
}

/** One character apart (a typo): the message says so. */
function closeTo(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 1 || a === b) return false;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  let j = 0;
  while (j < a.length - i && j < b.length - i && a[a.length - 1 - j] === b[b.length - 1 - j]) j++;
  return Math.max(a.length, b.length) - i - j <= 1;
}

function literal(value: XmlValue | undefined): string | undefined {
  if (value === undefined) return undefined;
  return isExpression(value) ? undefined : value.trim();
}

export function checkPolicyBackend(facts: PolicyFacts, config: AppConfig, claimMap: ClaimMap, needsRequestId: boolean, r: Reporter): void {
  const gatewayMode = config.authMode !== 'caller-token';
  // what reaches the backend: the writes after the last delete of the header (a later scope's delete undoes an earlier forward)
  const sets = (name: string): HeaderWrite[] => {
    const all = facts.headers.filter((h) => h.name.toLowerCase() === name.toLowerCase());
    let lastDelete = -1;
    all.forEach((h, i) => {
      if (h.action === 'delete') lastDelete = i;
    });
    return all.slice(lastDelete + 1);
  };
  const deletes = (name: string) => facts.headers.some((h) => h.name.toLowerCase() === name.toLowerCase() && h.action === 'delete');
  const mapClaims = new Set(claimMap.flatMap((rule) => ('claim' in rule.from ? [rule.from.claim] : [])));
  const headerOfClaim = new Map<string, string>(Object.entries(identityHeaderClaims).map(([suffix, claim]) => [claim, `${config.identityHeaderPrefix}${suffix}`]));

  // every header the backend reads as identity: set from the validated token's claim, in the backend's encoding
  // (caller-token mode reads only `oid` and `tid` from headers, to compare them with the token's)
  for (const [suffix, claim] of Object.entries(identityHeaderClaims)) {
    if (!gatewayMode && !CALLER_MODE_COMPARED.has(claim)) continue;
    const header = `${config.identityHeaderPrefix}${suffix}`;
    const written = sets(header);
    for (const w of written) {
      if (w.action !== 'override') {
        r.policy('CHAIN102', `${header} is set with exists-action="${w.action}": a value the caller sent survives, not only the validated token's "${claim}"`, w.visit);
        continue;
      }
      const values = w.values.length === 1 ? w.values : [];
      if (values.length === 0) {
        r.policy('CHAIN102', `${header} must carry exactly one value, the validated token's "${claim}"`, w.visit);
        continue;
      }
      const value = values[0] as XmlValue;
      const source = sourceOf(value, w.visit, facts.validations);
      if (source.kind === 'other') {
        r.policy('CHAIN102', `the backend reads ${header} as the claim "${claim}", but the policy sets it from ${source.why}`, w.visit);
      } else if (source.claims.length !== 1 || source.claims[0] !== claim) {
        r.policy('CHAIN102', `the backend reads ${header} as the claim "${claim}", but the policy sets it from the claim(s) ${source.claims.map((c) => `"${c}"`).join(', ')}`, w.visit);
      } else if (isExpression(value)) {
        const problem = encodingProblem(value.code, LIST_HEADER_CLAIMS.has(claim));
        if (problem !== undefined) r.policy('CHAIN103', `${header}: ${problem}`, w.visit);
      }
    }
    if (!gatewayMode) continue;
    if (written.length === 0 && mapClaims.has(claim)) {
      // the claim map needs it: renamed (another header carries the claim) or not forwarded at all
      const elsewhere = facts.headers.find((h) => {
        if (h.action !== 'override' || h.values.length !== 1 || !sets(h.name).includes(h)) return false;
        const s = sourceOf(h.values[0] as XmlValue, h.visit, facts.validations);
        return s.kind === 'token' && s.claims.includes(claim);
      });
      if (elsewhere !== undefined) {
        r.policy('CHAIN101', `the backend reads the claim "${claim}" from ${header} (${config.authMode} mode), but the policy sets ${elsewhere.name} from it and never ${header}: renamed on one side?`, elsewhere.visit);
      } else {
        const validation = facts.validations[0];
        r.policy('CHAIN302', `the claim "${claim}" feeds a session key but the policy never forwards it: the backend reads it from ${header} (${config.authMode} mode)`, validation?.visit);
      }
    } else if (written.length === 0 && !deletes(header) && !facts.refusedPrefixes.some((p) => header.toLowerCase().startsWith(p.prefix))) {
      r.policy('CHAIN104', `the backend takes ${header} as the caller's "${claim}" (${config.authMode} mode), and the policy neither sets, deletes nor refuses it: a caller can send their own`, facts.validations[0]?.visit);
    }
  }
  // a claim the backend maps but can never receive as a header
  if (gatewayMode) {
    for (const claim of mapClaims) {
      if (!headerOfClaim.has(claim)) {
        r.setting('CHAIN302', `the claim "${claim}" feeds a session key, but in ${config.authMode} mode the backend reads identity only from the headers ${[...headerOfClaim.values()].join(', ')}: it never arrives`, 'APIM_RLS_AUTH_MODE');
      }
    }
  }

  // audiences of the caller's token
  if (config.authMode !== 'gateway-token') {
    for (const v of facts.validations) {
      if (v.audiences.length === 0) continue;
      const unresolved = v.audiences.filter((a) => unresolvedNames(a.value).length > 0);
      for (const a of unresolved) r.policy('CHAIN003', `the audience ${a.value} is a named value that was not given: the check cannot compare it with APIM_RLS_AUDIENCE`, a.el);
      const resolved = v.audiences.filter((a) => unresolvedNames(a.value).length === 0);
      if (unresolved.length === 0 && !resolved.some((a) => a.value === config.audience)) {
        const near = resolved.find((a) => closeTo(a.value, config.audience));
        const hint = near !== undefined ? ` (${JSON.stringify(near.value)} is one character away from it)` : '';
        r.setting('CHAIN105', `the backend accepts callers' tokens for the audience ${JSON.stringify(config.audience)}, which the policy never validates (it admits ${resolved.map((a) => JSON.stringify(a.value)).join(', ')})${hint}: every caller gets 401 from the backend`, 'APIM_RLS_AUDIENCE');
      }
      const accepted = new Set(config.authMode === 'either' ? [config.audience, config.gatewayAudience] : [config.audience]);
      for (const a of resolved) {
        if (!accepted.has(a.value)) r.policy('CHAIN106', `the policy admits tokens for the audience ${JSON.stringify(a.value)}, which the backend refuses (it accepts ${[...accepted].map((x) => JSON.stringify(x)).join(', ')})`, a.el);
      }
    }
  }

  // the issuer of the caller's token: the backend pins APIM_RLS_ISSUER when it is set (else the OpenID configuration's)
  if (config.authMode !== 'gateway-token' && config.issuer !== undefined) {
    for (const v of facts.validations) {
      const unresolved = v.issuers.filter((i) => unresolvedNames(i.value).length > 0);
      for (const i of unresolved) r.policy('CHAIN003', `the issuer ${i.value} is a named value that was not given: the check cannot compare it with APIM_RLS_ISSUER`, i.el);
      if (v.issuers.length === 0 || unresolved.length > 0) continue;
      if (!v.issuers.some((i) => i.value === config.issuer)) {
        r.setting('CHAIN110', `the backend accepts callers' tokens only from the issuer ${JSON.stringify(config.issuer)}, which the policy does not accept (it admits ${v.issuers.map((i) => JSON.stringify(i.value)).join(', ')}): every caller gets 401 from one of them`, 'APIM_RLS_ISSUER');
      }
    }
  }

  // the gateway's managed-identity token
  const replacing = facts.managedIdentity.filter((m) => m.outputVariable === undefined);
  if (config.authMode === 'caller-token') {
    for (const m of replacing) {
      r.policy('CHAIN108', 'the backend runs in caller-token mode and verifies the caller\'s token in Authorization, but authentication-managed-identity puts the gateway\'s own token there: the backend would see the gateway, not the caller (set APIM_RLS_AUTH_MODE=gateway-token, or remove the element)', m.visit);
    }
  } else {
    if (config.authMode === 'gateway-token' && replacing.length === 0) {
      r.setting('CHAIN107', 'the backend runs in gateway-token mode, but the policy sends no managed-identity token (authentication-managed-identity): every request is refused', 'APIM_RLS_AUTH_MODE');
    }
    for (const m of replacing) {
      const resource = literal(m.resource);
      if (resource === undefined) {
        r.policy('CHAIN003', 'the managed-identity resource is an expression: the check cannot compare it with the audience the backend accepts', m.visit);
      } else if (unresolvedNames(resource).length > 0) {
        r.policy('CHAIN003', `the managed-identity resource ${resource} is a named value that was not given: the check cannot compare it with ${config.gatewayAudience}`, m.visit);
      } else if (resource !== config.gatewayAudience) {
        const hint = closeTo(resource, config.gatewayAudience) ? ' (one character apart)' : '';
        r.policy('CHAIN107', `the gateway asks for a token for ${JSON.stringify(resource)}, but the backend accepts gateway tokens only for ${JSON.stringify(config.gatewayAudience)}${hint}: every request is refused`, m.visit);
      }
    }
  }

  // the request id
  if (needsRequestId) {
    const written = sets(REQUEST_ID_HEADER);
    const validations = facts.validations[0];
    if (written.length === 0) {
      r.policy('CHAIN109', `the RLS spec keys the request id, but the policy does not set ${REQUEST_ID_HEADER}: the backend makes up its own id, which no gateway log knows`, validations?.visit);
    }
    for (const w of written) {
      const code = w.values.length === 1 ? valueText(w.values[0] as XmlValue) : '';
      if (w.action !== 'override') r.policy('CHAIN109', `${REQUEST_ID_HEADER} is set with exists-action="${w.action}": a caller's own id survives and becomes the request id in the database`, w.visit);
      else if (!/context\.RequestId/.test(code) || /Headers/.test(code)) r.policy('CHAIN109', `${REQUEST_ID_HEADER} is set from ${code === '' ? 'no single value' : code}, not from context.RequestId`, w.visit);
    }
  }
}
