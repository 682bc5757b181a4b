/**
 * The claim map: which verified claims become which session keys, with types and limits. It is
 * an allow-list — a claim not named here never reaches the database. A missing required claim
 * or a claim of the wrong type or length is refused (403) before any database call.
 */
import { HttpError } from '../errors.js';
import { hasControlCharacter, hasLoneSurrogate } from '../text.js';

export interface SessionKeyRule {
  /** the session key (`SESSION_CONTEXT(N'key')`, `current_setting('app.key')`) */
  readonly key: string;
  /** the claim it comes from, the request id, or the W3C trace id of the request's trace */
  readonly from: { readonly claim: string } | { readonly requestId: true } | { readonly traceId: true };
  readonly required: boolean;
  /** maximum length of the value in characters (multi-valued: of the JSON text) */
  readonly maxLength: number;
  /** a multi-valued claim (array of strings) is passed as JSON array text; absent → `[]` */
  readonly multiValued?: boolean;
}

export type ClaimMap = readonly SessionKeyRule[];

/** One session key and its value; `null` clears the key (absent claim). */
export interface SessionValue {
  readonly key: string;
  readonly value: string | null;
}
export type SessionValues = readonly SessionValue[];

/**
 * The orders sample's map: equal to `claimMapFromSpec(ordersSpec)` (tested). The request id is
 * always present; the trace id when the request carries a trace context (else the key is cleared).
 */
export const ordersClaimMap: ClaimMap = Object.freeze([
  { key: 'tenant_id', from: { claim: 'tid' }, required: true, maxLength: 64 },
  { key: 'user_oid', from: { claim: 'oid' }, required: true, maxLength: 64 },
  { key: 'roles', from: { claim: 'roles' }, required: false, maxLength: 4000, multiValued: true },
  { key: 'request_id', from: { requestId: true }, required: false, maxLength: 128 },
  { key: 'trace_id', from: { traceId: true }, required: false, maxLength: 32 },
]);

const keyPattern = /^[a-z_][a-z0-9_]{0,127}$/;

/** Checks a claim map once, at start-up (caller mistake → TypeError). */
export function checkClaimMap(map: ClaimMap): ClaimMap {
  const seen = new Set<string>();
  for (const rule of map) {
    if (!keyPattern.test(rule.key)) throw new TypeError(`claim map: session key "${rule.key}" must match ${keyPattern}`);
    if (seen.has(rule.key)) throw new TypeError(`claim map: session key "${rule.key}" appears twice`);
    if (!Number.isInteger(rule.maxLength) || rule.maxLength < 1 || rule.maxLength > 4000) {
      throw new TypeError(`claim map: maxLength of "${rule.key}" must be an integer in 1..4000`);
    }
    seen.add(rule.key);
  }
  return Object.freeze([...map]);
}

function claimName(rule: SessionKeyRule): string {
  return 'claim' in rule.from ? rule.from.claim : 'requestId' in rule.from ? 'request id' : 'trace id';
}

/**
 * Maps verified claims to session values, in the map's order, every key present (null when
 * absent). `traceId` is the request's W3C trace id (32 lower-case hex digits), when it has one.
 */
export function mapClaims(claims: Readonly<Record<string, unknown>>, map: ClaimMap, requestId: string, traceId?: string): SessionValues {
  const out: SessionValue[] = [];
  for (const rule of map) {
    const raw = 'claim' in rule.from ? claims[rule.from.claim] : 'requestId' in rule.from ? requestId : traceId;
    let value: string | null;
    if (rule.multiValued) {
      let list: unknown[];
      if (raw === undefined || raw === null) list = [];
      else if (typeof raw === 'string') list = [raw];
      else if (Array.isArray(raw)) list = raw;
      else throw invalid(rule, 'not a list of strings');
      if (!list.every((x): x is string => typeof x === 'string')) throw invalid(rule, 'not a list of strings');
      if (rule.required && list.length === 0) throw missing(rule);
      // each value, not the JSON text: JSON.stringify escapes a NUL as \u0000, which jsonb then refuses (22P05)
      if (list.some((x) => hasControlCharacter(x))) throw invalid(rule, 'holding control characters');
      if (list.some((x) => hasLoneSurrogate(x))) throw invalid(rule, 'holding text that is not valid Unicode');
      value = JSON.stringify(list);
    } else {
      if (raw === undefined || raw === null || raw === '') {
        if (rule.required) throw missing(rule);
        value = null;
      } else if (typeof raw === 'string') value = raw;
      else throw invalid(rule, 'not a string');
    }
    if (value !== null && value.length > rule.maxLength) throw invalid(rule, `longer than ${rule.maxLength} characters`);
    // control characters (NUL above all) have no place in an identity value
    if (value !== null && hasControlCharacter(value)) throw invalid(rule, 'holding control characters');
    // a lone surrogate has no UTF-8 form: the driver would send U+FFFD instead, another value
    if (value !== null && hasLoneSurrogate(value)) throw invalid(rule, 'holding text that is not valid Unicode');
    out.push({ key: rule.key, value });
  }
  return out;
}

function missing(rule: SessionKeyRule): HttpError {
  return new HttpError('FN_210_CLAIM_MISSING', `the required claim "${claimName(rule)}" is missing`, {
    reason: `claim_missing:${claimName(rule)}`,
  });
}

function invalid(rule: SessionKeyRule, why: string): HttpError {
  return new HttpError('FN_211_CLAIM_INVALID', `the claim "${claimName(rule)}" is ${why}`, {
    reason: `claim_invalid:${claimName(rule)}`,
  });
}
