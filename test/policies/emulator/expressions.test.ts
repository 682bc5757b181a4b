import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileExpression, ExpressionError } from '../../../policies/emulator/index.js';
import { CsDictionary, CsRecord, MultiDict } from '../../../policies/emulator/expressions/values.js';
import { JwtValue } from '../../../policies/emulator/expressions/jwt-value.js';

const jwt = new JwtValue({ alg: 'RS256' }, { sub: 'alice', tid: 'contoso', roles: ['A', 'B'], aud: 'api://x', iss: 'https://iss/', iat: 1000, exp: 4600, jti: 'id-1' });
const host = {
  context: new CsRecord('IProxyContext', {
    Variables: new CsDictionary('IReadOnlyDictionary<string, object>', true, [
      ['name', 'alice'],
      ['n', 7],
      ['jwt', jwt],
    ]),
    Request: new CsRecord('IRequest', { Method: 'POST', Headers: new MultiDict([['Authorization', ['Bearer a.b.c']], ['Accept', ['text/plain', 'application/json']]]) }),
  }),
  now: () => Date.UTC(2026, 0, 2, 3, 4, 5),
  random: () => 0.5,
};
const run = (code: string): unknown => compileExpression(code).run(host);

describe('expression evaluator', () => {
  const cases: [string, unknown][] = [
    ['@(context.Request.Headers.GetValueOrDefault("authorization", "").Split(\' \')[1])', 'a.b.c'],
    ['@(context.Request.Headers.GetValueOrDefault("Accept"))', 'text/plain,application/json'],
    ['@(context.Request.Headers.GetValueOrDefault("X-None", "dflt"))', 'dflt'],
    ['@(context.Variables.GetValueOrDefault<string>("name"))', 'alice'],
    ['@(context.Variables.GetValueOrDefault<int>("missing"))', 0],
    ['@((string)context.Variables["name"] + "!")', 'alice!'],
    ['@(((Jwt)context.Variables["jwt"]).Claims.GetValueOrDefault("roles", ""))', 'A,B'],
    ['@(((Jwt)context.Variables["jwt"]).Subject + "|" + ((Jwt)context.Variables["jwt"]).Id)', 'alice|id-1'],
    ['@((((Jwt)context.Variables["jwt"]).ExpirationTime.Value - ((Jwt)context.Variables["jwt"]).IssuedAt.Value).TotalSeconds)', 3600],
    ['@(((Jwt)context.Variables["jwt"]).Audiences.Contains("api://x"))', true],
    ['@(context.Request.Headers.GetValueOrDefault("Authorization","").Split(\' \').Last().AsJwt() == null)', true],
    ['@("Hello".ToUpper().Substring(1, 3).Replace("L", "l").Length)', 3],
    ['@(" a ".Trim() + "x".PadLeft(3, \'-\'))', 'a--x'],
    ['@("a,b,,c".Split(new[] { \',\' }, StringSplitOptions.RemoveEmptyEntries).Length)', 3],
    ['@(string.Join("/", new string[] { "a", "b" }))', 'a/b'],
    ['@(string.Format("{0}-{1:D3}", "x", 7))', 'x-007'],
    ['@(string.IsNullOrEmpty(context.Variables.GetValueOrDefault<string>("none")))', true],
    ['@($"{context.Variables["name"]} has {(int)context.Variables["n"] * 2} ({1 + 1})")', 'alice has 14 (2)'],
    ['@(context.Request.Method == "POST" ? "w" : "r")', 'w'],
    ['@(context.Variables.GetValueOrDefault<string>("none") ?? "fallback")', 'fallback'],
    ['@(7 / 2 + 7 % 2 * 10 - -1)', 14],
    ['@(!(1 < 2) || 3 >= 3 && 2 != 2)', false],
    ['@(new Random().Next(10, 20))', 15],
    ['@(DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ"))', '2026-01-02T03:04:05Z'],
    ['@(DateTime.UtcNow.AddHours(1) > DateTime.UtcNow)', true],
    ['@(Convert.ToBase64String(Encoding.UTF8.GetBytes("user:pw")))', 'dXNlcjpwdw=='],
    ['@(Encoding.UTF8.GetString(Convert.FromBase64String("aGk=")))', 'hi'],
    ['@(context.Request.Headers.Keys.Any(h => h.StartsWith("AUTH", StringComparison.OrdinalIgnoreCase)))', true],
    ['@(string.Join(",", "a,b,a,c".Split(\',\').Intersect(new[] { "c", "a", "x" })))', 'a,c'],
    ['@(JsonConvert.SerializeObject(new JObject(new JProperty("a", 1), new JProperty("b", new JArray("x")))))', '{"a":1,"b":["x"]}'],
    ['@(JsonConvert.SerializeObject(new Dictionary<string, object> { { "k", "v" } }, Formatting.Indented))', '{\n  "k": "v"\n}'],
    ['@(JsonConvert.SerializeObject(new { alg = "HS256", typ = "JWT", n = 2 }))', '{"alg":"HS256","typ":"JWT","n":2}'],
    // RFC 4231 test case 2: HMAC-SHA256("Jefe", "what do ya want for nothing?")
    ['@(Convert.ToBase64String(new HMACSHA256(Encoding.UTF8.GetBytes("Jefe")).ComputeHash(Encoding.UTF8.GetBytes("what do ya want for nothing?"))))', 'W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM='],
    ['@(new DateTimeOffset(DateTime.UtcNow.AddMinutes(10)).ToUnixTimeSeconds())', 1767323045 + 600],
    ['@(JsonConvert.SerializeObject(context.Request.Headers.GetValueOrDefault("Accept").Split(\',\')))', '["text/plain","application/json"]'],
    ['@((string)JsonConvert.DeserializeObject<JObject>("{\\"a\\":\\"b\\"}")["a"])', 'b'],
    ['@(string.Join(",", new[] { "a", "b", "c" }.Except("b,x".Split(\',\'))))', 'a,c'],
    ['@(string.Join(",", "a,b".Split(\',\').Union(new[] { "b", "c", "c" })))', 'a,b,c'],
    ['@(!new[] { "A", "B" }.Except(((Jwt)context.Variables["jwt"]).Claims.GetValueOrDefault("roles", "").Split(\',\')).Any())', true],
    ['@(context.Request.Headers.Keys.Where(h => h.Length > 6).Select(h => h.ToLower()).First())', 'authorization'],
    ['@(context.Request.Headers.Keys.Count())', 2],
    ['@(context.Request.Headers.Keys.FirstOrDefault(h => h == "none") == null)', true],
    ['@(new [] { 3, 1, 2 }.OrderBy(x => x).Select(x => x.ToString()).Aggregate == null)', 'refused'],
    ['@{ var total = 0; foreach (var x in new[] { 1, 2, 3 }) { if (x == 2) { continue; } total += x; } return total; }', 4],
    ['@{ string s = "a"; for (var i = 0; i < 3; i++) { s = s + i; } return s; }', 'a012'],
    ['@{ var o = JObject.Parse("{\\"a\\":{\\"b\\":[1,2]}}"); o["c"] = "x"; return (int)o["a"]["b"][1] + (string)o["c"]; }', '2x'],
    ['@(JObject.Parse("{\\"a\\":1}").ToString())', '{\n  "a": 1\n}'],
    ['@{ if (context.Variables.ContainsKey("name")) { return "yes"; } else { return "no"; } }', 'yes'],
    ['@("x" is string)', true],
    ['@("Basic dXNlcjpwdw==".AsBasic().UserId)', 'user'],
  ];
  for (const [code, expected] of cases) {
    it(code, () => {
      if (expected === 'unsupported' || expected === 'refused') {
        const code_ = expected === 'unsupported' ? 'EXPR_UNSUPPORTED' : 'EXPR_REFUSED';
        assert.throws(() => run(code), (e: unknown) => e instanceof ExpressionError && e.code === code_);
        return;
      }
      assert.deepEqual(run(code), expected);
    });
  }

  it('unsupported constructs fail at compile time with their position', () => {
    for (const [code, construct, pos] of [
      ['@(typeof(string))', "'typeof'", 2],
      ['@(await x)', "'await'", 2],
    ] as const) {
      assert.throws(
        () => compileExpression(code),
        (e: unknown) => e instanceof ExpressionError && e.code === 'EXPR_UNSUPPORTED' && e.detail.includes(construct) && e.pos === pos,
        code,
      );
    }
  });

  it('try/catch/finally: C# exceptions are caught, filtered, rethrown; the step limit never is', () => {
    for (const [code, expected] of [
      ['@{ try { return JObject.Parse("not json").ToString(); } catch (Exception) { return "bad json"; } }', 'bad json'],
      ['@{ try { return ((string)context.Variables["nope"]); } catch (Exception e) { return e.Message; } }', "The given key 'nope' was not present in the dictionary."],
      ['@{ var log = ""; try { log += "a"; throw new Exception("boom"); } catch (Exception e) { log += "b:" + e.Message; } finally { log += ":c"; } return log; }', 'ab:boom:c'],
      ['@{ try { try { int.Parse("x"); } catch (Exception e) when (e.Message.Length > 1000) { return 1; } } catch (Exception) { return 2; } return 3; }', 2],
      ['@{ var n = 0; try { n = 1; } finally { n = n + 10; } return n; }', 11],
    ] as const) {
      assert.deepEqual(run(code), expected, code);
    }
    // APIM's allow-list names System.Exception and no other exception type
    for (const type of ['JsonReaderException', 'FormatException', 'KeyNotFoundException']) {
      assert.throws(
        () => run(`@{ try { return int.Parse("x"); } catch (${type}) { return -1; } }`),
        (e: unknown) => e instanceof ExpressionError && e.code === 'EXPR_REFUSED' && e.detail.startsWith(`${type} is not a type APIM allows`),
      );
    }
    // not caught: a filter that is false, a rethrow, the step limit
    assert.throws(() => run('@{ try { return int.Parse("x"); } catch (Exception e) when (e.Message == "") { return -1; } }'), (e: unknown) => e instanceof ExpressionError && /FormatException/.test(e.detail));
    assert.throws(() => run('@{ try { int.Parse("x"); } catch { throw; } return 0; }'), (e: unknown) => e instanceof ExpressionError && /FormatException/.test(e.detail));
    assert.throws(() => run('@{ while (true) { try { } catch { } } }'), (e: unknown) => e instanceof ExpressionError && /step limit/.test(e.detail));
    assert.throws(() => run('@(JsonConvert.DeserializeObject<JObject>("[1]"))'), (e: unknown) => e instanceof ExpressionError && /InvalidCastException/.test(e.detail));
    assert.throws(() => compileExpression('@{ try { return 1; } }'), (e: unknown) => e instanceof ExpressionError && e.code === 'EXPR_SYNTAX' && /'catch' or 'finally'/.test(e.detail));
  });

  it('syntax errors name what was expected and where', () => {
    assert.throws(() => compileExpression('@(1 +)'), (e: unknown) => e instanceof ExpressionError && e.code === 'EXPR_SYNTAX' && e.pos === 5);
    assert.throws(() => compileExpression('@("unterminated)'), (e: unknown) => e instanceof ExpressionError && /unterminated string/.test(e.detail));
  });

  it('runtime failures are EXPR_RUNTIME with the C# exception', () => {
    assert.throws(() => run('@((string)context.Variables["nope"])'), (e: unknown) => e instanceof ExpressionError && e.code === 'EXPR_RUNTIME' && /KeyNotFoundException/.test(e.detail));
    assert.throws(() => run('@(1 / 0)'), (e: unknown) => e instanceof ExpressionError && /DivideByZeroException/.test(e.detail));
    assert.throws(() => run('@(context.Variables.GetValueOrDefault<string>("none").Length)'), (e: unknown) => e instanceof ExpressionError && /NullReferenceException/.test(e.detail));
  });

  it('reaches no JavaScript members: only listed members exist', () => {
    for (const code of ['@("x".constructor)', '@(context.Variables.map)', '@(context.__proto__)', '@("x".toString())']) {
      assert.throws(() => run(code), (e: unknown) => e instanceof ExpressionError && e.code === 'EXPR_REFUSED' && /has no member|has no method/.test(e.detail), code);
    }
  });

  it('an endless loop stops with a runtime error, not a hang', () => {
    assert.throws(() => run('@{ while (true) { } return 1; }'), (e: unknown) => e instanceof ExpressionError && /step limit/.test(e.detail));
  });
});
