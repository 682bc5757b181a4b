import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scanExpression, parsePolicyXml, writePolicyXml, attr, childElements, type XmlElement } from '../../../policies/xml/index.js';
import { csharpLiterals, maskPolicyXml, ScanFailure } from '../../../policies/xml/scan.js';

test('scanExpression returns the offset after the closing bracket', () => {
  const src = 'x="@(a(b)[c]{d})" rest';
  assert.equal(scanExpression(src, 3), 16);
  assert.equal(src.slice(3, scanExpression(src, 3)), '@(a(b)[c]{d})');
  assert.equal(scanExpression('@{ return "}"; }tail', 0), 16);
  for (const whole of ['@($"{x:yyyy-MM-dd}")', '@($"{{not a hole}} {(y ? "}" : "{")}")', "@(x.Split(')')[0])"]) {
    assert.equal(scanExpression(`${whole}")`, 0), whole.length, whole);
  }
});

test('scanExpression: unterminated and mismatched input gives a coded failure at a known offset', () => {
  const expectFailure = (src: string, code: string, offset: number) =>
    assert.throws(() => scanExpression(src, 0), (e: unknown) => e instanceof ScanFailure && e.code === code && e.offset === offset);
  expectFailure('@(a', 'ERR_XML_UNTERMINATED_EXPRESSION', 0);
  expectFailure('@("a)', 'ERR_XML_UNTERMINATED_EXPRESSION', 0);
  expectFailure('@(/* a)', 'ERR_XML_UNTERMINATED_EXPRESSION', 0);
  expectFailure('@(a])', 'ERR_XML_EXPRESSION_BRACKET', 3);
  expectFailure('x', 'ERR_XML_UNTERMINATED_EXPRESSION', 0);
  // lenient: a stray closer is skipped or closes the nearest matching bracket
  assert.equal(scanExpression('@{ a[ }', 0, { lenient: true }), 7);
});

test('csharpLiterals lists strings, chars and comments in order', () => {
  const code = '@(a("x\\"y") + @"p""q" + $"{b["k"]}" + \'c\' /* z */ // end\n)';
  const kinds = csharpLiterals(code).map((l) => [l.kind, code.slice(l.start, l.end)]);
  assert.deepEqual(kinds, [
    ['string', '"x\\"y"'],
    ['string', '@"p""q"'],
    ['string', '$"{b["k"]}"'],
    ['char', "'c'"],
    ['comment', '/* z */'],
    ['comment', '// end'],
  ]);
});

test('masking keeps every offset and line break', () => {
  const src = '<policies a="@{\n  return "x";\n}">\n  <b>@(1 < 2 && true)</b>\n</policies>';
  const m = maskPolicyXml(src);
  assert.equal(m.masked.length, src.length);
  assert.deepEqual(m.masked.split('\n').map((l) => l.length), src.split('\n').map((l) => l.length));
  assert.deepEqual(m.expressions.map((e) => [e.code, e.form, e.in]), [
    ['@{\n  return "x";\n}', 'raw', 'attribute'],
    ['@(1 < 2 && true)', 'raw', 'text'],
  ]);
  assert.deepEqual(m.elementStarts, [0, src.indexOf('<b>')]);
  assert.doesNotMatch(m.masked, /return|&&/);
});

/** A small deterministic generator of awkward C# expressions. */
function generator(seed: number) {
  let s = seed;
  const rnd = (n: number) => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s % n;
  };
  const pieces = [
    () => 'context.Request.Headers.GetValueOrDefault("Authorization", "")',
    () => '"a \\" ) } ] \\\\"',
    () => '@"C:\\path\\ ""quoted"" )"',
    () => "'\"'",
    () => "'\\''",
    () => "')'",
    () => '/* ) " } */',
    () => '$"{context.RequestId}-{{literal}}-{(true ? "}" : "{")}"',
    () => '$@"{context.Variables["v"]} ""x"""',
    () => '@$"{"}"}"',
    () => 'context.Request.Body.As<JObject>()',
    () => '1 < 2 && 3 > 2',
    () => '{{named-value}}',
  ];
  const expr = (depth: number): string => {
    const n = 1 + rnd(3);
    const parts: string[] = [];
    for (let i = 0; i < n; i++) {
      parts.push(depth > 0 && rnd(3) === 0 ? `(${expr(depth - 1)})` : (pieces[rnd(pieces.length)] as () => string)());
    }
    return parts.join(' + ');
  };
  return () => (rnd(2) === 0 ? `@(${expr(2)})` : `@{\n    // comment with " and )\n    return ${expr(2)};\n}`);
}

test('generated awkward expressions survive parse and write in attributes and text, both forms', () => {
  const next = generator(42);
  for (let i = 0; i < 200; i++) {
    const code = next();
    const raw = `<policies>\n  <inbound>\n    <set-variable name="v" value="${code}" />\n    <set-body>${code}</set-body>\n  </inbound>\n</policies>`;
    const root = parsePolicyXml(raw);
    const inbound = childElements(root, 'inbound')[0] as XmlElement;
    const [setVar, setBody] = childElements(inbound);
    assert.deepEqual(attr(setVar as XmlElement, 'value'), { kind: 'expression', code, block: code.startsWith('@{') }, code);
    assert.deepEqual((setBody as XmlElement).children, [{ kind: 'text', value: { kind: 'expression', code, block: code.startsWith('@{') }, loc: (setBody as XmlElement).children[0]?.loc }]);
    for (const form of ['xml', 'raw'] as const) {
      const again = parsePolicyXml(writePolicyXml(root, { form }));
      const [v2, b2] = childElements(childElements(again, 'inbound')[0] as XmlElement);
      assert.deepEqual(attr(v2 as XmlElement, 'value'), attr(setVar as XmlElement, 'value'), `${form}: ${code}`);
      assert.deepEqual((b2 as XmlElement).children.map((c) => c.kind === 'text' && c.value), [{ kind: 'expression', code, block: code.startsWith('@{') }]);
    }
  }
});
