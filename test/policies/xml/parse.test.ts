import { test } from 'node:test';
import assert from 'node:assert/strict';
import { XMLValidator } from 'fast-xml-parser';
import {
  parsePolicyXml,
  parsePolicyXmlDocument,
  writePolicyXml,
  PolicyXmlError,
  attr,
  childElements,
  type XmlElement,
  type XmlExpression,
  type XmlNode,
} from '../../../policies/xml/index.js';

/** Wraps one inbound element in a policy document. */
const doc = (inner: string): string => `<policies>\n  <inbound>\n    ${inner}\n  </inbound>\n</policies>`;
const inbound = (root: XmlElement): XmlElement => childElements(root, 'inbound')[0] as XmlElement;
const first = (root: XmlElement): XmlElement => childElements(inbound(root))[0] as XmlElement;
const textOf = (el: XmlElement): XmlNode[] => el.children.filter((c) => !(c.kind === 'text' && typeof c.value === 'string' && c.value.trim() === ''));

function attrExpr(xml: string, name: string): XmlExpression {
  const v = attr(first(parsePolicyXml(doc(xml))), name);
  assert.ok(typeof v === 'object', `attribute ${name} is not an expression: ${String(v)}`);
  return v;
}

/** Parses, writes in both forms, parses again: the expression must come back unchanged. */
function roundTrips(xml: string): void {
  const root = parsePolicyXml(xml);
  for (const form of ['xml', 'raw'] as const) {
    const again = parsePolicyXml(writePolicyXml(root, { form }));
    assert.deepEqual(strip(again), strip(root), `${form} form`);
  }
  assert.equal(XMLValidator.validate(writePolicyXml(root)), true);
}
function strip(n: XmlNode): unknown {
  if (n.kind !== 'element') return { kind: n.kind, value: n.value };
  return { name: n.name, attributes: n.attributes, children: n.children.filter((c) => !(c.kind === 'text' && typeof c.value === 'string' && c.value.trim() === '')).map(strip) };
}

const cases: Array<[string, string]> = [
  ['regular string with escapes and brackets', String.raw`@(context.Request.Headers.GetValueOrDefault("X-A", "a\")b\"(") == "(")`],
  ['verbatim string with "" and a backslash at the end', String.raw`@(@"C:\dir\" + @"say ""hi"")" + "x")`],
  ['interpolated string with nested braces and strings in holes', '@($"x{(context.Variables.ContainsKey("a") ? "}" : $"{context.RequestId}")}y{{z}}")'],
  ['$@ verbatim interpolated', '@($@"path ""{context.Variables["v"]}"" done)")'],
  ['@$ verbatim interpolated', '@(@$"{"}"}""(")'],
  ['char literals: quote, escaped apostrophe, bracket', String.raw`@(context.Request.Url.Path.Split('"')[0].Trim('\'') + ')' + '\u0041')`],
  ['block comment holding quotes and brackets', '@(/* " ) } */ context.RequestId /* \' */)'],
  ['generic method and && in an attribute', '@(context.Request.Body.As<JObject>(preserveContent: true) != null && true)'],
];

for (const [label, code] of cases) {
  test(`raw attribute expression: ${label}`, () => {
    const e = attrExpr(`<set-variable name="v" value="${code}" />`, 'value');
    assert.equal(e.code, code);
    assert.equal(e.block, false);
    roundTrips(doc(`<set-variable name="v" value="${code}" />`));
  });
  test(`raw text expression: ${label}`, () => {
    const root = parsePolicyXml(doc(`<set-body>${code}</set-body>`));
    const [t] = textOf(first(root));
    assert.ok(t?.kind === 'text' && typeof t.value === 'object');
    assert.equal(t.value.code, code);
    roundTrips(doc(`<set-body>${code}</set-body>`));
  });
}

