/**
 * The shape of a validated token's identity claims, checked on the token's own JSON: validate-jwt
 * proves who signed the token, not that `tid` is one string. `Jwt.Claims` cannot tell: it is an
 * `IReadOnlyDictionary<string, string[]>` (policy-expressions reference), where `"tid": 5`,
 * `"tid": "5"` and `"tid": ["5"]` look alike and `["contoso","fabrikam"]` reads as
 * `contoso,fabrikam`. So the check decodes the payload of the token the request carries
 * (validated just before) and reads the JSON types with Newtonsoft's JObject.
 *
 * Only members on the policy-expression allow-list, in .NET Framework / C# 7 form:
 * String.Split(params char[]), Replace(char, char), PadRight(int, char), LastIndexOf(char),
 * StartsWith(string, StringComparison), string.Equals(a, b, StringComparison),
 * String.ToLowerInvariant, Convert.FromBase64String, Encoding.UTF8, JObject.Parse / Properties(),
 * JObject.Property(name), JToken.Type, JTokenType, JProperty.Name / Value.
 * https://learn.microsoft.com/azure/api-management/api-management-policy-expressions#CLRTypes
 *
 * A JSON value's type is compared with `JTokenType.String`/`Date`/`Array` (Newtonsoft's
 * `JObject.Parse` reads an ISO-8601-looking string as a `Date` token, which is still one string
 * here). Newtonsoft gives a JSON null as a null-typed JValue, never a C# null; the `v == null`
 * tests only guard readers that do.
 */
import { csharpBlock, csharpString, type Expr } from './expr.js';

export interface TokenClaimRules {
  /** The header that carried the validated token (`Bearer <jwt>`, or the bare token). */
  tokenHeader: string;
  /** Claims that, when present, must be one JSON string (`tid`, `oid`, `sub`, single-valued forwards). */
  single: readonly string[];
  /** Claims that, when present, must be a JSON string or an array of JSON strings (`roles`). */
  list: readonly string[];
}

/** The detail texts of the refusals, for tests and docs. */
export const tokenClaimRefusals = {
  notJwt: 'The token is not a compact JWT.',
  notObject: 'The token\'s claims are not a JSON object.',
  caseVariant: (claim: string) => `The token carries a second claim named like "${claim}" in different letter case.`,
  notString: (claim: string) => `The claim "${claim}" must be one string.`,
  notList: (claim: string) => `The claim "${claim}" must be a string or an array of strings.`,
  notUnicode: (claim: string) => `The claim "${claim}" holds text that is not valid Unicode.`,
} as const;

/**
 * A multi-statement expression that returns "" when the identity claims have the expected
 * shape, else the reason to refuse the token (one sentence, no claim value):
 *  - a second claim whose name differs from a checked claim only by letter case (JWT claim
 *    names are case-sensitive, RFC 7519; a case-folding reader elsewhere would see either one);
 *  - a single-valued claim that is not one string (array, object, number, boolean, null);
 *  - a list claim that is not a string or an array of strings;
 *  - a string that UTF-8 cannot carry (a lone UTF-16 surrogate, which JSON's `\ud800` escape
 *    can produce): it could not be forwarded byte-exactly.
 */
export function tokenClaimsRefusal(rules: TokenClaimRules): Expr<string> {
  const names = [...new Set([...rules.single, ...rules.list])];
  for (const n of names) if (typeof n !== 'string' || n === '') throw new TypeError('claim names must be non-empty strings');
  if (rules.single.some((n) => rules.list.includes(n))) throw new RangeError('a claim cannot be both single-valued and a list');
  const r = (text: string) => `return ${csharpString(text)};`;
  const notString = (v: string) => `${v}.Type != JTokenType.String && ${v}.Type != JTokenType.Date`;
  // a lone UTF-16 surrogate can only come from a `\u` escape: Encoding.UTF8.GetString replaces
  // ill-formed bytes (an encoded surrogate too) with U+FFFD. So the round trip runs only when the
  // payload's text has a backslash at all (`u`); without one no string in it can hold a surrogate.
  const notUnicode = (v: string) => `u && Encoding.UTF8.GetString(Encoding.UTF8.GetBytes((string)${v})) != (string)${v}`;
  const lines: string[] = [
    `string t = context.Request.Headers.GetValueOrDefault(${csharpString(rules.tokenHeader)}, "");`,
    `string[] parts = t.Substring(t.LastIndexOf(' ') + 1).Split('.');`,
    `if (parts.Length != 3) { ${r(tokenClaimRefusals.notJwt)} }`,
    `string p = parts[1].Replace('-', '+').Replace('_', '/');`,
    `string j;`,
    `JObject c;`,
    `try { j = Encoding.UTF8.GetString(Convert.FromBase64String(p.PadRight(p.Length + (4 - p.Length % 4) % 4, '='))); c = JObject.Parse(j); } catch (Exception) { ${r(tokenClaimRefusals.notObject)} }`,
  ];
  if (names.length > 0) {
    // case variants: one pass over the claim names, each lower-cased once. When every checked name is
    // lower case (Entra's are), a name equal to its lower-case form is skipped after one comparison.
    lines.push(`foreach (JProperty q in c.Properties()) {`, `  string l = q.Name.ToLowerInvariant();`);
    if (names.every((n) => n === n.toLowerCase())) {
      lines.push(`  if (l != q.Name) {`);
      names.forEach((n, i) => lines.push(`    ${i === 0 ? 'if' : 'else if'} (l == ${csharpString(n)}) { ${r(tokenClaimRefusals.caseVariant(n))} }`));
      lines.push(`  }`);
    } else {
      for (const n of names) lines.push(`  if (l == ${csharpString(n.toLowerCase())} && q.Name != ${csharpString(n)}) { ${r(tokenClaimRefusals.caseVariant(n))} }`);
    }
    lines.push(`}`);
    // types: only the checked claims, looked up by their exact names. (Not `c[name] != null`: a JSON
    // null there is a null-typed JValue, which C#'s reference `!=` tells from null, the emulator's not.)
    lines.push(`bool u = j.IndexOf('\\\\') >= 0;`, `JProperty pr;`, `JToken v;`);
    for (const n of names) {
      lines.push(`pr = c.Property(${csharpString(n)});`, `if (pr != null) {`, `  v = pr.Value;`);
      if (rules.list.includes(n)) {
        lines.push(
          `  if (v.Type == JTokenType.Array) {`,
          `    foreach (JToken e in (JArray)v) {`,
          `      if (e == null || ${notString('e')}) { ${r(tokenClaimRefusals.notList(n))} }`,
          `      if (${notUnicode('e')}) { ${r(tokenClaimRefusals.notUnicode(n))} }`,
          `    }`,
          `  } else if (${notString('v')}) { ${r(tokenClaimRefusals.notList(n))} }`,
          `  else if (${notUnicode('v')}) { ${r(tokenClaimRefusals.notUnicode(n))} }`,
        );
      } else {
        lines.push(`  if (${notString('v')}) { ${r(tokenClaimRefusals.notString(n))} }`, `  if (${notUnicode('v')}) { ${r(tokenClaimRefusals.notUnicode(n))} }`);
      }
      lines.push(`}`);
    }
  }
  lines.push(`return "";`);
  return csharpBlock<string>(lines.join('\n'));
}
