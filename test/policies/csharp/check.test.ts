import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkExpression, checkParsed } from '../../../policies/csharp/check/index.js';
import { parseExpression } from '../../../policies/csharp/parse.js';
import type { Expr } from '../../../policies/csharp/ast.js';
import { walkExpr, walkStmt } from '../../../policies/csharp/walk.js';

/** The member keys the checker recorded on call / index / member / new nodes, in tree order. */
function members(code: string): string[] {
  const parsed = parseExpression(code);
  checkParsed(parsed);
  const out: string[] = [];
  const visit = (n: { expr: Expr } | { stmt: unknown }): void => {
    // a call and its callee carry the same key: count it once
    if ('expr' in n && n.expr.member && out[out.length - 1] !== n.expr.member) out.push(n.expr.member);
  };
  if (parsed.block) for (const s of parsed.body) walkStmt(s, visit);
  else walkExpr(parsed.expr, visit);
  return out;
}

function refused(code: string, pattern: RegExp): void {
  const d = checkExpression(code);
  assert.ok(d, `${code} should be refused`);
  assert.equal(d.code, 'CS_TYPE', code);
  assert.match(d.message, pattern, code);
}

describe('static checker: overload resolution as C# does it', () => {
  it('char vs string literals, params expansion, implicit numeric conversions', () => {
    assert.deepEqual(members('@("a,b".Split(\',\'))'), ['System.String::Split(char[])']);
    assert.deepEqual(members('@("a,b".Split(\',\', \';\'))'), ['System.String::Split(char[])']);
    assert.deepEqual(members('@("a,b".Split(new[] { \',\' }, 2))'), ['System.String::Split(char[],int)']);
    assert.deepEqual(members('@("a,b".Split(new[] { "," }, StringSplitOptions.None))'), ['System.String::Split(string[],StringSplitOptions)', 'System.StringSplitOptions::None']);
    assert.deepEqual(members('@("a".Replace(\'a\', \'b\'))'), ['System.String::Replace(char,char)']);
    assert.deepEqual(members('@("a".Replace("a", "b"))'), ['System.String::Replace(string,string)']);
    assert.deepEqual(members('@("abc".IndexOf(\'b\'))'), ['System.String::IndexOf(char)']);
    // int converts to double: Math.Max(double, double) for (int, double)
    assert.deepEqual(members('@(Math.Max(1, 2.5))'), ['System.Math::Max(double,double)']);
    assert.deepEqual(members('@(Math.Max(1, 2))'), ['System.Math::Max(int,int)']);
    assert.deepEqual(members('@(DateTime.UtcNow.AddSeconds(30))'), ['System.DateTime::AddSeconds(double)', 'System.DateTime::UtcNow']);
  });

  it('extension methods only after the instance members found nothing applicable', () => {
    // String has Contains(string): the instance member wins for a string argument
    assert.deepEqual(members('@("abc".Contains("a"))'), ['System.String::Contains(string)']);
    // no String.Contains(char) in .NET Framework: LINQ's Enumerable.Contains<char> applies
    assert.deepEqual(members('@("abc".Contains(\'a\'))'), ['System.Linq.Enumerable::Contains(IEnumerable<TSource>,TSource)']);
  });

  it('generic inference for LINQ over IEnumerable<T>, lambdas typed from it', () => {
    const code = '@(string.Join(";", "a, b".Split(\',\').Select(s => s.Trim())))';
    assert.deepEqual(members(code), [
      'System.String::Join(string,IEnumerable<string>)',
      'System.Linq.Enumerable::Select(IEnumerable<TSource>,Func<TSource,TResult>)',
      'System.String::Split(char[])',
      'System.String::Trim()',
    ]);
    assert.equal(checkExpression('@(new[] { 1, 2 }.Where(x => x > 1).Sum(x => x * 2) + 1)'), undefined);
    assert.equal(checkExpression('@("abc".Where(c => c != \'a\').Count())'), undefined);
    refused('@("abc".Select(c => c.Foo()))', /System\.Char has no method 'Foo'/);
  });

  it('context is typed as APIM documents it', () => {
    assert.equal(checkExpression('@(((string)context.Variables["x"]).Length)'), undefined);
    refused('@(context.Variables["x"].Length)', /System\.Object has no member 'Length'/);
    refused('@(context.Request.Headers["a"].ToUpper())', /no method 'ToUpper'/);
    assert.equal(checkExpression('@(context.Request.Headers.GetValueOrDefault("a", "").ToUpper())'), undefined);
    refused('@{ context.Variables["x"] = 1; return 1; }', /read-only/);
    refused('@(context.Foo)', /IContext has no member 'Foo'/);
  });

  it('a wrong overload names the overloads that exist; a member or type outside the allow-list names itself', () => {
    refused('@("a".Split(","))', /no overload of System\.String\.Split takes \(string\) in \.NET Framework 4\.8; the overloads are: Split\(params char\[\] separator\); Split\(char\[\] separator, int count\)/);
    refused('@("a".GetType())', /^System\.Object\.GetType is not allowed in APIM policy expressions/);
    refused('@(System.IO.File.ReadAllText("x"))', /^System\.IO\.File is not a type APIM allows/);
    refused('@(Environment.MachineName)', /^Environment is not a variable, nor a type APIM allows/);
    refused('@(string.Foo("x"))', /System\.String has no static method 'Foo'/);
    refused('@("x".IsNullOrEmpty("x"))', /IsNullOrEmpty is static: use the type name/);
  });

  it('var, casts, as, is, ?., ??, anonymous types, new[] arrays, out var', () => {
    for (const code of [
      '@{ var s = "x"; var n = s.Length + 1; return n; }',
      '@{ object o = "x"; var s = o as string; return s ?? ""; }',
      '@{ object o = "x"; if (o is string s) { return s.Length; } return 0; }',
      '@(context.Subscription?.Name?.Length ?? 0)',
      '@(new { a = 1, b = "x" }.b.Length)',
      '@(new[] { "a", "b" }.Length)',
      '@(int.TryParse("1", out var n) ? n + 1 : 0)',
      '@{ string[] v; return context.Request.Headers.TryGetValue("a", out v) ? v.Length : 0; }',
      '@{ switch (context.Request.Method) { case "GET": return 1; default: return 2; } }',
      '@{ int Twice(int x) => x * 2; return Twice(2); }',
    ]) {
      assert.equal(checkExpression(code)?.message, undefined, code);
    }
    refused('@(new { a = 1 }.c)', /anonymous type has no member 'c'/);
    refused('@{ var n = 1; n = "x"; return n; }', /cannot convert string to int/);
    refused('@(1 + true)', /operator '\+' cannot be applied to int and bool/);
    refused('@(int.TryParse("1", out string s))', /no overload of System\.Int32\.TryParse/);
  });

  it('named values are unknown text: unchecked, positions kept', () => {
    assert.equal(checkExpression('@(DateTime.UtcNow.AddSeconds({{ttl}}))'), undefined);
    const d = checkExpression('@({{a}} + "x".Foo())');
    assert.equal(d?.column, '@({{a}} + "x".'.length + 1);
  });
});
