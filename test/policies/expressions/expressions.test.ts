import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  and, callerIp, concat, contextVariable, csharp, csharpBlock, csharpString, eq, ge, gt, hasRequestHeader, isEmpty, le, lt, namedValueString, ne, not, or,
  requestHeader, requestId, subscriptionId, subscriptionName, tokenClaim, tokenLifetimeExceeds,
} from '../../../policies/expressions/index.js';

test('C# string literals escape backslash, quote and control characters', () => {
  assert.equal(csharpString('plain'), '"plain"');
  assert.equal(csharpString('a"b\\c'), '"a\\"b\\\\c"');
  assert.equal(csharpString('l1\nl2\r\t\0'), '"l1\\nl2\\r\\t\\0"');
  assert.equal(csharpString('\u0001\u2028'), '"\\u0001\\u2028"');
  assert.equal(csharpString('<&>'), '"<&>"', 'XML escaping is the writer\'s job, not the expression\'s');
  assert.equal(csharpString('ü€😀'), '"ü€😀"');
});

test('a header value and its presence', () => {
  assert.equal(requestHeader('Authorization').code, '@(context.Request.Headers.GetValueOrDefault("Authorization", ""))');
  assert.equal(requestHeader('X-"q"', 'none').code, '@(context.Request.Headers.GetValueOrDefault("X-\\"q\\"", "none"))');
  assert.equal(hasRequestHeader('Authorization').code, '@(context.Request.Headers.ContainsKey("Authorization"))');
});

test('a claim of the token stored by validate-jwt', () => {
  assert.equal(tokenClaim('jwt', 'tid').code, '@(((Jwt)context.Variables["jwt"]).Claims.GetValueOrDefault("tid", ""))');
});

test('token lifetime check fails closed when iat or exp is missing', () => {
  const c = tokenLifetimeExceeds('jwt', 3600).code;
  assert.match(c, /IssuedAt == null \|\| .*ExpirationTime == null \|\| /);
  assert.match(c, /\.TotalSeconds > 3600\)$/);
  assert.throws(() => tokenLifetimeExceeds('jwt', 0), RangeError);
});

test('context values', () => {
  assert.equal(contextVariable('region').code, '@(context.Variables.GetValueOrDefault<string>("region"))');
  assert.equal(contextVariable('n', 'number').code, '@(context.Variables.GetValueOrDefault<int>("n"))');
  assert.equal(requestId().code, '@(context.RequestId.ToString())');
  assert.equal(callerIp().code, '@(context.Request.IpAddress)');
  assert.equal(subscriptionId().code, '@(context.Subscription?.Id ?? "")');
  assert.equal(subscriptionName().code, '@(context.Subscription?.Name ?? "")');
  assert.equal(namedValueString('k').code, '@("{{k}}")');
});

test('concatenation, comparisons and logic compose with parentheses', () => {
  assert.equal(concat('Bearer ', requestHeader('X')).code, '@("Bearer " + (context.Request.Headers.GetValueOrDefault("X", "")))');
  assert.equal(concat().code, '@("")');
  assert.equal(eq(tokenClaim('jwt', 'tid'), 't1').code, '@((((Jwt)context.Variables["jwt"]).Claims.GetValueOrDefault("tid", "")) == "t1")');
  assert.equal(ne(1, 2).code, '@(1 != 2)');
  assert.equal(lt(1, 2).code, '@(1 < 2)');
  assert.equal(le(1, 2.5).code, '@(1 <= 2.5d)');
  assert.equal(gt(contextVariable('n', 'number'), 3).code, '@((context.Variables.GetValueOrDefault<int>("n")) > 3)');
  assert.equal(ge(1, 1).code, '@(1 >= 1)');
  const c = and(hasRequestHeader('A'), or(true, not(isEmpty(callerIp()))));
  assert.equal(c.code, '@((context.Request.Headers.ContainsKey("A")) && (true || (!(string.IsNullOrEmpty((context.Request.IpAddress))))))');
});

test('raw C# and blocks; blocks cannot be nested into other expressions', () => {
  assert.deepEqual(csharp<string>('context.Request.Method'), { kind: 'expression', code: '@(context.Request.Method)', block: false });
  const b = csharpBlock<string>(' return "x"; ');
  assert.equal(b.code, '@{ return "x"; }');
  assert.throws(() => concat(b), TypeError);
  assert.throws(() => csharpBlock('x'), TypeError);
});
