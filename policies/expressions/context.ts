/**
 * Expressions that read the request context: headers, the validated token, context variables,
 * the request id, the caller's IP address and the subscription.
 * Reference: https://learn.microsoft.com/azure/api-management/api-management-policy-expressions
 */
import { csharp, csharpString, type Expr } from './expr.js';
import { namedValue } from '../model/values.js';

/** A request header's value, or `fallback` (default "") when absent. */
export function requestHeader(name: string, fallback = ''): Expr<string> {
  return csharp(`context.Request.Headers.GetValueOrDefault(${csharpString(name)}, ${csharpString(fallback)})`);
}

/** true when the request carries the header. */
export function hasRequestHeader(name: string): Expr<boolean> {
  return csharp(`context.Request.Headers.ContainsKey(${csharpString(name)})`);
}

/** C# that reads the `Jwt` stored by validate-jwt's output-token-variable-name. */
export function jwtVariable(variable: string): string {
  return `((Jwt)context.Variables[${csharpString(variable)}])`;
}

/**
 * A claim of the token validate-jwt stored in `variable` (its output-token-variable-name):
 * `((Jwt)context.Variables["jwt"]).Claims.GetValueOrDefault("tid", "")`. The reference documents
 * this overload as returning the claim's values comma-separated, so a multi-valued claim comes
 * back joined (and ambiguous when a value holds a comma): read those with {@link tokenClaimValues}.
 */
export function tokenClaim(variable: string, claim: string, fallback = ''): Expr<string> {
  return csharp(`${jwtVariable(variable)}.Claims.GetValueOrDefault(${csharpString(claim)}, ${csharpString(fallback)})`);
}

/**
 * C# (a `string[]`) for every value of a claim of the stored token, unjoined: `Jwt.Claims` is an
 * `IReadOnlyDictionary<string, string[]>`, so its indexer gives the values as they are (no comma
 * joining, no splitting); an absent claim gives an empty array.
 */
export function tokenClaimValuesCode(variable: string, claim: string): string {
  const jwt = jwtVariable(variable);
  return `(${jwt}.Claims.ContainsKey(${csharpString(claim)}) ? ${jwt}.Claims[${csharpString(claim)}] : new string[0])`;
}

/**
 * The value of a claim as the identity chain forwards it in a header: exact, whatever it holds.
 * - `single`: the claim's one string, percent-encoded (RFC 3986, UTF-8) by `Uri.EscapeDataString`.
 * - `list`: the claim's values as a JSON array of strings (`JsonConvert.SerializeObject`), then
 *   percent-encoded. An absent claim is `[]`.
 * Percent-encoding keeps every header value ASCII (no CR/LF, NUL or non-Latin-1 character can
 * reach the header) and leaves nothing for a proxy to trim. The backend decodes exactly this.
 * `Uri.EscapeDataString` and `JsonConvert.SerializeObject` are on the policy-expression allow-list
 * (System.Uri: all members; Newtonsoft.Json.JsonConvert: SerializeObject):
 * https://learn.microsoft.com/azure/api-management/api-management-policy-expressions#CLRTypes
 */
export function forwardedClaim(variable: string, claim: string, form: 'single' | 'list'): Expr<string> {
  if (form === 'single') return csharp(`Uri.EscapeDataString(${jwtVariable(variable)}.Claims.GetValueOrDefault(${csharpString(claim)}, ""))`);
  return csharp(`Uri.EscapeDataString(JsonConvert.SerializeObject(${tokenClaimValuesCode(variable, claim)}))`);
}

/**
 * true when the stored token grants the permissions: `values` of a multi-valued claim (`roles`,
 * compared value by value — never split, so a role named `"A,B"` is neither `A` nor `B`) or of a
 * space-separated one (`scp`, split on the space character), any or all of them. A token without
 * the claim grants nothing. Only .NET Framework overloads: `Split(params char[])`, LINQ's
 * `Contains`/`Intersect`/`Except` (System.Linq.Enumerable is on the allow-list).
 */
