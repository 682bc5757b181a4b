/**
 * Child structures shared by validate-jwt and validate-azure-ad-token: keys and required claims.
 * Reference: https://learn.microsoft.com/azure/api-management/validate-jwt-policy
 */
import type { StructSpec } from '../model/schema.js';
import type { EnumValue, Text } from '../model/values.js';

/** A signing or decryption key: Base64 text, a certificate id, or an RSA modulus and exponent. */
export type JwtKey =
  | { value: Text; id?: Text; certificateId?: never; n?: never; e?: never }
  | { certificateId: Text; id?: Text; value?: never; n?: never; e?: never }
  | { n: Text; e: Text; id?: Text; value?: never; certificateId?: never };

export const keySpec: StructSpec = {
  attrs: [
    { key: 'id', xml: 'id', type: 'text' },
    { key: 'certificateId', xml: 'certificate-id', type: 'text' },
    { key: 'n', xml: 'n', type: 'text' },
    { key: 'e', xml: 'e', type: 'text' },
  ],
  children: [{ kind: 'content', key: 'value' }],
  check: (k) => {
    const forms = [k.value !== undefined, k.certificateId !== undefined, k.n !== undefined || k.e !== undefined].filter(Boolean).length;
    if (forms !== 1) return 'a key is exactly one of: Base64 value, certificateId, or n and e';
    if ((k.n === undefined) !== (k.e === undefined)) return 'an RSA key needs both n (modulus) and e (exponent)';
    return undefined;
  },
};

/** A decryption key: Base64 text or a certificate id. */
export type DecryptionKey = { value: Text; certificateId?: never } | { certificateId: Text; value?: never };

export const decryptionKeySpec: StructSpec = {
  attrs: [{ key: 'certificateId', xml: 'certificate-id', type: 'text' }],
  children: [{ kind: 'content', key: 'value' }],
  check: (k) => ((k.value === undefined) === (k.certificateId === undefined) ? 'a decryption key is exactly one of: Base64 value, certificateId' : undefined),
};

/** One `<claim>` of `<required-claims>`. `separator` splits a multi-valued claim (use " " for `scp`). */
export interface RequiredClaim {
  name: Text;
  /** `all` (default): every listed value must be present; `any`: at least one. */
  match?: EnumValue<'all' | 'any'>;
  separator?: Text;
  values?: Text[];
}

export const claimSpec: StructSpec = {
  attrs: [
    { key: 'name', xml: 'name', type: 'text' },
    { key: 'match', xml: 'match', type: { enum: ['all', 'any'] } },
    { key: 'separator', xml: 'separator', type: 'text' },
  ],
  children: [{ kind: 'texts', key: 'values', xml: 'value' }],
  check: (c) => (c.name === undefined ? 'a required claim needs a name' : undefined),
};

/** `<openid-config url="..." />`. */
export interface OpenIdConfig {
  url: Text;
}

export const openIdConfigSpec: StructSpec = {
  attrs: [{ key: 'url', xml: 'url', type: 'text' }],
  children: [],
  check: (c) => (c.url === undefined ? 'openid-config needs a url' : undefined),
};

/** Exactly one of header-name, query-parameter-name, token-value. */
export type TokenSource =
  | { headerName: Text; queryParameterName?: never; tokenValue?: never }
  | { queryParameterName: Text; headerName?: never; tokenValue?: never }
  | { tokenValue: Text; headerName?: never; queryParameterName?: never };

export function tokenSourceCount(m: Record<string, unknown>): number {
  return [m.headerName, m.queryParameterName, m.tokenValue].filter((x) => x !== undefined).length;
}
