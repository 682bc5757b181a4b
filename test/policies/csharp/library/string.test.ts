// Pins .NET Framework 4.8's String overloads (from the reference source) that .NET Core changed:
// APIM compiles against .NET Framework, so these are the overloads a policy expression can call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findType, type MethodSig, type TypeSig } from '../../../../policies/csharp/library/index.js';

function overloads(t: TypeSig, name: string): string[] {
  return t.methods
    .filter((m) => m.name === name)
    .map((m: MethodSig) => `${m.static ? 'static ' : ''}${m.name}(${m.params.map((p) => `${p.modifier !== undefined ? `${p.modifier} ` : ''}${p.type}`).join(', ')})`)
    .sort();
}

const str = (): TypeSig => {
  const t = findType('System.String');
  assert.ok(t, 'System.String is in the table');
  return t;
};

test('String.Split has exactly the six .NET Framework overloads (no Split(string), no Split(char, int))', () => {
  assert.deepEqual(overloads(str(), 'Split'), [
    'Split(char[], int)',
    'Split(char[], int, StringSplitOptions)',
    'Split(char[], StringSplitOptions)',
    'Split(params char[])',
    'Split(string[], int, StringSplitOptions)',
    'Split(string[], StringSplitOptions)',
  ].sort());
});

test('String.Replace has no StringComparison overload', () => {
  assert.deepEqual(overloads(str(), 'Replace'), ['Replace(char, char)', 'Replace(string, string)'].sort());
});

test('String.StartsWith and EndsWith have no char overload', () => {
  assert.deepEqual(overloads(str(), 'StartsWith'), [
    'StartsWith(string)',
    'StartsWith(string, StringComparison)',
    'StartsWith(string, bool, CultureInfo)',
  ].sort());
  assert.ok(!overloads(str(), 'EndsWith').some((o) => o.includes('char')));
});

test('string.Join has no char separator overload', () => {
  assert.deepEqual(overloads(str(), 'Join'), [
    'static Join(string, IEnumerable<string>)',
    'static Join(string, IEnumerable<T>)',
    'static Join(string, params object[])',
    'static Join(string, params string[])',
    'static Join(string, string[], int, int)',
  ].sort());
});

test('String.Contains takes a string only; Trim takes params char[]; String is IEnumerable<char>', () => {
  assert.deepEqual(overloads(str(), 'Contains'), ['Contains(string)'].sort());
  assert.deepEqual(overloads(str(), 'Trim'), ['Trim()', 'Trim(params char[])'].sort());
  assert.ok(str().interfaces?.includes('IEnumerable<char>'));
});

test('String is found by full name, simple name and alias; Length and the indexer are read-only', () => {
  assert.equal(findType('string'), str());
  assert.equal(findType('String'), str());
  const length = str().properties.find((p) => p.name === 'Length');
  assert.deepEqual(length, { name: 'Length', type: 'int', static: false, settable: false });
  const indexer = str().properties.find((p) => p.name === 'this');
  assert.equal(indexer?.type, 'char');
  assert.deepEqual(indexer?.indexParams, [{ name: 'index', type: 'int' }]);
});

test('every String entry names its reference-source file', () => {
  assert.match(str().source, /^https:\/\/github\.com\/microsoft\/referencesource\/blob\/[0-9a-f]{40}\/mscorlib\/system\/string\.cs$/);
});