test('multi-line @{} block in an attribute keeps its newlines and // comments', () => {
  const code = '@{\n    // a comment with " and ) and }\n    var x = "a"; /* } */\n    return x;\n}';
  const xml = doc(`<set-variable name="v" value="${code}" />`);
  const e = attrExpr(`<set-variable name="v" value="${code}" />`, 'value');
  assert.equal(e.code, code);
  assert.equal(e.block, true);
  const wellFormed = writePolicyXml(parsePolicyXml(xml));
  assert.match(wellFormed, /value="@\{&#10; {4}\/\/ a comment with &quot; and \) and \}&#10;/);
  roundTrips(xml);
});

test('a multi-line text block with < and && keeps its bytes', () => {
  const code = '@{\n  var body = context.Request.Body.As<JObject>();\n  return body != null && body["a"] != null ? "<ok>" : "no";\n}';
  const root = parsePolicyXml(doc(`<set-body>${code}</set-body>`));
  const [t] = textOf(first(root));
  assert.ok(t?.kind === 'text' && typeof t.value === 'object');
  assert.equal(t.value.code, code);
  assert.equal(t.value.block, true);
  assert.match(writePolicyXml(root), /<set-body>@\{\n {2}var body = context\.Request\.Body\.As&lt;JObject&gt;\(\);/);
  assert.ok(writePolicyXml(root, { form: 'raw' }).includes(code));
});

test('the well-formed form is entity-decoded, including a string that holds a bracket', () => {
  const e = attrExpr('<when condition="@(context.Request.Headers.GetValueOrDefault(&quot;A&quot;,&quot;&quot;) == &quot;)&quot; &amp;&amp; 1 &lt; 2)" />', 'condition');
  assert.equal(e.code, '@(context.Request.Headers.GetValueOrDefault("A","") == ")" && 1 < 2)');
  const root = parsePolicyXml(doc('<set-body>@(context.Request.Body.As&lt;JObject&gt;() != null &amp;&amp; "&lt;")</set-body>'));
  const [t] = textOf(first(root));
  assert.ok(t?.kind === 'text' && typeof t.value === 'object');
  assert.equal(t.value.code, '@(context.Request.Body.As<JObject>() != null && "<")');
});

test('single-quoted attributes hold expressions with double quotes', () => {
  const e = attrExpr(`<when condition='@(context.Request.Method == "GET")' />`, 'condition');
  assert.equal(e.code, '@(context.Request.Method == "GET")');
});

test('CDATA, comments, named values and liquid templates are kept as written', () => {
  const xml = doc(
    [
      '<!-- a comment with @( and " -->',
      '<set-header name="{{header-name}}" exists-action="override"><value>{{secret-value}}</value></set-header>',
      '<set-body template="liquid">{% if context.Request.Headers["A"] %}{{body.name}} &amp; co{% endif %}</set-body>',
      '<set-body><![CDATA[<x a="1">a && b</x>]]></set-body>',
    ].join('\n    '),
  );
  const root = parsePolicyXml(xml);
  const [comment, header, liquid, cdata] = textOf(inbound(root));
  assert.ok(comment?.kind === 'comment');
  assert.equal(comment.value, ' a comment with @( and " ');
  assert.ok(header?.kind === 'element');
  assert.equal(attr(header, 'name'), '{{header-name}}');
  assert.deepEqual(textOf(childElements(header, 'value')[0] as XmlElement).map((n) => n.kind === 'text' && n.value), ['{{secret-value}}']);
  assert.ok(liquid?.kind === 'element');
  assert.deepEqual(textOf(liquid).map((n) => n.kind === 'text' && n.value), ['{% if context.Request.Headers["A"] %}{{body.name}} & co{% endif %}']);
  assert.ok(cdata?.kind === 'element');
  assert.deepEqual(textOf(cdata).map((n) => n.kind === 'cdata' && n.value), ['<x a="1">a && b</x>']);
  roundTrips(xml);
});

test('an expression amid other text is plain text, not an expression', () => {
  const root = parsePolicyXml(doc('<value>Bearer @(context.RequestId)</value>'));
  assert.deepEqual(textOf(first(root)).map((n) => n.kind === 'text' && n.value), ['Bearer @(context.RequestId)']);
});

test('every element has its line and column, also after multi-line expressions', () => {
  const xml = '<policies>\n  <inbound>\n    <set-variable name="a" value="@{\n  return "x";\n}" /><base />\n    <choose>\n      <when condition="@(true)">\n        <set-body>@("<")</set-body>\n      </when>\n    </choose>\n  </inbound>\n</policies>';
  const root = parsePolicyXml(xml);
  assert.deepEqual(root.loc, { line: 1, column: 1 });
  const [setVar, base, choose] = childElements(inbound(root));
  assert.deepEqual(setVar?.loc, { line: 3, column: 5 });
  assert.deepEqual(base?.loc, { line: 5, column: 6 });
  assert.deepEqual(choose?.loc, { line: 6, column: 5 });
  const when = childElements(choose as XmlElement)[0] as XmlElement;
  assert.deepEqual(when.loc, { line: 7, column: 7 });
  const body = childElements(when)[0] as XmlElement;
  assert.deepEqual(body.loc, { line: 8, column: 9 });
  assert.deepEqual(body.children[0]?.loc, { line: 8, column: 19 });
});

test('comments around the root are kept by the document parser', () => {
  const d = parsePolicyXmlDocument('<?xml version="1.0"?>\n<!-- head -->\n<fragment><base /></fragment>\n<!-- tail -->\n');
  assert.equal(d.root.name, 'fragment');
  assert.deepEqual(d.leading.map((c) => c.value), [' head ']);
  assert.deepEqual(d.trailing.map((c) => c.value), [' tail ']);
  assert.equal(writePolicyXml(d), '<!-- head -->\n<fragment>\n    <base />\n</fragment>\n<!-- tail -->\n');
});

function throwsAt(xml: string, code: string, line: number, column: number, message?: RegExp): void {
  assert.throws(
    () => parsePolicyXml(xml),
    (err: unknown) => {
      assert.ok(err instanceof PolicyXmlError, String(err));
      assert.equal(err.code, code, err.message);
      assert.deepEqual([err.line, err.column], [line, column], err.message);
      assert.ok(err.message.includes(`line ${line}, column ${column}`));
      if (message) assert.match(err.message, message);
      return true;
    },
  );
}

test('errors: unterminated expression in an attribute points at its @', () => {
  throwsAt('<policies>\n  <inbound>\n    <when condition="@(a(")">\n    </when>\n  </inbound>\n</policies>', 'ERR_XML_UNTERMINATED_EXPRESSION', 3, 22);
});

test('errors: unterminated @{ block in text points at its @', () => {
  throwsAt('<policies>\n<inbound>\n<set-body>  @{ return "x"; </set-body>\n</inbound>\n</policies>', 'ERR_XML_UNTERMINATED_EXPRESSION', 3, 13, /never closes/);
});

test('errors: an unterminated C# string inside an expression', () => {
  throwsAt('<policies><inbound><set-body>@("abc)</set-body></inbound></policies>', 'ERR_XML_UNTERMINATED_EXPRESSION', 1, 30, /string/);
});

test('errors: a mismatched bracket in a text expression points at the bracket', () => {
  throwsAt('<policies>\n <inbound>\n  <value>@(a])</value>\n </inbound>\n</policies>', 'ERR_XML_EXPRESSION_BRACKET', 3, 13);
});

test('errors: mismatched tags', () => {
  throwsAt('<policies>\n  <inbound>\n    <base />\n  </outbound>\n</policies>', 'ERR_XML_MALFORMED', 4, 3, /inbound/);
});

test('errors: a truncated document names the unclosed elements and where the innermost opens (regression: "Invalid \'[ ... ]\' found" at 1:1)', () => {
  throwsAt('<policies>\n    <inbound>\n        <base />\n', 'ERR_XML_MALFORMED', 2, 5, /^the document ends before <inbound> is closed \(unclosed: <policies> <inbound>\)/);
  throwsAt('<policies>\n  <inbound>\n    <choose>\n      <when condition="@(true)">\n        <base />\n      </when>\n      <when condition="@(false)">\n', 'ERR_XML_MALFORMED', 7, 7, /unclosed: <policies> <inbound> <choose> <when>/);
});

test('errors: an unclosed comment', () => {
  throwsAt('<policies>\n  <!-- never closed\n</policies>', 'ERR_XML_MALFORMED', 2, 3, /comment/);
});

test('errors: the root must be policies or fragment', () => {
  throwsAt('\n  <policy><inbound /></policy>', 'ERR_XML_ROOT', 2, 3, /<policy>/);
  throwsAt('<!-- nothing -->', 'ERR_XML_ROOT', 1, 1);
});

test('errors: private-use characters are refused, not silently mangled', () => {
  throwsAt('<policies>\n<inbound>\ue000</inbound></policies>', 'ERR_XML_RESERVED_CHARACTER', 2, 10);
});

test('errors: a DOCTYPE (entity declarations, XML bombs) is refused', () => {
  throwsAt('<?xml version="1.0"?>\n<!DOCTYPE policies [<!ENTITY a "aaaa">]>\n<policies>&a;</policies>', 'ERR_XML_MALFORMED', 2, 1, /DOCTYPE/);
});

test('a plain attribute that starts like an expression but is not one is an error, not a guess', () => {
  throwsAt('<policies>\n  <inbound a="@(x) tail" />\n</policies>', 'ERR_XML_MALFORMED', 2, 19, /closing "/);
});

test('text locations are not fooled by an attribute with the same value', () => {
  const root = parsePolicyXml('<policies>\n  <inbound>\n    <key id="abc">abc</key>\n  </inbound>\n</policies>');
  const key = first(root);
  assert.deepEqual(key.children[0]?.loc, { line: 3, column: 19 });
});
