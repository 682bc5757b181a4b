// Facts of the generated .NET Framework 4.8 signatures that the checker and the runtime rely on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findType, type MethodSig, type TypeSig } from '../../../../policies/csharp/library/index.js';

function get(name: string): TypeSig {
  const t = findType(name);
  assert.ok(t, `${name} is in the table`);
  return t;
}

const sig = (m: MethodSig): string =>
  `${m.name}(${m.params.map((p) => `${p.modifier !== undefined ? `${p.modifier} ` : ''}${p.type}${p.default !== undefined ? ` = ${p.default}` : ''}`).join(', ')})`;

const overloads = (t: TypeSig, name: string): string[] => t.methods.filter((m) => m.name === name).map(sig).sort();

test('Enumerable has the common LINQ methods, as extension methods over IEnumerable<TSource>', () => {
  const linq = get('System.Linq.Enumerable');
  assert.equal(linq.kind, 'static-class');
  for (const name of ['Select', 'Where', 'Any', 'All', 'Count', 'First', 'FirstOrDefault', 'Last', 'LastOrDefault',
    'Single', 'SingleOrDefault', 'Contains', 'Distinct', 'OrderBy', 'OrderByDescending', 'ThenBy', 'ToArray', 'ToList',
    'ToDictionary', 'Skip', 'Take', 'Sum', 'Min', 'Max', 'Aggregate', 'Concat', 'Intersect', 'Except', 'Union',
    'SequenceEqual', 'Reverse', 'Cast', 'OfType', 'GroupBy', 'SelectMany', 'Zip', 'DefaultIfEmpty', 'ElementAt',
    'ElementAtOrDefault', 'Empty', 'Range', 'Repeat']) {
    assert.ok(linq.methods.some((m) => m.name === name), name);
  }
  const select = linq.methods.find((m) => m.name === 'Select');
  assert.deepEqual(select, {
    name: 'Select', static: true, typeParams: ['TSource', 'TResult'], extension: true, returns: 'IEnumerable<TResult>',
    params: [{ name: 'source', type: 'IEnumerable<TSource>', modifier: 'this' }, { name: 'selector', type: 'Func<TSource, TResult>' }],
  });
  // non-extension statics
  assert.deepEqual(overloads(linq, 'Range'), ['Range(int, int)']);
  assert.equal(linq.methods.find((m) => m.name === 'Empty')?.extension, undefined);
  // Cast and OfType extend the non-generic IEnumerable
  assert.deepEqual(overloads(linq, 'Cast'), ['Cast(this IEnumerable)']);
  // .NET Framework 4.7.1/4.7.2 added Append, Prepend and ToHashSet; TakeLast, SkipLast (.NET Core 2.0),
  // Chunk and MaxBy (.NET 6) never reached .NET Framework
  for (const name of ['Append', 'Prepend', 'ToHashSet']) assert.ok(linq.methods.some((m) => m.name === name), name);
  for (const name of ['TakeLast', 'SkipLast', 'Chunk', 'MaxBy']) assert.ok(!linq.methods.some((m) => m.name === name), name);
});

test('Contains on a string goes through LINQ: String has Contains(string) only, Enumerable.Contains<TSource> exists', () => {
  assert.deepEqual(overloads(get('string'), 'Contains'), ['Contains(string)']);
  assert.deepEqual(overloads(get('System.Linq.Enumerable'), 'Contains'), [
    'Contains(this IEnumerable<TSource>, TSource)',
    'Contains(this IEnumerable<TSource>, TSource, IEqualityComparer<TSource>)',
  ]);
});

test('numeric parsing and formatting: int.Parse, int.TryParse with out, Math.Round overloads', () => {
  assert.deepEqual(overloads(get('int'), 'TryParse'), ['TryParse(string, NumberStyles, IFormatProvider, out int)', 'TryParse(string, out int)']);
  assert.deepEqual(overloads(get('System.Math'), 'Round'), [
    'Round(decimal)', 'Round(decimal, MidpointRounding)', 'Round(decimal, int)', 'Round(decimal, int, MidpointRounding)',
    'Round(double)', 'Round(double, MidpointRounding)', 'Round(double, int)', 'Round(double, int, MidpointRounding)',
  ]);
  const maxValue = get('long').fields.find((f) => f.name === 'MaxValue');
  assert.deepEqual(maxValue, { name: 'MaxValue', type: 'long', static: true, readonly: true });
});

test('Convert and Encoding: the page\'s own Base64 example resolves', () => {
  assert.deepEqual(overloads(get('Convert'), 'FromBase64String'), ['FromBase64String(string)']);
  const utf8 = get('System.Text.Encoding').properties.find((p) => p.name === 'UTF8');
  assert.deepEqual(utf8, { name: 'UTF8', type: 'Encoding', static: true, settable: false });
  assert.ok(overloads(get('Encoding'), 'GetString').includes('GetString(byte[])'));
  // guarded by #if FEATURE_ASCII in the reference source: the desktop build defines it
  assert.deepEqual(get('Encoding').properties.filter((p) => p.static).map((p) => p.name).sort(),
    ['ASCII', 'BigEndianUnicode', 'Default', 'UTF32', 'UTF7', 'UTF8', 'Unicode']);
});

