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
  assert.deepEqual(findType('System.Text.RegularExpressions.Capture')?.apim.members, ['Index', 'Length', 'Value']);
  assert.deepEqual(findType('Newtonsoft.Json.JsonConvert')?.apim.members, ['SerializeObject', 'DeserializeObject']);
  assert.deepEqual(findType('System.Enum')?.apim.members, ['Parse', 'TryParse', 'ToString']);
  const regex = findType('System.Text.RegularExpressions.Regex');
  assert.deepEqual(regex?.apim.members, ['.ctor', 'IsMatch', 'Match', 'Matches', 'Replace', 'Unescape', 'Split']);
  const dt = findType('DateTime')?.apim.members ?? [];
  assert.ok(dt.includes('UtcNow') && dt.includes('ToString') && dt.includes('.ctor'));
  assert.ok(!dt.includes('ToUniversalTime') && !dt.includes('ParseExact') && !dt.includes('FromFileTime'));
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
  assert.deepEqual(findType('System.Tuple<T1, T2>')?.apim.members, []);
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
