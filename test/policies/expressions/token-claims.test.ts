/** The claims-shape check the identity preset runs after validate-jwt, evaluated by the emulator on raw payloads. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileExpression } from '../../../policies/emulator/index.js';
import { CsRecord, MultiDict } from '../../../policies/emulator/expressions/values.js';
import { tokenClaimsRefusal } from '../../../policies/expressions/token-claims.js';

const b64 = (o: unknown) => Buffer.from(typeof o === 'string' ? o : JSON.stringify(o)).toString('base64url');
const check = (rules: Parameters<typeof tokenClaimsRefusal>[0], payload: unknown, header = 'Authorization', scheme = 'Bearer ') => {
  const f = compileExpression(tokenClaimsRefusal(rules).code);
  const headers = new MultiDict([[header, [`${scheme}${b64({ alg: 'RS256' })}.${b64(payload)}.sig`]]]);
  return f.run({ context: new CsRecord('IProxyContext', { Request: new CsRecord('IRequest', { Headers: headers }) }), now: () => 0, random: () => 0.5 } as never);
};
const entra = { tokenHeader: 'Authorization', single: ['tid', 'oid', 'sub'], list: ['roles'] };

describe('tokenClaimsRefusal', () => {
  it('passes well-shaped tokens, including ISO-date-looking strings and a string roles claim', () => {
    assert.equal(check(entra, { tid: 'contoso', oid: 'o', sub: '2020-01-01T00:00:00Z', roles: ['A', 'B'], Other: 1, other: 2 }), '');
    assert.equal(check(entra, { tid: 't', roles: 'A' }), '');
    assert.equal(check(entra, { tid: 't' }), '', 'absent claims are validate-jwt\'s business');
  });

  it('names the reason for each bad shape', () => {
    const cases: [unknown, RegExp][] = [
      [{ tid: 't', TID: 'u' }, /named like "tid" in different letter case/],
      [{ Roles: ['A'], roles: ['B'] }, /named like "roles"/],
      [{ tid: ['a', 'b'] }, /"tid" must be one string/],
      [{ oid: 5 }, /"oid" must be one string/],
      [{ sub: false }, /"sub" must be one string/],
      [{ sub: null }, /"sub" must be one string/],
      [{ tid: { a: 1 } }, /"tid" must be one string/],
      [{ roles: ['A', 2] }, /"roles" must be a string or an array of strings/],
      [{ roles: ['A', null] }, /"roles" must be a string/],
      [{ roles: 7 }, /"roles" must be a string/],
      [{ oid: 'a\ud800' }, /"oid" holds text that is not valid Unicode/],
      [{ roles: ['\udfff'] }, /"roles" holds text that is not valid Unicode/],
    ];
    for (const [payload, why] of cases) assert.match(String(check(entra, payload)), why, JSON.stringify(payload));
    // (a payload that is JSON but not an object: Newtonsoft's JObject.Parse throws; the emulator's does not yet,
    // and validate-jwt refuses such a token before this check in both)
    assert.match(String(check(entra, 'not json')), /not a JSON object/);
  });

  it('looks for lone surrogates only where the payload has an escape, and finds them there', () => {
    const raw = (json: string) => check(entra, json);
    // upper-case escape, a string roles claim, an escape in a claim that is not checked next to one that is
    assert.match(String(raw('{"tid":"t","roles":"\\uD800"}')), /"roles" holds text that is not valid Unicode/);
    assert.match(String(raw('{"iss":"a\\/b","sub":"x\\udc00y"}')), /"sub" holds text that is not valid Unicode/);
    // escapes that are not lone surrogates pass: a pair, an accented letter, an escaped backslash before "ud800"
    assert.equal(raw('{"tid":"\\ud83d\\ude00","oid":"\\u00e9","sub":"\\\\ud800"}'), '');
    // an encoded surrogate in the bytes (ED A0 80) is ill-formed UTF-8: GetString makes it U+FFFD, which passes
    const bytes = Buffer.concat([Buffer.from('{"tid":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]);
    const headers = new MultiDict([['Authorization', [`Bearer ${b64({ alg: 'RS256' })}.${bytes.toString('base64url')}.sig`]]]);
    const f = compileExpression(tokenClaimsRefusal(entra).code);
    assert.equal(f.run({ context: new CsRecord('IProxyContext', { Request: new CsRecord('IRequest', { Headers: headers }) }), now: () => 0, random: () => 0.5 } as never), '');
  });

  it('a checked name with capitals: its exact form passes, any other case is refused', () => {
    const rules = { tokenHeader: 'X-Token', single: ['Department'], list: [] };
    assert.equal(check(rules, { Department: 'x' }, 'X-Token', ''), '', 'a custom header without a scheme');
    assert.match(String(check(rules, { Department: 'x', department: 'y' }, 'X-Token', '')), /named like "Department"/);
  });

  it('emits only .NET Framework overloads (no string separators for Split, no char StartsWith)', () => {
    const code = tokenClaimsRefusal(entra).code;
    assert.doesNotMatch(code, /Split\("/);
    assert.doesNotMatch(code, /StartsWith\('/);
    // JSON types compared with the JTokenType enum, not with tokens parsed per request
    assert.match(code, /\.Type != JTokenType\.String && [a-z]\.Type != JTokenType\.Date/);
    assert.doesNotMatch(code, /JToken\.Parse/);
  });
});