test('Array has its generic methods (#if ARRAY_GENERIC_METHODS in the desktop build)', () => {
  const array = get('System.Array');
  assert.deepEqual(array.methods.filter((m) => m.name === 'IndexOf' && m.typeParams !== undefined).map(sig).sort(),
    ['IndexOf(T[], T)', 'IndexOf(T[], T, int)', 'IndexOf(T[], T, int, int)']);
  assert.ok(array.methods.some((m) => m.name === 'Empty' && m.typeParams?.[0] === 'T'));
});

test('Regex: the page\'s Match(...).Groups["maxAge"]?.Value chain has a signature at each step', () => {
  assert.ok(overloads(get('Regex'), 'Match').includes('Match(string, string)'));
  assert.equal(get('Regex').methods.find((m) => sig(m) === 'Match(string, string)')?.static, true);
  assert.equal(get('System.Text.RegularExpressions.Match').properties.find((p) => p.name === 'Groups')?.type, 'GroupCollection');
  const indexers = get('GroupCollection').properties.filter((p) => p.name === 'this');
  assert.deepEqual(indexers.map((p) => [p.type, p.indexParams?.map((q) => q.type)]), [['Group', ['int']], ['Group', ['string']]]);
  assert.equal(get('Group').base, 'Capture');
  assert.equal(get('Capture').properties.find((p) => p.name === 'Value')?.type, 'string');
});

test('Dictionary.TryGetValue has an out parameter; List<T> is IList<T> and has ForEach/ConvertAll', () => {
  assert.deepEqual(overloads(get('Dictionary<TKey, TValue>'), 'TryGetValue'), ['TryGetValue(TKey, out TValue)']);
  assert.deepEqual(overloads(get('IReadOnlyDictionary<TKey, TValue>'), 'TryGetValue'), ['TryGetValue(TKey, out TValue)']);
  const list = get('List<T>');
  assert.ok(list.interfaces?.includes('IList<T>'));
  assert.deepEqual(overloads(list, 'ConvertAll'), ['ConvertAll(Converter<T, TOutput>)']);
  assert.deepEqual(list.methods.find((m) => m.name === 'ConvertAll')?.typeParams, ['TOutput']);
});

test('operators are static op_ methods: DateTime - DateTime is a TimeSpan, JToken has explicit conversions', () => {
  assert.ok(get('DateTime').methods.some((m) => m.name === 'op_Subtraction' && m.returns === 'TimeSpan' && sig(m) === 'op_Subtraction(DateTime, DateTime)'));
  const explicit = get('JToken').methods.filter((m) => m.name === 'op_Explicit').map((m) => m.returns);
  assert.ok(explicit.includes('string') && explicit.includes('int') && explicit.includes('int?'));
  const implicit = get('JToken').methods.filter((m) => m.name === 'op_Implicit').map((m) => m.params[0]?.type);
  assert.ok(implicit.includes('string') && implicit.includes('bool'));
});

test('Newtonsoft.Json: nullable-reference annotations are stripped (C# 7), value-type nullables kept', () => {
  const selectToken = get('JToken').methods.filter((m) => m.name === 'SelectToken').map((m) => `${m.returns} ${sig(m)}`);
  assert.ok(selectToken.includes('JToken SelectToken(string)'));
  const jobjIndexer = get('JObject').properties.find((p) => p.name === 'this' && p.indexParams?.[0]?.type === 'string');
  assert.deepEqual(jobjIndexer?.type, 'JToken');
  assert.equal(jobjIndexer?.settable, true);
  assert.ok(get('JObject').interfaces?.includes('IDictionary<string, JToken>'));
  assert.ok(get('JObject').methods.some((m) => sig(m) === 'TryGetValue(string, out JToken)'));
  assert.equal(get('JToken').methods.find((m) => m.name === 'op_Explicit' && m.returns === 'int?')?.returns, 'int?');
  assert.match(get('JObject').source, /^https:\/\/github\.com\/JamesNK\/Newtonsoft\.Json\/blob\/[0-9a-f]{40}\/Src\/Newtonsoft\.Json\/Linq\/JObject\.cs$/);
});

test('delegates are classes deriving MulticastDelegate with their signature as Invoke', () => {
  const func = get('System.Func<T, TResult>');
  assert.equal(func.base, 'MulticastDelegate');
  assert.deepEqual(func.methods, [{ name: 'Invoke', static: false, params: [{ name: 'arg', type: 'T' }], returns: 'TResult' }]);
});

test('structs, enums and static classes have their kinds; enums list their members', () => {
  assert.equal(get('DateTime').kind, 'struct');
  assert.equal(get('Math').kind, 'static-class');
  assert.equal(get('StringComparison').kind, 'enum');
  assert.deepEqual(get('StringSplitOptions').enumMembers, ['None', 'RemoveEmptyEntries']);
  assert.ok(get('StringComparison').enumMembers?.includes('OrdinalIgnoreCase'));
});
