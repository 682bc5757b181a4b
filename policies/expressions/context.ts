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
 * `((Jwt)context.Variables["jwt"]).Claims.GetValueOrDefault("tid", "")`. Multi-valued claims
 * (roles) come back comma-separated.
 */
export function tokenClaim(variable: string, claim: string, fallback = ''): Expr<string> {
  return csharp(`${jwtVariable(variable)}.Claims.GetValueOrDefault(${csharpString(claim)}, ${csharpString(fallback)})`);
}

/**
 * true when the stored token grants the permissions: `values` of a multi-valued claim
 * (`roles`, comma-joined by GetValueOrDefault) or of a space-separated one (`scp`), any or all
 * of them. A token without the claim grants nothing.
 */
export function tokenGrants(
  variable: string,
  claim: string,
  values: readonly [string, ...string[]],
  options: { separator: ',' | ' '; match: 'any' | 'all' },
): Expr<boolean> {
  if (values.length === 0) throw new RangeError('tokenGrants needs at least one value');
  // the claim is split once, whatever the number of values
  const list = `${jwtVariable(variable)}.Claims.GetValueOrDefault(${csharpString(claim)}, "").Split(${csharpString(options.separator)})`;
  if (values.length === 1) return csharp(`${list}.Contains(${csharpString(values[0])})`);
  const wanted = `new[] { ${values.map((v) => csharpString(v)).join(', ')} }`;
  return csharp(options.match === 'all' ? `!${wanted}.Except(${list}).Any()` : `${list}.Intersect(${wanted}).Any()`);
}

/**
 * true when the stored token has no `iat` or no `exp`, or lives longer than `maxSeconds`
 * (`exp - iat`): the condition under which a maximum-lifetime check refuses it (fail closed).
 */
export function tokenLifetimeExceeds(variable: string, maxSeconds: number): Expr<boolean> {
  if (!Number.isSafeInteger(maxSeconds) || maxSeconds <= 0) throw new RangeError('maxSeconds must be a positive integer');
  const jwt = jwtVariable(variable);
  return csharp(
    `${jwt}.IssuedAt == null || ${jwt}.ExpirationTime == null || (${jwt}.ExpirationTime.Value - ${jwt}.IssuedAt.Value).TotalSeconds > ${maxSeconds}`,
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
