/**
 * APIM's `Jwt` object: what `AsJwt()` and validate-jwt's `output-token-variable-name` expose.
 * Members as the policy-expressions reference lists them (`Claims: IReadOnlyDictionary<string,
 * string[]>`, `Jwt.Claims.GetValueOrDefault(claimName, defaultValue)` → comma-separated values):
 * https://learn.microsoft.com/azure/api-management/api-management-policy-expressions#ContextVariables
 */
import { decodeJwt, decodeProtectedHeader, type JWTPayload, type ProtectedHeaderParameters } from 'jose';
import { CsDateTime, CsException, HostObject, MultiDict, NO_MEMBER } from './values.js';

/**
 * `Jwt.Claims`: claim names are compared exactly. JWT claim names are case-sensitive (RFC 7519
 * §4: "The Claim Names within a JWT Claims Set MUST be unique"; §10.1 registers them as
 * case-sensitive strings), so `"tid"` and `"TID"` are two claims and `GetValueOrDefault("tid")`
 * reads `tid` only. The reference does not say how APIM compares claim names; the exact
 * comparison is the stricter reading (a case-folding dictionary let `"TID"` replace `"tid"`).
 * Read-only, like the reference's `IReadOnlyDictionary`.
 */
export class JwtClaims extends MultiDict {
  private readonly exact: ReadonlyMap<string, { readonly name: string; values: string[] }>;
  constructor(entries: Iterable<[string, string[]]>) {
    const m = new Map<string, { name: string; values: string[] }>();
    for (const [name, values] of entries) m.set(name, { name, values });
    // every method reading the entries is overridden below: the base class holds the same map, not an empty one of its own
    super(undefined, m);
    this.exact = m;
  }
  override get(name: string): string[] | undefined {
    return this.exact.get(name)?.values;
  }
  override getKey(key: string): string[] | undefined {
    return this.exact.get(key)?.values;
  }
  override getJoined(name: string): string | undefined {
    return this.exact.get(name)?.values.join(',');
  }
  override has(name: string): boolean {
    return this.exact.has(name);
  }
  override hasKey(key: string): boolean {
    return this.exact.has(key);
  }
  override set(): void {
    throw readOnly();
  }
  override setKey(): void {
    throw readOnly();
  }
  override append(): void {
    throw readOnly();
  }
  override delete(): void {
    throw readOnly();
  }
  override deleteKey(): void {
    throw readOnly();
  }
  override clear(): void {
    throw readOnly();
  }
  override reset(): void {
    throw readOnly();
  }
  override names(): string[] {
    return [...this.exact.keys()];
  }
  override keyed(): ReadonlyMap<string, { readonly name: string; readonly values: string[] }> {
    return this.exact;
  }
  override entries(): [string, string[]][] {
    return [...this.exact.values()].map((e) => [e.name, e.values]);
  }
  override clone(): MultiDict {
    return new JwtClaims(this.entries().map(([k, v]) => [k, [...v]]));
  }
  override get size(): number {
    return this.exact.size;
  }
}

function readOnly(): CsException {
  return new CsException('NotSupportedException', 'Collection is read-only.');
}

export class JwtValue extends HostObject {
  readonly typeName = 'Jwt';
  private claims: JwtClaims | undefined;
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
  getClaims(): JwtClaims {
    if (!this.claims) {
      const payload = this.payload as Record<string, unknown>;
      const entries: [string, string[]][] = [];
      for (const k of Object.keys(payload)) entries.push([k, claimValues(payload[k])]);
      this.claims = new JwtClaims(entries);
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
