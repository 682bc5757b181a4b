// The checked-in table is what the generator makes from the source snapshots (fastify-style
// "generated file is current" check). The snapshots are not part of this repository; the test runs
// where they are (the paths `fetch` brings them to, or CSHARP_TYPES_REFERENCESOURCE /
// CSHARP_TYPES_NEWTONSOFT) and is skipped elsewhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { NEWTONSOFT_REF, OUT, generate, openRepo, render, stripNullableReferences } from '../../scripts/csharp-types/generate.js';
import { DESKTOP_SYMBOLS, extractTypes, preprocess } from '../../scripts/csharp-types/extract.js';

const RS = process.env.CSHARP_TYPES_REFERENCESOURCE ?? '/work/.mirror/microsoft+referencesource/repo';
const NJ = process.env.CSHARP_TYPES_NEWTONSOFT ?? '/work/.mirror/JamesNK+Newtonsoft.Json/repo';
const haveSources = existsSync(RS) && existsSync(NJ);

test('policies/csharp/library/generated/framework.ts is what the generator makes from the snapshots', { skip: haveSources ? false : 'source snapshots not on this machine' }, () => {
  const text = render(generate({
    referencesource: openRepo(RS, 'https://github.com/microsoft/referencesource'),
    newtonsoft: openRepo(NJ, 'https://github.com/JamesNK/Newtonsoft.Json', NEWTONSOFT_REF),
  }));
  assert.ok(text === readFileSync(OUT, 'utf8'), 'generated/framework.ts is not current: run npx tsx scripts/csharp-types/generate.ts');
});

test('extractor: public members only, #if branches of the desktop build, params/out/optional/this, operators, nested types', () => {
  const src = `
namespace System.Demo {
  public sealed class Box<T> : IEquatable<Box<T>> {
    public Box(T value) : this(value, 0) { }
    private Box(T value, int n) { }
    public static readonly Box<T> Empty = null;
    public const int Max = 1, Min = 0;
    public int Count { get { return 0; } private set { } }
    public T this[int index] { get { return default(T); } set { } }
    public string[] Split(params char[] separator) { return null; }
#if FEATURE_CORECLR
    public string[] Split(char separator, int count) { return null; }
#else
    public bool TryGet(out T value, int start = 0, string name = "x") { value = default(T); return true; }
#endif
    internal void Hidden() { }
    bool IEquatable<Box<T>>.Equals(Box<T> other) { return false; }
    public static bool operator ==(Box<T> a, Box<T> b) { return true; }
    public static explicit operator T(Box<T> b) { return default(T); }
    public Inner Make() { return null; }
    public class Inner { public int X; }
  }
  public static class BoxExtensions {
    public static Box<TSource> Boxed<TSource>(this TSource value) where TSource : class { return null; }
  }
  public delegate TResult Maker<in T, out TResult>(T arg);
}`;
  const types = extractTypes(preprocess(src, DESKTOP_SYMBOLS), { source: 'x' });
  assert.deepEqual(types.map((t) => t.fullName), ['System.Demo.Box<T>', 'System.Demo.Box<T>.Inner', 'System.Demo.BoxExtensions', 'System.Demo.Maker<T, TResult>']);
  const box = types[0]!;
  assert.deepEqual(box.constructors, [[{ name: 'value', type: 'T' }]]);
  assert.deepEqual(box.fields.map((f) => `${f.name}:${f.readonly}`), ['Empty:true', 'Max:true', 'Min:true']);
  assert.deepEqual(box.properties.map((p) => `${p.name}:${p.type}:${p.settable}`), ['Count:int:false', 'this:T:true']);
  assert.deepEqual(box.methods.map((m) => `${m.name}(${m.params.map((p) => `${p.modifier ?? ''} ${p.type}${p.default !== undefined ? `=${p.default}` : ''}`.trim()).join(',')})`), [
    'Split(params char[])', 'TryGet(out T,int=0,string="x")', 'op_Equality(Box<T>,Box<T>)', 'op_Explicit(Box<T>)', 'Make()',
  ]);
  assert.equal(box.methods.find((m) => m.name === 'Make')?.returns, 'Box<T>.Inner');
  const ext = types[2]!.methods[0]!;
  assert.deepEqual([ext.extension, ext.typeParams, types[2]!.kind], [true, ['TSource'], 'static-class']);
  assert.deepEqual(types[3]!.methods[0], { name: 'Invoke', static: false, params: [{ name: 'arg', type: 'T' }], returns: 'TResult' });
});

test('nullable reference annotations are stripped, value-type nullables kept', () => {
  const isValue = (n: string): boolean => ['int', 'DateTime'].includes(n);
  assert.equal(stripNullableReferences('JToken?', isValue), 'JToken');
  assert.equal(stripNullableReferences('IDictionary<string, JToken?>?', isValue), 'IDictionary<string, JToken>');
  assert.equal(stripNullableReferences('int?', isValue), 'int?');
  assert.equal(stripNullableReferences('DateTime?[]', isValue), 'DateTime?[]');
  assert.equal(stripNullableReferences('object?[]?', isValue), 'object[]');
});
