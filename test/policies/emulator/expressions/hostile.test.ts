/**
 * Hostile expressions: none reaches a JavaScript prototype, and none runs past the one budget
 * (steps, string and array sizes, call depth) — each stops with an error on-error sees and a
 * policy's own catch cannot swallow.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileExpression, emulate, ExpressionError } from '../../../../policies/emulator/index.js';
import { CsRecord } from '../../../../policies/emulator/expressions/values.js';

const host = { context: new CsRecord('IProxyContext', {}), now: () => Date.UTC(2026, 0, 1), random: () => 0.5 };
const run = (code: string): unknown => compileExpression(code).run(host);

/** Every own key of the prototypes an expression could reach through a JS object. */
function prototypeKeys(): string[] {
  return [Object.prototype, Array.prototype, Function.prototype, String.prototype].flatMap((p) => Reflect.ownKeys(p).map(String));
}

describe('hostile expressions: prototypes are ordinary keys', () => {
  const cases: [string, unknown][] = [
    // the security review's path: SelectToken reached Object.prototype, the indexer wrote into it
    ['@{ var t = JObject.Parse("{}").SelectToken("__proto__"); return t == null; }', true],
    ['@(JObject.Parse("{}").SelectToken("constructor.prototype") == null)', true],
    ['@(JObject.Parse("{}")["constructor"] == null)', true],
    ['@(JObject.Parse("{}")["toString"] == null)', true],
    ['@(JObject.Parse("{}").ContainsKey("hasOwnProperty"))', false],
    ['@(JObject.Parse("{}").Property("__proto__") == null)', true],
    ['@(JObject.Parse("{}").Count)', 0],
    // written and read back as the own keys they are
    ['@{ var o = JObject.Parse("{}"); o["__proto__"] = JObject.Parse("{\\"polluted\\":1}"); return o.ToString(Formatting.None); }', '{"__proto__":{"polluted":1}}'],
    ['@{ var o = new JObject(); o.Add("constructor", "c"); o.Add("prototype", "p"); o["__proto__"] = "x"; return string.Join(",", o.Properties().Select(p => p.Name)); }', 'constructor,prototype,__proto__'],
    ['@{ var o = new JObject(); o["__proto__"] = "x"; return (string)o["__proto__"] + o.Count; }', 'x1'],
    ['@{ var o = new JObject(new JProperty("__proto__", 1)); return o.ToString(Formatting.None) + o.Count; }', '{"__proto__":1}1'],
    ['@((int)JObject.Parse("{\\"__proto__\\":{\\"polluted\\":7}}")["__proto__"]["polluted"])', 7],
    ['@((int)JObject.Parse("{\\"__proto__\\":{\\"polluted\\":7}}").SelectToken("__proto__.polluted"))', 7],
    ['@{ var o = JObject.Parse("{\\"__proto__\\":{}}"); o["__proto__"]["polluted"] = new JValue(1); return o.ToString(Formatting.None); }', '{"__proto__":{"polluted":1}}'],
    ['@{ var o = JsonConvert.DeserializeObject<JObject>("{}"); o.Add("__proto__", new JValue(1)); return o.ToString(Formatting.None); }', '{"__proto__":1}'],
    ['@(JsonConvert.SerializeObject(new Dictionary<string, object> { { "__proto__", "x" }, { "constructor", 1 } }))', '{"__proto__":"x","constructor":1}'],
    ['@(JsonConvert.SerializeObject(new { __proto__ = 1, constructor = 2 }))', '{"__proto__":1,"constructor":2}'],
    ['@(string.Join(",", JObject.Parse("{\\"__proto__\\":1,\\"b\\":2}").Properties().Select(p => p.Name)))', '__proto__,b'],
  ];
  for (const [code, expected] of cases) {
    it(code, () => {
      const before = prototypeKeys();
      assert.deepEqual(run(code), expected);
      assert.deepEqual(prototypeKeys(), before);
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
    });
  }

  it('an indexer write through a path that reached Object.prototype before is a NullReferenceException now', () => {
    const before = prototypeKeys();
    assert.throws(
      () => run('@{ var t = JObject.Parse("{}").SelectToken("__proto__"); t["polluted"] = "yes"; return "x"; }'),
      (e: unknown) => e instanceof ExpressionError && e.code === 'EXPR_RUNTIME' && /NullReferenceException/.test(e.detail),
    );
    assert.deepEqual(prototypeKeys(), before);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

describe('hostile expressions: one budget for time and memory', () => {
  const cases: [string, RegExp][] = [
    // the review's nested LINQ: 10^10 operations, none of them charged before
    ['"x".PadLeft(100000).Select(c => "x".PadLeft(100000).Count()).Count()', /step limit/],
    ['Enumerable.Range(0, 1000).Select(i => Enumerable.Range(0, 1000).Where(j => j > i).Count()).Sum()', /step limit/],
    ['"x".PadLeft(100000000)', /size limit/],
    ['"x".PadRight(int.MaxValue)', /size limit/],
    ['new string(\'a\', 100000000)', /size limit/],
    ['Enumerable.Repeat("a", 100000000).Count()', /size limit/],
    ['Enumerable.Repeat("a", 900000).Select(s => s + s).Count()', /step limit/],
    ['new int[2000000000].Length', /size limit/],
    ['new byte[2000000000].Length', /size limit/],
    ['string.Join(",", Enumerable.Repeat(new string(\'x\', 1000000), 100))', /size limit/],
    ['new string(\'a\', 3000000).Replace("a", "bb")', /size limit/],
    ['string.Format("{0,100000000}", 1)', /size limit/],
    ['string.Format(new string(\'{\', 1) + "0}" + string.Concat(Enumerable.Repeat("{0}", 100000)), new string(\'x\', 1000))', /size limit|step limit/],
    ['Regex.Replace(new string(\'a\', 100000), "a", new string(\'b\', 1000))', /size limit|step limit/],
    // catastrophic backtracking: exponential in the input's length, invisible to a step count
    ['Regex.IsMatch(new string(\'a\', 40) + "b", "^(a+)+$")', /RegexMatchTimeoutException/],
    ['Regex.Match(new string(\'a\', 40) + "!", @"^(\\w+\\s?)*$").Success', /RegexMatchTimeoutException/],
  ];
  const blocks: [string, RegExp][] = [
    ['var s = "ab"; while (true) { s = s + s; }', /size limit/],
    ['var s = "ab"; for (var i = 0; i < 40; i++) { s += s; } return s.Length;', /size limit/],
    ['var s = ""; while (true) { s += $"{s}x"; }', /step limit|size limit/],
    ['var l = new List<string>(); for (var i = 0; i < 2000000; i++) { l.Add("x"); } return l.Count;', /step limit/],
    ['var o = new JArray(); for (var i = 0; i < 40; i++) { o = new JArray(o, o); } return o.ToString();', /size limit/],
    ['var l = new List<object>(); for (var i = 0; i < 40; i++) { l = new List<object> { l, l }; } return JsonConvert.SerializeObject(l);', /step limit/],
    ['Func<int, int> f = null; f = x => f(x + 1); return f(0);', /call depth/],
  ];
  const all = [...cases.map(([c, m]) => [`@(${c})`, m] as const), ...blocks.map(([c, m]) => [`@{ ${c} }`, m] as const)];
  for (const [code, limit] of all) {
    it(code, () => {
      const before = prototypeKeys();
      assert.throws(() => run(code), (e: unknown) => e instanceof ExpressionError && e.code === 'EXPR_RUNTIME' && limit.test(e.detail), code);
      assert.deepEqual(prototypeKeys(), before);
    });
  }

  it("a policy's own catch never swallows a limit", () => {
    for (const [code, limit] of [
      ['@{ try { return "x".PadLeft(100000000); } catch (Exception) { return "caught"; } }', /size limit/],
      ['@{ try { return "x".PadLeft(100000).Select(c => "x".PadLeft(100000).Count()).Count(); } catch { return -1; } }', /step limit/],
      ['@{ try { Func<int, int> f = null; f = x => f(x + 1); return f(0); } catch (Exception e) when (true) { return -1; } }', /call depth/],
      ['@{ try { return Regex.IsMatch(new string(\'a\', 40) + "b", "^(a+)+$"); } catch (Exception) { return false; } }', /RegexMatchTimeoutException/],
    ] as const) {
      assert.throws(() => run(code), (e: unknown) => e instanceof ExpressionError && limit.test(e.detail), code);
    }
  });

  it('on-error sees the limit as ExpressionValueEvaluationFailure with its message', async () => {
    const policy = `<policies><inbound><set-variable name="x" value="@(new string('a', 100000000))" /></inbound><backend><forward-request /></backend><outbound /><on-error><set-header name="X-Err" exists-action="override"><value>@(context.LastError.Reason + ": " + context.LastError.Message)</value></set-header></on-error></policies>`;
    const r = await emulate(policy).send({ url: 'https://gw.test/x' });
    assert.equal(r.status, 500);
    assert.match(String(r.headers['x-err']), /^ExpressionValueEvaluationFailure: .*size limit/);
  });
});
