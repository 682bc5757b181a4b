/**
 * What the effective policy says about identity, read once: the token validations (header,
 * token variable, audiences, required claims), the headers it sets and deletes, the guards that
 * refuse a namespace, the managed-identity token, the role gate and the rate-limit keys.
 * Expressions are read by pattern, for the forms the builders emit and the common hand-written
 * ones (`(Jwt)context.Variables["v"]`, `GetValueOrDefault<Jwt>("v")`, `…AsJwt()`).
 */
import { attr, childElements, isExpression, type XmlElement, type XmlValue } from '../../../policies/xml/tree.js';
import { dominates, literalAttr, textContent, valueText, walk } from '../../../policies/lint/walk.js';
import type { Visit } from '../../../policies/lint/types.js';

export interface Validation {
  visit: Visit;
  /** The header carrying the token (lower case); undefined for token-value / query-parameter-name. */
  header: string | undefined;
  /** output-token-variable-name */
  tokenVariable: string | undefined;
  audiences: { value: string; el: XmlElement }[];
  issuers: { value: string; el: XmlElement }[];
  /** Claims the validation requires to be present, with the values it allows (none: any value). */
  requiredClaims: Map<string, { values: string[]; el: XmlElement }>;
}

export interface HeaderWrite {
  visit: Visit;
  /** As written. */
  name: string;
  action: 'override' | 'skip' | 'append' | 'delete';
  values: XmlValue[];
}

export interface Limit {
  visit: Visit;
  key: XmlValue | undefined;
}

export interface PolicyFacts {
  visits: Visit[];
  validations: Validation[];
  headers: HeaderWrite[];
  /** `when` branches that refuse a request carrying a header of a namespace: the prefix, lower case. */
  refusedPrefixes: { prefix: string; visit: Visit }[];
  managedIdentity: { visit: Visit; resource: XmlValue | undefined; outputVariable: string | undefined }[];
  /** Role gates: validate-jwt required `roles` values, or a `when` refusing (401/403) callers without listed roles. */
  roleGates: { visit: Visit; claim: string; roles: string[] }[];
  limits: Limit[];
}

const VALIDATORS = new Set(['validate-jwt', 'validate-azure-ad-token']);

function insideOtherMessage(v: Visit): boolean {
  return v.ancestors.some((a) => a.name === 'return-response' || a.name === 'send-request' || a.name === 'send-one-way-request');
}

function requiredClaimsOf(el: XmlElement): Validation['requiredClaims'] {
  const out: Validation['requiredClaims'] = new Map();
  for (const rc of childElements(el, 'required-claims')) {
    for (const c of childElements(rc, 'claim')) {
      const name = literalAttr(c, 'name');
      if (name === undefined) continue;
      out.set(name, { values: childElements(c, 'value').map((v) => textContent(v)), el: c });
    }
  }
  return out;
}

/** Every string literal of a C# expression (simple and verbatim strings, unescaped enough to compare). */
export function stringLiterals(code: string): string[] {
  return [...code.matchAll(/@?"((?:[^"\\]|\\.)*)"/g)].map((m) => (m[1] as string).replace(/\\(.)/g, '$1'));
}

