/**
 * The runtime over C# 7.3 constructs (out arguments and `out var`, switch statements with
 * patterns, `is T x`, local functions, initializers, throw expressions, default, do/using) and
 * the .NET Framework members issue 9's done-when names, with .NET Framework's semantics.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileExpression, ExpressionError } from '../../../../policies/emulator/index.js';
import { CsDictionary, CsRecord, MultiDict } from '../../../../policies/emulator/expressions/values.js';

const host = {
  context: new CsRecord('IProxyContext', {
    Variables: new CsDictionary('IReadOnlyDictionary<string, object>', true, [
      ['name', 'alice'],
      ['n', 7],
    ]),
    Request: new CsRecord('IRequest', { Method: 'GET', Headers: new MultiDict([['Authorization', ['Basic dXNlcjpwdw==']]]) }),
    Response: new CsRecord('IResponse', { Headers: new MultiDict([['Cache-Control', ['public, max-age=3600']]]) }),
  }),
  now: () => Date.UTC(2026, 0, 2, 3, 4, 5),
  random: () => 0.5,
};
const run = (code: string): unknown => compileExpression(code).run(host);

describe('runtime: the issue\'s done-when expressions', () => {
  const cases: [string, unknown][] = [
    // policy-expressions page: the TryGetValue(..., out value) block
    [
      '@{ string[] value; if (context.Request.Headers.TryGetValue("Authorization", out value)) { if (value != null && value.Length > 0) { return Encoding.UTF8.GetString(Convert.FromBase64String(value[0].Split(\' \')[1])); } } return null; }',
      'user:pw',
    ],
    ['@{ string[] value; return context.Request.Headers.TryGetValue("X-None", out value) ? "yes" : (value == null ? "null" : "?"); }', 'null'],
    // policy-expressions page: Regex.Match(...).Groups["maxAge"]?.Value
    ['@(Regex.Match(context.Response.Headers.GetValueOrDefault("Cache-Control",""), @"max-age=(?<maxAge>\\d+)").Groups["maxAge"]?.Value)', '3600'],
    // a group that did not take part is an empty, unsuccessful Group, never null
    ['@(Regex.Match("no", @"max-age=(?<maxAge>\\d+)").Groups["maxAge"]?.Value)', ''],
    ['@(Regex.Match("no", @"(?<a>x)").Success)', false],
    ['@(Regex.IsMatch("ABC", "^abc$", RegexOptions.IgnoreCase))', true],
    ['@(Regex.Replace("a1b22", @"(?<d>\\d+)", "<${d}>"))', 'a<1>b<22>'],
    ['@(Regex.Replace("a1b22", @"(\\d)", "[$1|$0|$$]"))', 'a[1|1|$]b[2|2|$][2|2|$]'],
    ['@(Regex.Replace("ab", "b", "<$`|$\'>"))', 'a<a|>'],
    ['@(string.Join("|", "a,b,,c".Split(\',\')))', 'a|b||c'],
    ['@(string.Join("|", "a,b,c".Split(new[] { \',\' }, 2)))', 'a|b,c'],
    ['@(string.Join("|", "a,,b,c".Split(new[] { "," }, StringSplitOptions.None)))', 'a||b|c'],
    ['@("abxba".Trim(\'a\', \'b\'))', 'x'],
    ['@(string.Join(";", " a , b ,c ".Split(\',\').Select(s => s.Trim())))', 'a;b;c'],
    ['@(DateTime.UtcNow.ToString("o"))', '2026-01-02T03:04:05.0000000Z'],
  ];
  for (const [code, expected] of cases) it(code, () => assert.deepEqual(run(code), expected));
});

describe('runtime: String.Split as .NET Framework 4.8 does it (referencesource string.cs)', () => {
  const cases: [string, string][] = [
    // count: the last piece holds the rest, separators and all
    ['"a,b,c,d".Split(new[] { \',\' }, 3)', 'a|b|c,d'],
    ['"a,b".Split(new[] { \',\' }, 1)', 'a,b'],
    ['"a,b".Split(new[] { \',\' }, 0).Length.ToString()', '0'],
    // a trailing separator leaves an empty last piece
    ['"a,".Split(\',\')', 'a|'],
    // RemoveEmptyEntries with a count: empties are skipped before the count is reached
    ['",a,,b,,c".Split(new[] { \',\' }, 2, StringSplitOptions.RemoveEmptyEntries)', 'a|b,,c'],
    ['"a,,".Split(new[] { \',\' }, 2, StringSplitOptions.RemoveEmptyEntries)', 'a'],
    // no separator: white space (Char.IsWhiteSpace)
    ['"a b\\tc".Split()', 'a|b|c'],
    ['"a b".Split((char[])null)', 'a|b'],
    // string separators: tried in order at each position
    ['"a<>b<c".Split(new[] { "<>", "<" }, StringSplitOptions.None)', 'a|b|c'],
    // ... the first in list order wins where several start at one position, even a shorter one
    ['"a<>b<c".Split(new[] { "<", "<>" }, StringSplitOptions.None)', 'a|>b|c'],
    // ... whichever occurs first wins, wherever it stands in the list; a match is skipped whole
    ['"ab,cd;;e".Split(new[] { ";;", "," }, StringSplitOptions.None)', 'ab|cd|e'],
    ['"aaa".Split(new[] { "aa" }, StringSplitOptions.None)', '|a'],
    ['"a,b;c,".Split(\',\', \';\')', 'a|b|c|'],
    ['"".Split(new[] { \',\' }, StringSplitOptions.RemoveEmptyEntries).Length.ToString()', '0'],
  ];
  for (const [expr, expected] of cases) {
    it(expr, () => {
      const v = run(`@(${expr})`);
      assert.equal(Array.isArray(v) ? v.join('|') : v, expected);
    });
  }
  it('a negative count is ArgumentOutOfRangeException', () => {
    assert.throws(() => run('@("a".Split(new[] { \',\' }, -1))'), (e: unknown) => e instanceof ExpressionError && /ArgumentOutOfRangeException/.test(e.detail));
  });
});

describe('runtime: Uri.EscapeDataString, Encoding and Convert byte arrays', () => {
  const cases: [string, unknown][] = [
    // RFC 3986 unreserved characters stay; everything else is percent-encoded UTF-8, !'()* too
    ['@(Uri.EscapeDataString("Az09-._~"))', 'Az09-._~'],
    ['@(Uri.EscapeDataString("a b!\'()*ä/?#[]"))', 'a%20b%21%27%28%29%2A%C3%A4%2F%3F%23%5B%5D'],
    ['@(Uri.EscapeDataString(""))', ''],
    ['@(Encoding.UTF8.GetBytes("héllo").Length)', 6],
    ['@(Encoding.UTF8.GetString(Encoding.UTF8.GetBytes("héllo")))', 'héllo'],
    // a byte[] is its own: writing one leaves another untouched
    ['@{ var a = Encoding.UTF8.GetBytes("abc"); var b = Encoding.UTF8.GetBytes("abc"); a[0] = 100; return Encoding.UTF8.GetString(a) + Encoding.UTF8.GetString(b); }', 'dbcabc'],
    ['@{ var a = Convert.FromBase64String("YWJj"); a[2] = 100; return Encoding.ASCII.GetString(a) + Convert.ToBase64String(Convert.FromBase64String(" YW Jj\\n")); }', 'abdYWJj'],
  ];
  for (const [code, expected] of cases) it(code, () => assert.equal(run(code), expected));
});

describe('runtime: JTokenType (Newtonsoft JTokenType.cs)', () => {
  const cases: [string, unknown][] = [
    ['@(JToken.Parse("[1]").Type == JTokenType.Array)', true],
    ['@(JObject.Parse("{\\"a\\":\\"x\\"}").Property("a").Value.Type == JTokenType.String)', true],
    ['@(JToken.Parse("{}").Type == JTokenType.Array)', false],
    ['@(JToken.Parse("1.5").Type != JTokenType.Integer)', true],
    ['@(JTokenType.Boolean.ToString())', 'Boolean'],
    ['@(JToken.Parse("null").Type == Newtonsoft.Json.Linq.JTokenType.Null)', true],
  ];
  for (const [code, expected] of cases) it(code, () => assert.equal(run(code), expected));
});

describe('runtime: C# 7.3 constructs', () => {
  const cases: [string, unknown][] = [
    ['@(int.TryParse("42", out var n) ? n + 1 : -1)', 43],
    ['@(int.TryParse("x", out var n) ? n : n - 1)', -1],
    ['@{ int n; var ok = int.TryParse("12", out n); return ok ? n * 2 : 0; }', 24],
    ['@(int.TryParse("99999999999", out _) ? "ok" : "overflow")', 'overflow'],
    ['@(bool.TryParse("TRUE", out var b) && b)', true],
    ['@{ object v; return context.Variables.TryGetValue("n", out v) && v is int i && i == 7; }', true],
    ['@("Basic dXNlcjpwdw==".TryParseBasic(out var c) ? c.UserId : "none")', 'user'],
    ['@("not a jwt".TryParseJwt(out var j) ? "jwt" : (j == null ? "null" : "?"))', 'null'],
    ['@{ object o = "text"; if (o is string s && s.Length > 2) { return s.ToUpper(); } return "no"; }', 'TEXT'],
    ['@(context.Variables["n"] is var x ? x : null)', 7],
    [
      '@{ object v = context.Variables["n"]; switch (v) { case string s: return "string " + s; case int i when i > 10: return "big"; case int i: return "int " + i; default: return "other"; } }',
      'int 7',
    ],
    ['@{ switch ("b") { case "a": return 1; case "b": case "c": return 2; default: return 3; } }', 2],
    ['@{ var r = 0; switch (5) { default: r = 9; break; case 1: r = 1; break; } return r; }', 9],
    ['@{ var r = ""; foreach (var x in new[] { 1, 2, 3 }) { switch (x) { case 2: continue; } r += x; } return r; }', '13'],
    ['@{ int Twice(int x) => x * 2; return Twice(Twice(3)); }', 12],
    // scopes: a loop body's locals are new per iteration (closures keep their own), sibling blocks reuse a name
    ['@{ var fs = new List<Func<int>>(); foreach (var x in new[] { 1, 2, 3 }) { var y = x * 10; fs.Add(() => y + x); } return string.Join(",", fs.Select(g => g())); }', '11,22,33'],
    ['@{ var r = ""; for (var i = 0; i < 2; i++) { var y = i; if (y == 0) { var z = "a"; r += z; } else { var z = "b"; r += z; } } return r; }', 'ab'],
    ['@{ var r = 0; if (int.TryParse("5", out var n)) r = n; return r + n; }', 10],
    ['@{ string context = "local"; return context; }', 'local'],
    ['@{ var Encoding = "shadow"; return Encoding.Length.ToString(); }', '6'],
    ['@{ return Fact(5); int Fact(int n) { if (n <= 1) { return 1; } return n * Fact(n - 1); } }', 120],
    ['@{ var d = new Dictionary<string, int> { ["a"] = 1, ["b"] = 2 }; return d["a"] + d["b"]; }', 3],
    ['@{ var l = new List<int> { 1, 2 }; l.Add(3); return l.Sum(); }', 6],
    ['@((string)context.Variables["name"] ?? throw new Exception("missing"))', 'alice'],
    ['@(default(int) + 1)', 1],
    ['@(default(string) == null)', true],
    ['@{ var i = 0; do { i++; } while (i < 3); return i; }', 3],
    ['@{ using (var h = new HMACSHA256(Encoding.UTF8.GetBytes("k"))) { return h.ComputeHash(Encoding.UTF8.GetBytes("x")).Length; } }', 32],
  ];
  for (const [code, expected] of cases) it(code, () => assert.deepEqual(run(code), expected));

  it('a throw expression throws its exception, catchable by its type', () => {
    assert.equal(run('@{ try { var x = (string)null ?? throw new Exception("none"); return x; } catch (Exception e) { return "caught " + e.Message; } }'), 'caught none');
    assert.throws(() => run('@((string)null ?? throw new Exception("missing"))'), (e: unknown) => e instanceof ExpressionError && /Exception: missing/.test(e.detail));
  });
});

describe('runtime: scopes holding many locals', () => {
  it('declares, reads and assigns a dozen locals in one scope, shadowed and read from nested scopes and lambdas', () => {
    const names = ['a', 'b', 'c', 'd', 'e', 'g', 'h', 'i', 'j', 'k', 'l', 'm'];
    const decls = names.map((n, i) => `int ${n} = ${i + 1};`).join(' ');
    const bumps = names.map((n) => `${n} = ${n} * 10;`).join(' ');
    const sum = names.join(' + ');
    // 10 × (1 + … + 12) = 780, read at the top level, in a nested block, in a loop body and in a lambda
    assert.equal(run(`@{ ${decls} ${bumps} return ${sum}; }`), 780);
    assert.equal(run(`@{ ${decls} ${bumps} { int z = ${sum}; return z; } }`), 780);
    assert.equal(run(`@{ ${decls} ${bumps} int t = 0; foreach (var x in new[] { 1, 2 }) { t = t + x * (${sum}); } return t; }`), 2340);
    assert.equal(run(`@{ ${decls} ${bumps} Func<int, int> f = y => y + m + a; return f(1); }`), 131);
    // the last local assigned from a nested scope, then read back
    assert.equal(run(`@{ ${decls} if (true) { m = 5; l = 6; c = 7; } return m * 100 + l * 10 + c; }`), 567);
  });
});
