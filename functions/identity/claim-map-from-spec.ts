/**
 * A claim map from an RLS spec's session keys (rls/spec), so the backend forwards exactly the
 * keys the database policies read, with the same limits. Typed structurally: any spec-shaped
 * object works.
 */
import { checkClaimMap, type ClaimMap, type SessionKeyRule } from './claim-map.js';

export interface SpecSessionKey {
  name: string;
  type: 'text' | 'uuid' | 'int' | 'bigint' | 'json';
  maxLength?: number | undefined;
  source: 'claim' | 'request-id' | 'trace-id';
  claim?: string | undefined;
  required: boolean;
  multiValued: boolean;
}

const defaultLengths: Record<SpecSessionKey['type'], number> = { text: 4000, json: 4000, uuid: 36, int: 11, bigint: 20 };

export function claimMapFromSpec(spec: { sessionKeys: readonly SpecSessionKey[] }): ClaimMap {
  return checkClaimMap(
    spec.sessionKeys.map((k): SessionKeyRule => {
      const from =
        k.source === 'request-id' ? { requestId: true as const } : k.source === 'trace-id' ? { traceId: true as const } : { claim: k.claim ?? k.name };
      const rule: SessionKeyRule = { key: k.name, from, required: k.required, maxLength: k.maxLength ?? defaultLengths[k.type] };
      return k.multiValued ? { ...rule, multiValued: true } : rule;
    }),
  );
}
