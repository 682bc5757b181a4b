/**
 * Round trip over the fixture documents in test/fixtures/policies (written from the APIM policy
 * reference, in APIM's raw form): parse → typed model → XML tree is semantically the parsed tree
 * (expressions byte for byte), the model round-trips deep-equal, and every element the model
 * knows is read as its typed form.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePolicyXml } from '../../../policies/xml/parse.js';
import { buildPolicy, readPolicy } from '../../../policies/model/codec.js';
import { semanticEqual } from '../../../policies/model/equal.js';
import { ELEMENT_SPECS } from '../../../policies/elements/registry.js';
import type { XmlNode } from '../../../policies/xml/tree.js';

const dir = join(import.meta.dirname, '..', '..', 'fixtures', 'policies');
const files = readdirSync(dir).filter((f) => f.endsWith('.xml')).sort();
/** Fixtures that deliberately hold a known element in a shape the model keeps generic. */
const GENERIC_ON_PURPOSE: Record<string, string[]> = {};

function collect(v: unknown, typed: Set<string>, generic: string[]): void {
  if (Array.isArray(v)) return v.forEach((x) => collect(x, typed, generic));
  if (typeof v !== 'object' || v === null) return;
  const o = v as { kind?: string; node?: XmlNode };
  if (o.kind === 'xml') {
    if (o.node?.kind === 'element' && ELEMENT_SPECS.has(o.node.name)) generic.push(o.node.name);
    return;
  }
  if (typeof o.kind === 'string' && ELEMENT_SPECS.has(o.kind)) typed.add(o.kind);
  Object.values(o).forEach((x) => collect(x, typed, generic));
}

test('at least 40 fixture documents', () => {
  assert.ok(files.length >= 40, `${files.length} fixtures`);
});

const allTyped = new Set<string>();
for (const f of files) {
  test(`fixture ${f}: read → build is the parsed tree; the model round-trips`, () => {
    const tree = parsePolicyXml(readFileSync(join(dir, f), 'utf8'));
    const model = readPolicy(tree);
    assert.ok(semanticEqual(buildPolicy(model), tree));
    assert.deepStrictEqual(readPolicy(buildPolicy(model)), model);
    const generic: string[] = [];
    collect(model, allTyped, generic);
    assert.deepEqual(generic, GENERIC_ON_PURPOSE[f] ?? [], 'known elements read as typed');
  });
}

test('the fixtures cover every typed element', () => {
  assert.deepEqual([...ELEMENT_SPECS.keys()].filter((k) => !allTyped.has(k)), []);
});

test('awkward expression forms are read byte for byte (strings, chars, comments, verbatim, interpolated, entities)', () => {
  const read = (f: string) => {
    const m = readPolicy(parsePolicyXml(readFileSync(join(dir, f), 'utf8')));
    assert.ok(m.kind === 'policies');
    return m.inbound ?? [];
  };
  const codes = (f: string) =>
    read(f).flatMap((n) =>
      n.kind === 'set-variable' && typeof n.value === 'object' ? [n.value.code] : n.kind === 'set-header' && n.values ? n.values.map((v) => (typeof v === 'object' ? v.code : v)) : [],
    );
  assert.deepEqual(codes('45-awkward-strings-and-comments.xml'), [
    `@("a \\") b" + ')' + "/* not a comment */" + "// nor this")`,
    '@(/* ) */ context.Request.Method // trailing )\n        )',
    `@(context.Request.Headers.GetValueOrDefault("X", "").IndexOf('<') >= 0 && true ? "lt" : "none")`,
  ]);
  assert.deepEqual(codes('48-well-formed-escaped.xml'), ['@(context.Request.Headers.ContainsKey("Authorization") && 1 < 2)', 'a & b < c']);
  assert.deepEqual(codes('29-set-variable.xml'), [
    '@(context.Request.Headers.GetValueOrDefault("User-Agent","").Contains("iPad") || context.Request.Headers.GetValueOrDefault("User-Agent","").Contains("iPhone"))',
    '@(@"C:\\path\\with ""quotes""")',
    '@($"{context.Request.Method} {context.Request.Url.Path} \\"{context.RequestId}\\"")',
  ]);
});
