// The allow-list joined to the generated signatures: what APIM's page lists is in the table, with
// the members the page restricts; what it does not list is absent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ALLOW_LIST, ALLOW_LIST_URL, TYPES, findType } from '../../../../policies/csharp/library/index.js';

test('every row of the page\'s allow-list is a type in the table, citing the page', () => {
  const missing = ALLOW_LIST.map(([name]) => name).filter((name) => findType(name)?.fullName !== name);
  assert.deepEqual(missing, []);
  for (const [name] of ALLOW_LIST) assert.equal(findType(name)?.apim.source, ALLOW_LIST_URL, name);
});

test('types outside the allow-list are absent: System.IO.File, System.Environment, System.Type, Process, HttpClient', () => {
  for (const name of ['System.IO.File', 'File', 'System.Environment', 'Environment', 'System.Type', 'Type',
    'System.Diagnostics.Process', 'System.Net.Http.HttpClient', 'System.Reflection.Assembly', 'System.Threading.Thread']) {
    assert.equal(findType(name), undefined, name);
  }
});

test('rows that list members restrict the type to them (Item is the indexer)', () => {
  assert.deepEqual(findType('System.DateTimeKind')?.apim.members, ['Utc']);
  assert.deepEqual(findType('System.Text.RegularExpressions.GroupCollection')?.apim.members, ['Count', 'this']);
  assert.deepEqual(findType('System.Text.RegularExpressions.Group')?.apim.members, ['Captures', 'Success']);
  // plus ToString: Capture declares only the override of Object.ToString(), which a call binds to
  assert.deepEqual(findType('System.Text.RegularExpressions.Capture')?.apim.members, ['Index', 'Length', 'Value', 'ToString']);
  assert.deepEqual(findType('Newtonsoft.Json.JsonConvert')?.apim.members, ['SerializeObject', 'DeserializeObject']);
  assert.deepEqual(findType('System.Enum')?.apim.members, ['Parse', 'TryParse', 'ToString', 'Equals', 'GetHashCode']);
  const regex = findType('System.Text.RegularExpressions.Regex');
  assert.deepEqual(regex?.apim.members, ['.ctor', 'IsMatch', 'Match', 'Matches', 'Replace', 'Unescape', 'Split', 'ToString']);
  const dt = findType('DateTime')?.apim.members ?? [];
  assert.ok(dt.includes('UtcNow') && dt.includes('ToString') && dt.includes('.ctor'));
  assert.ok(!dt.includes('ToUniversalTime') && !dt.includes('ParseExact') && !dt.includes('FromFileTime'));
  // DateTime.Equals has its own Equals(DateTime) overload: the page's list decides; GetHashCode() is
  // only the override of Object's, which C# binds the call to
  assert.ok(!dt.includes('Equals') && dt.includes('GetHashCode'));
  // a listed type's operators follow it (they do what Subtract/Add/Ticks do)
  assert.ok(['op_Subtraction', 'op_Addition', 'op_LessThan', 'op_Equality'].every((op) => dt.includes(op)));
});

test('"All, except Load": XDocument allows Parse and not Load', () => {
  const members = findType('System.Xml.Linq.XDocument')?.apim.members ?? [];
  assert.ok(members.includes('Parse'));
  assert.ok(!members.includes('Load'));
  assert.ok(findType('System.Xml.Linq.XDocument')?.methods.some((m) => m.name === 'Load'), 'Load exists in .NET');
});

test('"All except parameterless Create()": SymmetricAlgorithm.Create(string) stays, Create() is gone', () => {
  const creates = findType('System.Security.Cryptography.SymmetricAlgorithm')?.methods.filter((m) => m.name === 'Create') ?? [];
  assert.deepEqual(creates.map((m) => m.params.map((p) => p.type)), [['string']]);
});

test('types named in signatures but not listed allow no members; System.Object allows ToString, Equals, GetHashCode', () => {
  assert.deepEqual(findType('System.Func<T, TResult>')?.apim.members, []);
  assert.deepEqual(findType('System.DayOfWeek')?.apim.members, []);
  // Tuple<T1, T2>'s ToString/Equals/GetHashCode are overrides of Object's: calls bind to Object's
  assert.deepEqual(findType('System.Tuple<T1, T2>')?.apim.members, ['ToString', 'Equals', 'GetHashCode']);
  assert.ok(findType('System.Tuple<T1, T2>')?.properties.some((p) => p.name === 'Item1'));
  assert.equal(findType('System.Tuple')?.apim.members, undefined);
  assert.deepEqual(findType('object')?.apim.members, ['ToString', 'Equals', 'GetHashCode']);
});

test('nested types of an allowed type share its allowance (Dictionary<TKey, TValue>.KeyCollection)', () => {
  const keys = findType('System.Collections.Generic.Dictionary<TKey, TValue>')?.properties.find((p) => p.name === 'Keys');
  assert.equal(keys?.type, 'Dictionary<TKey, TValue>.KeyCollection');
  const kc = findType('Dictionary<TKey, TValue>.KeyCollection');
  assert.equal(kc?.fullName, 'System.Collections.Generic.Dictionary<TKey, TValue>.KeyCollection');
  assert.equal(kc?.apim.members, undefined);
});

test('findType: by alias, by simple name with arity, static Nullable vs Nullable<T>', () => {
  assert.equal(findType('int')?.fullName, 'System.Int32');
  assert.equal(findType('List<string>')?.fullName, 'System.Collections.Generic.List<T>');
  assert.equal(findType('System.Collections.Generic.List<T>')?.fullName, 'System.Collections.Generic.List<T>');
  assert.equal(findType('Nullable')?.fullName, 'System.Nullable');
  assert.equal(findType('Nullable<int>')?.fullName, 'System.Nullable<T>');
  assert.equal(findType('Func<string, bool>')?.fullName, 'System.Func<T, TResult>');
  assert.equal(findType('AdjustmentRule')?.fullName, 'System.TimeZoneInfo.AdjustmentRule');
  assert.equal(findType('JObject')?.fullName, 'Newtonsoft.Json.Linq.JObject');
});

test('full names are unique', () => {
  const names = TYPES.map((t) => t.fullName);
  assert.deepEqual(names.filter((n, i) => names.indexOf(n) !== i), []);
});

test('the table is frozen: a consumer cannot change a signature or an allowance', () => {
  const str = findType('string')!;
  assert.throws(() => (str.methods as unknown as unknown[]).push({}), TypeError);
  assert.throws(() => {
    (str.apim as { members?: string[] }).members = [];
  }, TypeError);
  assert.throws(() => {
    (findType('DateTime')!.apim.members as string[]).push('ToFileTime');
  }, TypeError);
});

test('every member a row lists exists on the type (or a base type in the table): no typo in the transcription', () => {
  const missing: string[] = [];
  for (const [name, allowed] of ALLOW_LIST) {
    if (!Array.isArray(allowed)) continue;
    for (const member of (allowed as readonly string[]).map((m) => (m === 'Item' ? 'this' : m))) {
      let t = findType(name);
      let found = false;
      while (t !== undefined && !found) {
        found = member === '.ctor'
          ? t.constructors.length > 0
          : [...t.methods, ...t.properties, ...t.fields].some((m) => m.name === member) || (t.enumMembers ?? []).includes(member);
        t = t.base === undefined ? undefined : findType(t.base);
      }
      if (!found) missing.push(`${name}.${member}`);
    }
  }
  assert.deepEqual(missing, []);
});