export function tokenGrants(
  variable: string,
  claim: string,
  values: readonly [string, ...string[]],
  options: { format: 'list' | 'space-separated'; match: 'any' | 'all' },
): Expr<boolean> {
  if (values.length === 0) throw new RangeError('tokenGrants needs at least one value');
  // the claim is read (and split) once, whatever the number of values
  const list =
    options.format === 'list'
      ? tokenClaimValuesCode(variable, claim)
      : `${jwtVariable(variable)}.Claims.GetValueOrDefault(${csharpString(claim)}, "").Split(' ')`;
  if (values.length === 1) return csharp(`${list}.Contains(${csharpString(values[0])})`);
  const wanted = `new[] { ${values.map((v) => csharpString(v)).join(', ')} }`;
  return csharp(options.match === 'all' ? `!${wanted}.Except(${list}).Any()` : `${list}.Intersect(${wanted}).Any()`);
}

/**
 * true when the stored token must be refused for its lifetime (fail closed):
 *  - no `iat` or no `exp`;
 *  - `exp - iat` above `maxSeconds`;
 *  - `iat` in the future beyond the clock skew (an `iat` ten years ahead would otherwise make
 *    `exp - iat` look short while the token lives ten years);
 *  - a remaining lifetime `exp - now` above `maxSeconds` plus the clock skew, whatever `iat` says.
 * `DateTime.UtcNow` and `DateTime.AddSeconds` are on the allow-list.
 */
export function tokenLifetimeExceeds(variable: string, maxSeconds: number, clockSkewSeconds = 0): Expr<boolean> {
  if (!Number.isSafeInteger(maxSeconds) || maxSeconds <= 0) throw new RangeError('maxSeconds must be a positive integer');
  if (!Number.isSafeInteger(clockSkewSeconds) || clockSkewSeconds < 0) throw new RangeError('clockSkewSeconds must be a non-negative integer');
  const jwt = jwtVariable(variable);
  return csharp(
    `${jwt}.IssuedAt == null || ${jwt}.ExpirationTime == null` +
      ` || (${jwt}.ExpirationTime.Value - ${jwt}.IssuedAt.Value).TotalSeconds > ${maxSeconds}` +
      ` || ${jwt}.IssuedAt.Value > DateTime.UtcNow.AddSeconds(${clockSkewSeconds})` +
      ` || (${jwt}.ExpirationTime.Value - DateTime.UtcNow).TotalSeconds > ${maxSeconds + clockSkewSeconds}`,
  );
}

const CS_TYPES = { string: 'string', number: 'int', boolean: 'bool' } as const;
type CsTypes = { string: string; number: number; boolean: boolean };

/** A context variable (set-variable), typed: `contextVariable('region')`, `contextVariable('attempts', 'number')`. */
export function contextVariable<K extends keyof CsTypes = 'string'>(name: string, type?: K): Expr<CsTypes[K]> {
  const t = CS_TYPES[type ?? 'string'];
  return csharp(`context.Variables.GetValueOrDefault<${t}>(${csharpString(name)})`);
}

/** The gateway's id for this request, as a string (`context.RequestId` is a Guid). */
export function requestId(): Expr<string> {
  return csharp('context.RequestId.ToString()');
}

/** The caller's IP address as the gateway sees it. */
export function callerIp(): Expr<string> {
  return csharp('context.Request.IpAddress');
}

/** The subscription's id, or "" when the call has no subscription. */
export function subscriptionId(): Expr<string> {
  return csharp('context.Subscription?.Id ?? ""');
}

/** The subscription's display name, or "" when the call has no subscription. (Never the key itself.) */
export function subscriptionName(): Expr<string> {
  return csharp('context.Subscription?.Name ?? ""');
}

/** A named value inside an expression: the C# string literal `"{{name}}"`, substituted by APIM. */
export function namedValueString(name: string): Expr<string> {
  return csharp(csharpString(namedValue(name)));
}
