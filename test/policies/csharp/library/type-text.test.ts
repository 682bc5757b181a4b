// Every TypeText in the table is a C# type name (so the checker can parse it), and every simple name
// in one resolves to a type in the table or a type parameter in scope — or is one of the types the
// allow-list leaves out (then no value of it can be made, and the overload cannot be called).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TYPES, findType, type ParamSig, type TypeSig } from '../../../../policies/csharp/library/index.js';

/** A C# 7 type name: Name(.Name)*<args>? ? [,]* | keyword; returns the names it uses (generic ones
 *  with their arity, 'List<_>'), or throws. */
function parseTypeName(text: string): string[] {
  const toks = text.match(/[A-Za-z_][A-Za-z0-9_]*|[<>,.?[\]]|\S/g) ?? [];
  let i = 0;
  const names: string[] = [];
  const expect = (t: string): void => {
    if (toks[i] !== t) throw new Error(`'${text}': expected '${t}' at token ${i} ('${toks[i] ?? 'end'}')`);
    i++;
  };
  const type = (): void => {
    const id = toks[i];
    if (id === undefined || !/^[A-Za-z_]/.test(id)) throw new Error(`'${text}': expected a name at token ${i}`);
    i++;
    let name = id;
    for (;;) {
      if (toks[i] === '<') {
        i++;
        type();
        let arity = 1;
        while (toks[i] === ',') {
          i++;
          type();
          arity++;
        }
        expect('>');
        name += `<${Array(arity).fill('_').join(', ')}>`;
      }
      if (toks[i] === '.' && /^[A-Za-z_]/.test(toks[i + 1] ?? '')) {
        name += `.${toks[i + 1]!}`;
        i += 2;
        continue;
      }
      break;
    }
    names.push(name);
    if (toks[i] === '?') i++;
    while (toks[i] === '[') {
      i++;
      while (toks[i] === ',') i++;
      expect(']');
    }
  };
  type();
  if (i !== toks.length) throw new Error(`'${text}': unexpected '${toks[i]}' at token ${i}`);
  return names;
}

interface Use {
  text: string;
  scope: readonly string[];
  where: string;
}

function uses(t: TypeSig): Use[] {
  const out: Use[] = [];
  const scope = t.typeParams ?? [];
  const params = (ps: readonly ParamSig[], s: readonly string[], where: string): void => {
    for (const p of ps) out.push({ text: p.type, scope: s, where: `${where} ${p.name}` });
  };
  t.constructors.forEach((c, n) => params(c, scope, `${t.fullName} ctor#${n}`));
  for (const m of t.methods) {
    const s = [...scope, ...(m.typeParams ?? [])];
    out.push({ text: m.returns, scope: s, where: `${t.fullName}.${m.name} returns` });
    params(m.params, s, `${t.fullName}.${m.name}`);
  }
  for (const p of t.properties) {
    out.push({ text: p.type, scope, where: `${t.fullName}.${p.name}` });
    params(p.indexParams ?? [], scope, `${t.fullName}.${p.name}`);
  }
  for (const f of t.fields) out.push({ text: f.type, scope, where: `${t.fullName}.${f.name}` });
  for (const b of [...(t.base !== undefined ? [t.base] : []), ...(t.interfaces ?? [])]) out.push({ text: b, scope, where: `${t.fullName} base` });
  return out;
}

test('every TypeText in the table parses as a C# type name', () => {
  const bad: string[] = [];
  for (const t of TYPES) {
    for (const u of uses(t)) {
      try {
        parseTypeName(u.text);
      } catch (e) {
        bad.push(`${u.where}: ${(e as Error).message}`);
      }
    }
  }
  assert.deepEqual(bad, []);
});

test('the parser for this test refuses what is not a type name', () => {
  for (const text of ['', 'List<', 'int[', 'Func<int,>', 'a b', '1x']) assert.throws(() => parseTypeName(text), text);
  assert.deepEqual(parseTypeName('Dictionary<TKey, TValue>.KeyCollection'), ['TKey', 'TValue', 'Dictionary<_, _>.KeyCollection']);
  assert.deepEqual(parseTypeName('IEnumerable<KeyValuePair<string, int?>>[]'), ['string', 'int', 'KeyValuePair<_, _>', 'IEnumerable<_>']);
});

/** Names in signatures of allowed members that are outside the table: the allow-list leaves them out. */
const OUTSIDE = new Set([
  'AsnEncodedData', 'AssemblyName', 'Calendar', 'IComparer', 'IDictionary', 'CharEnumerator', 'CompareOptions', 'CspParameters', 'CultureInfo',
  'CustomAttributeBuilder', 'DateFormatHandling', 'DateTimeZoneHandling', 'DaylightTime', 'Decoder', 'DecoderFallback',
  'Encoder', 'EncoderFallback', 'EncodingInfo', 'EncodingProvider', 'ICryptoTransform', 'IntPtr', 'JTokenEqualityComparer',
  'JsonCloneSettings', 'JsonConverter', 'JsonLoadSettings', 'JsonMergeSettings', 'JsonReader', 'JsonSelectSettings',
  'JsonSerializer', 'JsonSerializerSettings', 'JsonWriter', 'KeySizes', 'MethodBase', 'OidGroup', 'RSAEncryptionPaddingMode',
  'RSAParameters', 'RSASignaturePaddingMode', 'ReadOnlyCollection', 'ReaderOptions', 'RegexCompilationInfo', 'SecureString',
  'SerializationInfo', 'Stream', 'StreamingContext', 'StringEscapeHandling', 'Task', 'TextReader', 'TextWriter',
  'TimeSpanStyles', 'Type', 'UriComponents', 'UriFormat', 'UriHostNameType', 'UriKind', 'X500DistinguishedNameFlags',
  'X509ExtensionCollection', 'X509KeyStorageFlags', 'XStreamingElement', 'XmlDocument', 'XmlNode', 'XmlReader', 'XmlWriter',
  // the checker's own business, not a type: a delegate's base
  'MulticastDelegate',
]);

test('every simple name in an allowed signature resolves, or is one the allow-list leaves out', () => {
  const unresolved = new Map<string, string>();
  for (const t of TYPES) {
    if (t.apim.members !== undefined && t.apim.members.length === 0) continue;
    for (const u of uses(t)) {
      if (u.where.endsWith(' base')) continue; // interfaces such as ISerializable are not called through
      for (const name of parseTypeName(u.text)) {
        if (u.scope.includes(name) || name === 'void') continue;
        const bare = name.replace(/<.*$/, '');
        if (findType(name) === undefined && !OUTSIDE.has(bare) && !unresolved.has(name)) unresolved.set(name, u.where);
      }
    }
  }
  assert.deepEqual([...unresolved], []);
  // and the list is not stale: each name in OUTSIDE really is outside the table
  for (const name of OUTSIDE) assert.equal(findType(name), undefined, name);
});