/** The claim names an expression reads from a token's `Claims`. */
export function claimsRead(code: string): string[] {
  return [...new Set([...code.matchAll(/Claims\s*(?:\.GetValueOrDefault\s*\(\s*|\[\s*|\.ContainsKey\s*\(\s*|\.TryGetValue\s*\(\s*)"([^"]+)"/g)].map((m) => m[1] as string))];
}

/** Request headers an expression reads by name (lower case). */
export function headersRead(code: string): string[] {
  return [...code.matchAll(/Headers\s*(?:\.GetValueOrDefault\s*\(\s*|\[\s*|\.TryGetValue\s*\(\s*)"([^"]+)"/g)].map((m) => (m[1] as string).toLowerCase());
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** true when the expression reads its claims from the token one of `validations` validated. */
export function readsValidatedToken(code: string, validations: readonly Validation[]): boolean {
  for (const v of validations) {
    if (v.tokenVariable !== undefined) {
      const n = esc(v.tokenVariable);
      if (new RegExp(`\\(\\s*Jwt\\s*\\)\\s*context\\.Variables\\s*\\[\\s*"${n}"\\s*\\]`).test(code)) return true;
      if (new RegExp(`context\\.Variables\\.GetValueOrDefault\\s*<\\s*Jwt\\s*>\\s*\\(\\s*"${n}"`).test(code)) return true;
      if (new RegExp(`context\\.Variables\\s*\\[\\s*"${n}"\\s*\\]\\s*as\\s+Jwt`).test(code)) return true;
    }
    if (v.header !== undefined && /\.AsJwt\s*\(\s*\)/.test(code) && headersRead(code).every((h) => h === v.header) && headersRead(code).length > 0) return true;
  }
  return false;
}

export type ValueSource =
  | { kind: 'token'; claims: string[] }
  | { kind: 'other'; why: string };

/**
 * Where a value comes from: the claims of a token validated before `at` on every path, or
 * something else (a literal, a request header, a token no validation before it covers).
 */
export function sourceOf(value: XmlValue, at: Visit, validations: readonly Validation[]): ValueSource {
  if (!isExpression(value)) return { kind: 'other', why: `the literal ${JSON.stringify(value)}` };
  const code = value.code;
  const before = validations.filter((v) => dominates(v.visit, at));
  const claims = claimsRead(code);
  const tokenHeaders = new Set(before.map((v) => v.header).filter((h): h is string => h !== undefined));
  const otherHeaders = headersRead(code).filter((h) => !tokenHeaders.has(h));
  if (otherHeaders.length > 0) return { kind: 'other', why: `the request header ${otherHeaders[0]}, which the caller controls` };
  if (claims.length === 0) return { kind: 'other', why: `${code}, which reads no claim of the validated token` };
  if (!readsValidatedToken(code, before)) {
    return { kind: 'other', why: readsValidatedToken(code, validations) ? 'a token read before it is validated' : 'a token no validate-jwt / validate-azure-ad-token validates' };
  }
  return { kind: 'token', claims };
}

/** The status a `when` branch answers with when it returns a response (a 4xx), else undefined. */
function refusalStatus(when: XmlElement): number | undefined {
  const inside = walk(when);
  if (!inside.some((v) => v.el.name === 'return-response')) return undefined;
  const codes = inside.filter((v) => v.el.name === 'set-status').map((v) => Number(literalAttr(v.el, 'code')));
  return codes.find((c) => c >= 400 && c < 500);
}

/** The values a role condition compares with: `new[] { "A", "B" }` and `.Contains("A")`. */
export function gateValues(code: string): string[] {
  const out: string[] = [];
  for (const m of code.matchAll(/new\s*(?:string\s*)?\[\s*\]\s*\{([^}]*)\}/g)) out.push(...stringLiterals(m[1] as string));
  for (const m of code.matchAll(/\.Contains\s*\(\s*"((?:[^"\\]|\\.)*)"\s*\)/g)) out.push((m[1] as string).replace(/\\(.)/g, '$1'));
  return [...new Set(out)];
}

export function policyFacts(root: XmlElement): PolicyFacts {
  const visits = walk(root).filter((v) => v.section === 'inbound');
  const validations: Validation[] = [];
  const headers: HeaderWrite[] = [];
  const refusedPrefixes: PolicyFacts['refusedPrefixes'] = [];
  const managedIdentity: PolicyFacts['managedIdentity'] = [];
  const roleGates: PolicyFacts['roleGates'] = [];
  const limits: Limit[] = [];
  for (const v of visits) {
    const el = v.el;
    if (VALIDATORS.has(el.name) && !insideOtherMessage(v)) {
      const header = literalAttr(el, 'header-name') ?? (el.name === 'validate-azure-ad-token' && attr(el, 'token-value') === undefined ? 'Authorization' : undefined);
      const audiences = childElements(el, 'audiences').flatMap((a) => childElements(a, 'audience')).map((a) => ({ value: textContent(a), el: a }));
      const issuers = childElements(el, 'issuers').flatMap((a) => childElements(a, 'issuer')).map((a) => ({ value: textContent(a), el: a }));
      const requiredClaims = requiredClaimsOf(el);
      validations.push({ visit: v, header: header?.trim().toLowerCase(), tokenVariable: literalAttr(el, 'output-token-variable-name'), audiences, issuers, requiredClaims });
      for (const [claim, rc] of requiredClaims) if (rc.values.length > 0 && claim === 'roles') roleGates.push({ visit: v, claim, roles: rc.values });
    } else if (el.name === 'set-header' && !insideOtherMessage(v)) {
      const name = literalAttr(el, 'name')?.trim();
      if (name === undefined) continue;
      const action = (literalAttr(el, 'exists-action')?.trim().toLowerCase() ?? 'override') as HeaderWrite['action'];
      const values = childElements(el, 'value').flatMap((x) => x.children.flatMap((c) => (c.kind === 'text' ? [c.value] : c.kind === 'cdata' ? [c.value] : [])));
      headers.push({ visit: v, name, action, values });
    } else if (el.name === 'when') {
      const cond = attr(el, 'condition');
      const status = refusalStatus(el);
      if (!isExpression(cond) || status === undefined) continue;
      if (/Request\.Headers/.test(cond.code)) {
        for (const m of cond.code.matchAll(/StartsWith\s*\(\s*"([^"]+)"/g)) refusedPrefixes.push({ prefix: (m[1] as string).toLowerCase(), visit: v });
      }
      if (status === 401 || status === 403) {
        const roles = gateValues(cond.code);
        for (const claim of claimsRead(cond.code)) if (roles.length > 0) roleGates.push({ visit: v, claim, roles });
      }
    } else if (el.name === 'authentication-managed-identity') {
      managedIdentity.push({ visit: v, resource: attr(el, 'resource'), outputVariable: literalAttr(el, 'output-token-variable-name') });
    } else if (el.name === 'rate-limit-by-key' || el.name === 'quota-by-key') {
      limits.push({ visit: v, key: attr(el, 'counter-key') });
    } else if (el.name === 'limit-concurrency') {
      limits.push({ visit: v, key: attr(el, 'key') });
    }
  }
  return { visits, validations, headers, refusedPrefixes, managedIdentity, roleGates, limits };
}

export { valueText };
