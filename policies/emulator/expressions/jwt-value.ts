/** APIM's `Jwt` object: what `AsJwt()` and validate-jwt's `output-token-variable-name` expose. */
import { decodeJwt, decodeProtectedHeader, type JWTPayload, type ProtectedHeaderParameters } from 'jose';
import { CsDateTime, HostObject, MultiDict, NO_MEMBER } from './values.js';

export class JwtValue extends HostObject {
  readonly typeName = 'Jwt';
  private claims: MultiDict | undefined;
  constructor(
    readonly header: ProtectedHeaderParameters,
    readonly payload: JWTPayload,
  ) {
    super();
  }
  /** Decodes without validating (`AsJwt()`); null for anything that is not a JWT. */
  static decode(token: string): JwtValue | null {
    try {
      return new JwtValue(decodeProtectedHeader(token), decodeJwt(token));
    } catch {
      return null;
    }
  }
  getClaims(): MultiDict {
    if (!this.claims) {
      this.claims = new MultiDict(Object.entries(this.payload).map(([k, v]) => [k, claimValues(v)]));
    }
    return this.claims;
  }
  override getMember(name: string): unknown {
    const p = this.payload;
    switch (name) {
      case 'Claims':
        return this.getClaims();
      case 'Subject':
        return p.sub ?? null;
      case 'Issuer':
        return p.iss ?? null;
      case 'Id':
        return p.jti ?? null;
      case 'Audiences':
        return p.aud === undefined ? [] : Array.isArray(p.aud) ? [...p.aud] : [p.aud];
      case 'ExpirationTime':
        return toDate(p.exp);
      case 'NotBefore':
        return toDate(p.nbf);
      case 'IssuedAt':
        return toDate(p.iat);
      case 'Algorithm':
        return this.header.alg ?? null;
      case 'Type':
        return this.header.typ ?? null;
    }
    return NO_MEMBER;
  }
}

function toDate(n: unknown): CsDateTime | null {
  return typeof n === 'number' ? new CsDateTime(n * 1000) : null;
}

/** A claim's values as strings (arrays stay multi-valued; objects become JSON). */
export function claimValues(v: unknown): string[] {
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x)));
  if (typeof v === 'string') return [v];
  if (typeof v === 'boolean') return [v ? 'true' : 'false'];
  return [JSON.stringify(v)];
}
