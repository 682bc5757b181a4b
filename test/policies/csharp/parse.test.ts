import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CSharpError } from '../../../policies/csharp/diagnostics.js';
import { parseExpression } from '../../../policies/csharp/parse.js';
import { tokenize } from '../../../policies/csharp/lexer.js';

function fails(code: string, errCode: string, pattern: RegExp, pos?: number): void {
  assert.throws(
    () => parseExpression(code),
    (e: unknown) => e instanceof CSharpError && e.code === errCode && pattern.test(e.detail) && (pos === undefined || e.pos === pos),
    code,
  );
}

describe('C# front end: the C# 7.3 syntax APIM compiles', () => {
  it('parses what C# 7.3 has: out arguments, switch with patterns, local functions, initializers, using, do', () => {
    for (const code of [
      '@{ string[] value; if (context.Request.Headers.TryGetValue("Authorization", out value)) { return value[0]; } return null; }',
      '@(x.TryGetValue("a", out var v) ? v : "")',
      '@(int.TryParse("1", out int n) ? n : 0)',
      '@(int.TryParse("1", out _))',
      '@{ switch (o) { case string s when s.Length > 0: return s; case int i: return i.ToString(); case null: return "null"; case JTokenType.String: break; case var other when other != null: break; default: return "x"; } return ""; }',
      '@{ int Add(int a, int b) => a + b; string F(string s) { return s + "!"; } return Add(1, 2) + F("x"); }',
      '@(new Dictionary<string, string> { ["a"] = "b", { "c", "d" } })',
      '@(new Uri("http://x") { })',
      '@{ using (var r = new StringReader("x")) { return r.ReadToEnd(); } }',
      '@{ var i = 0; do { i++; } while (i < 3); return i; }',
      '@(x ?? throw new ArgumentException("x"))',
      '@(default(int) + 1)',
      '@(o is var v && v != null)',
      '@($@"{x}\\")',
      '@(0b1010_1010 + 0x_ff)',
    ]) {
      assert.doesNotThrow(() => parseExpression(code), code);
    }
  });

  it('records what the checker needs: declared types, out declarations, switch labels', () => {
    const code = '@{ string[] v; foreach (var c in "ab") { } return int.TryParse("1", out var n); }';
    const p = parseExpression(code);
    assert.ok(p.block);
    const [decl, each, ret] = p.body;
    assert.equal(decl?.k === 'decl' && decl.type?.name, 'string');
    assert.equal(decl?.k === 'decl' && decl.type?.array, 1);
    assert.equal(each?.k === 'foreach' && each.type?.name, 'var');
    assert.ok(ret?.k === 'return' && ret.x?.k === 'call');
    const arg = ret.k === 'return' && ret.x?.k === 'call' ? ret.x.args[1] : undefined;
    assert.deepEqual(arg, { mod: 'out', value: { k: 'declVar', type: null, name: 'n', pos: code.indexOf('out var') } });
    const sw = parseExpression('@{ switch (o) { case string s when s != "": case 1: return 1; default: return 2; } }');
    assert.ok(sw.block && sw.body[0]?.k === 'switch');
    const labels = sw.body[0].k === 'switch' ? sw.body[0].sections.map((s) => s.labels.map((l) => l.k)) : [];
    assert.deepEqual(labels, [['type', 'const'], ['default']]);
    assert.equal(parseExpression('@(nameof(context.Request))').block ? null : (parseExpression('@(nameof(context.Request))') as { expr: { v: unknown } }).expr.v, 'Request');
  });

  it('C# 8 and later syntax is CS_VERSION naming the feature, its version, and where it is', () => {
    for (const [code, pattern, pos] of [
      ['@(a ??= "b")', /^\?\?= \(null-coalescing assignment\) is C# 8; APIM compiles C# 7$/, 4],
      ['@(x switch { 1 => "a", _ => "b" })', /^a switch expression is C# 8; APIM compiles C# 7$/, 4],
      ['@(arr[^1])', /index from the end \(\^n\) is C# 8/, 6],
      ['@(s[1..3])', /range \(a\.\.b\) is C# 8/, 5],
      ['@(s[..3])', /range \(\.\.b\) is C# 8/, 4],
      ['@{ using var r = x; return 1; }', /using declaration .* is C# 8/, 3],
      ['@{ static int F() => 1; return F(); }', /static local function is C# 8/, 3],
      ['@(o is not null)', /'not' pattern is C# 9/, 7],
      ['@(o is string and var s)', /'and' pattern combinator is C# 9/, 14],
      ['@(o is { Length: 3 })', /property pattern .* is C# 8/, 7],
      ['@(o is (1, 2))', /positional pattern .* is C# 8/, 7],
      ['@(o is > 5)', /relational pattern .* is C# 9/, 7],
      ['@(o is [1, 2])', /list pattern .* is C# 11/, 7],
      ['@(x!.Length)', /null-forgiving operator .* is C# 8/, 3],
      ['@(new() { })', /target-typed new\(\) is C# 9/, 5],
      ['@(p with { A = 1 })', /with expression is C# 9/, 4],
      ['@(@$"{x}")', /@\$"…" \(C# 7 needs \$@"…"\) is C# 8/, 2],
      ['@("""raw""")', /raw string literal .* is C# 11/, 2],
      ['@{ switch (o) { case > 5: return 1; } return 0; }', /relational pattern .* is C# 9/, 21],
    ] as const) {
      fails(code, 'CS_VERSION', pattern, pos);
    }
  });

  it('C# 7.3 this front end does not model is CS_UNSUPPORTED naming it', () => {
    fails('@((1, "a"))', 'CS_UNSUPPORTED', /a tuple/, 2);
    fails('@(from h in context.Request.Headers select h.Key)', 'CS_UNSUPPORTED', /LINQ query syntax/, 2);
    fails('@{ lock (x) { } return 1; }', 'CS_UNSUPPORTED', /'lock' statement/, 3);
    fails('@(typeof(string))', 'CS_UNSUPPORTED', /'typeof'/, 2);
  });

  it('invalid C# is CS_SYNTAX with its position', () => {
    fails('@(1 +)', 'CS_SYNTAX', /unexpected end/, 5);
    fails('@("a\nb")', 'CS_SYNTAX', /newline in a string literal/, 4);
    fails('@(Foo(out 1))', 'CS_SYNTAX', /must be a variable/, 6);
    fails('@{ switch (o) { return 1; } }', 'CS_SYNTAX', /expected 'case' or 'default'/);
    fails('@{ do { } ; }', 'CS_SYNTAX', /expected 'while'/);
    fails('@("\\q")', 'CS_SYNTAX', /unsupported escape sequence/, 3);
  });

  it('the lexer reads char and string literals once: escapes, verbatim quotes, interpolation holes with nested strings', () => {
    const src = '\'\\u0041\' @"a""b" $"x{("}")}y" \'\\\'\'';
    const toks = tokenize(src);
    assert.deepEqual(
      toks.map((t) => [t.kind, t.value]),
      [['char', 'A'], ['string', 'a"b'], ['interp', ''], ['char', "'"], ['eof', '']],
    );
    assert.deepEqual(toks[2]?.parts, [{ text: 'x' }, { code: '("}")', offset: src.indexOf('("}")') }, { text: 'y' }]);
  });
});
