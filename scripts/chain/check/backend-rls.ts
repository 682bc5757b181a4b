/**
 * Backend ↔ RLS (CHAIN2xx): the backend's claim map (functions/identity/claim-map.ts) against the
 * spec's session keys — the keys the database policies read, and the type each is cast to
 * (rls/emit: `CAST(SESSION_CONTEXT(N'k') AS nvarchar(n))` on Azure SQL, `::text` on PostgreSQL).
 * A T-SQL CAST to a shorter nvarchar cuts the value without an error
 * (https://learn.microsoft.com/sql/t-sql/functions/cast-and-convert-transact-sql#truncating-and-rounding-results),
 * so a backend that accepts longer values than the cast compares a prefix.
 */
import type { ClaimMap, SessionKeyRule } from '../../../functions/identity/claim-map.js';
import type { RlsSpec, SessionKey } from '../../../rls/spec/schema.js';
import type { Reporter } from './report.js';

/** The longest text each fixed-size type can be (claim-map-from-spec.ts uses the same). */
const TYPE_LENGTHS: Record<SessionKey['type'], number | undefined> = { text: undefined, json: undefined, uuid: 36, int: 11, bigint: 20 };

function sourceText(from: SessionKeyRule['from']): string {
  return 'claim' in from ? `the claim "${from.claim}"` : 'requestId' in from ? 'the request id' : 'the trace id';
}

function specSource(k: SessionKey): string {
  return k.source === 'request-id' ? 'the request id' : k.source === 'trace-id' ? 'the trace id' : `the claim "${k.claim ?? k.name}"`;
}

export function checkBackendRls(spec: RlsSpec, claimMap: ClaimMap, r: Reporter): void {
  spec.sessionKeys.forEach((k, i) => {
    const path = `sessionKeys.${i}`;
    const rule = claimMap.find((x) => x.key === k.name);
    if (rule === undefined) {
      r.spec('CHAIN201', `the RLS spec reads the session key "${k.name}" (${specSource(k)}), but the backend's claim map never sets it: it is NULL in every request`, path);
      return;
    }
    const specFrom = k.source === 'claim' ? `claim:${k.claim ?? k.name}` : k.source;
    const mapFrom = 'claim' in rule.from ? `claim:${rule.from.claim}` : 'requestId' in rule.from ? 'request-id' : 'trace-id';
    if (specFrom !== mapFrom) {
      r.spec('CHAIN203', `the session key "${k.name}" is ${specSource(k)} in the RLS spec, but the backend fills it from ${sourceText(rule.from)}`, path);
    }
    if (k.multiValued !== (rule.multiValued === true)) {
      r.spec('CHAIN205', `the session key "${k.name}" is ${k.multiValued ? 'a JSON array (multi-valued)' : 'one value'} in the RLS spec, but the backend passes ${rule.multiValued === true ? 'a JSON array' : 'one string'}`, path);
    }
    const typeLength = TYPE_LENGTHS[k.type];
    if (k.maxLength !== undefined && rule.maxLength > k.maxLength) {
      r.spec('CHAIN204', `the backend accepts up to ${rule.maxLength} characters for "${k.name}", but RLS casts it to ${k.type}(${k.maxLength}): a longer value is cut before it is compared`, `${path}.maxLength`);
    } else if (k.maxLength !== undefined && rule.maxLength < k.maxLength) {
      r.spec('CHAIN207', `the backend refuses values of "${k.name}" longer than ${rule.maxLength} characters, though RLS casts it to ${k.type}(${k.maxLength}): callers with longer claims get 403 — deliberate?`, `${path}.maxLength`);
    } else if (k.maxLength === undefined && typeLength !== undefined && rule.maxLength > typeLength) {
      r.spec('CHAIN205', `the backend accepts up to ${rule.maxLength} characters for "${k.name}", but RLS casts it to ${k.type}, which is at most ${typeLength} characters: a longer value is no ${k.type} the database can compare`, `${path}.type`);
    }
    if (k.required && !rule.required) {
      r.spec('CHAIN206', `the RLS spec requires the session key "${k.name}", but the backend lets a request without ${sourceText(rule.from)} through: the key is NULL instead of a 403`, `${path}.required`);
    }
  });
  for (const rule of claimMap) {
    if (!spec.sessionKeys.some((k) => k.name === rule.key)) {
      r.spec('CHAIN202', `the backend sets the session key "${rule.key}" (${sourceText(rule.from)}), which the RLS spec does not declare: no policy reads it — a renamed key?`, 'sessionKeys');
    }
  }
}
