/**
 * The runtime's library tables against the C# type table (TABLE.md), and the purity the overlap
 * takes from them.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TYPES, findType } from '../../../../policies/csharp/library/index.js';
import { expressionChangesInPlace } from '../../../../policies/emulator/expressions/index.js';
import { MEMBERS, changesInPlace } from '../../../../policies/emulator/expressions/library/index.js';

/** Members the emulator runs that the type table does not list (yet), each with why. */
const NOT_IN_TYPE_TABLE = new Map<string, string>([]);

function hasSignature(key: string): boolean {
  const m = /^(.+?)::([^(]+)(\(.*\))?$/.exec(key);
  assert.ok(m, key);
  const t = findType(m[1]!);
  if (!t) return false;
  const name = m[2]!;
  if (m[3] === undefined) return t.properties.some((p) => p.name === name) || t.fields.some((p) => p.name === name) || (t.enumMembers ?? []).includes(name);
  const params = m[3].slice(1, -1);
  return t.methods.some((x) => x.name === name && x.params.map((p) => p.type.replace(/\s+/g, '')).join(',') === params);
}

describe('library tables', () => {
  it('every member key the emulator runs has its signature in the type table (the exceptions are listed)', () => {
    const missing = [...MEMBERS.keys()].filter((k) => !hasSignature(k));
    assert.deepEqual(missing.sort(), [...NOT_IN_TYPE_TABLE.keys()].sort());
    assert.ok(MEMBERS.size > 250, `${MEMBERS.size} members`);
  });

  it('lists the allowed methods without a table entry (not an error: host objects such as DateTime and the context run some by name; the rest are refused as unsupported)', (t) => {
    const notRun = new Map<string, number>();
    for (const type of TYPES) {
      for (const m of type.methods) {
        if (type.apim.members !== undefined && !type.apim.members.includes(m.name)) continue;
        const key = `${type.fullName}::${m.name}(${m.params.map((p) => p.type.replace(/\s+/g, '')).join(',')})`;
        if (!MEMBERS.has(key)) notRun.set(type.fullName, (notRun.get(type.fullName) ?? 0) + 1);
      }
    }
    t.diagnostic(`allowed methods without a table entry, per type: ${[...notRun].map(([k, n]) => `${k} ${n}`).join(', ')}`);
    // the string members the issue names all run
    for (const key of ['System.String::Split(char[])', 'System.String::Split(char[],int)', 'System.String::Split(string[],StringSplitOptions)', 'System.String::Trim(char[])', 'System.String::Join(string,IEnumerable<string>)']) {
      assert.ok(MEMBERS.has(key), key);
    }
  });

  it('in place: list, dictionary and JSON changes are; string methods of the same name are not', () => {
    assert.equal(changesInPlace('System.Collections.Generic.List<T>::Add(T)'), true);
    assert.equal(changesInPlace('Newtonsoft.Json.Linq.JObject::Remove(string)'), true);
    assert.equal(changesInPlace('System.Array::Sort(Array)'), true);
    assert.equal(changesInPlace('System.String::Remove(int)'), false);
    assert.equal(changesInPlace('System.String::Split(char[])'), false);
    assert.equal(changesInPlace('System.Linq.Enumerable::ToList(IEnumerable<TSource>)'), false);
  });

  it("an expression's purity: indexer writes and in-place members by their resolved key", () => {
    for (const [code, inPlace] of [
      ['@(context.Variables.GetValueOrDefault<string>("s", "").Remove(0, 1))', false],
      ['@(string.Join(",", "a,b".Split(\',\').Select(s => s.Trim())))', false],
      ['@{ var a = new int[2]; a[0] = 1; return a[0]; }', true],
      ['@{ var a = new int[2]; a[1]++; return a[1]; }', true],
      ['@{ var l = new List<string>(); l.Add("x"); return l.Count; }', true],
      ['@{ var o = (JObject)context.Variables["o"]; o.Remove("a"); return o.Count; }', true],
      ['@(1 +)', true],
    ] as const) {
      assert.equal(expressionChangesInPlace(code), inPlace, code);
    }
  });
});
