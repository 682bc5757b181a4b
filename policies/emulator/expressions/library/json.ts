/**
 * Newtonsoft.Json: JObject/JArray/JToken statics, JsonConvert, and the JToken members that
 * change a token in place (their implementations live on the JToken host object).
 * https://github.com/JamesNK/Newtonsoft.Json/tree/master/Src/Newtonsoft.Json/Linq
 */
import { step } from '../budget.js';
import { CsDelegate, baseName, str, typeName, unsupported } from '../core.js';
import { JToken, jsonObject, jsonText, parseJson, setJson, toJson, type Json } from '../json.js';
import { CsDateTime, CsDictionary, CsException, CsRecord, MultiDict } from '../values.js';
import type { Impl, TypeLibrary } from './types.js';

const SOURCE = 'https://github.com/JamesNK/Newtonsoft.Json/tree/master/Src/Newtonsoft.Json/Linq';

function jsonFrom(entries: [string, Json][]): Json {
  const o = jsonObject();
  for (const [k, v] of entries) setJson(o, k, v);
  return o;
}

/** A value as Newtonsoft would serialize it: JSON, lists, dictionaries, headers, dates, primitives. */
function serializable(v: unknown): Json {
  step();
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (v instanceof JToken) return v.value;
  if (Array.isArray(v)) return v.map(serializable);
  if (v instanceof CsDictionary) return jsonFrom([...v.map].map(([k, x]) => [k, serializable(x)]));
  if (v instanceof MultiDict) return jsonFrom(v.entries());
  if (v instanceof CsDateTime) return new Date(v.ms).toISOString().replace('.000Z', 'Z');
  if (v instanceof CsRecord && v.typeName === '<anonymous>') return jsonFrom(v.members().map(([k, x]) => [k, serializable(x)]));
  if (v instanceof CsDelegate) return unsupported('JsonConvert.SerializeObject of a lambda');
  return unsupported(`JsonConvert.SerializeObject of ${typeName(v)}`);
}

const parse: Impl = (_self, args) => parseJson(str(args[0]));

/** Delegates to the JToken host object's own member (where the JSON model lives). */
const onToken =
  (name: string): Impl =>
  (self, args, _rt, typeArgs) =>
    (self as JToken).callMethod(name, args, [...typeArgs]);

export const JOBJECT: TypeLibrary = {
  type: 'Newtonsoft.Json.Linq.JObject',
  source: `${SOURCE}/JObject.cs`,
  methods: {
    Parse: { overloads: ['(string)', '(string,JsonLoadSettings)'], run: parse },
    FromObject: { overloads: ['(object)'], run: (_self, args) => new JToken(toJson(args[0])) },
    Add: { overloads: ['(string,JToken)'], inPlace: true, run: onToken('Add') },
    Remove: { overloads: ['(string)'], inPlace: true, run: onToken('Remove') },
    Property: { overloads: ['(string)'], run: onToken('Property') },
    Properties: { overloads: ['()'], run: onToken('Properties') },
    ContainsKey: { overloads: ['(string)'], run: onToken('ContainsKey') },
  },
};

export const JARRAY: TypeLibrary = {
  type: 'Newtonsoft.Json.Linq.JArray',
  source: `${SOURCE}/JArray.cs`,
  methods: {
    Parse: { overloads: ['(string)', '(string,JsonLoadSettings)'], run: parse },
    FromObject: { overloads: ['(object)'], run: (_self, args) => new JToken(toJson(args[0])) },
    Add: { overloads: ['(JToken)'], inPlace: true, run: onToken('Add') },
    Remove: { overloads: ['(JToken)'], inPlace: true, run: onToken('Remove') },
  },
};

export const JTOKEN: TypeLibrary = {
  type: 'Newtonsoft.Json.Linq.JToken',
  source: `${SOURCE}/JToken.cs`,
  methods: {
    Parse: { overloads: ['(string)', '(string,JsonLoadSettings)'], run: parse },
    FromObject: { overloads: ['(object)'], run: (_self, args) => new JToken(toJson(args[0])) },
    ToString: { overloads: ['()', '(Formatting)', '(Formatting,JsonConverter[])'], run: onToken('ToString') },
    Value: { overloads: ['(object)'], run: onToken('Value') },
    Values: { overloads: ['()'], run: onToken('Values') },
    SelectToken: { overloads: ['(string)'], run: onToken('SelectToken') },
    ToObject: { overloads: ['()'], run: onToken('ToObject') },
  },
};

export const JSONCONVERT: TypeLibrary = {
  type: 'Newtonsoft.Json.JsonConvert',
  source: 'https://github.com/JamesNK/Newtonsoft.Json/blob/master/Src/Newtonsoft.Json/JsonConvert.cs',
  methods: {
    SerializeObject: { overloads: ['(object)', '(object,Formatting)'], run: (_self, args) => jsonText(serializable(args[0]), args[1] === 'Indented') },
    DeserializeObject: {
      overloads: ['(string)'],
      run: (_self, args, _rt, typeArgs) => {
        const parsed = parseJson(str(args[0]));
        const want = typeArgs[0] ? baseName(typeArgs[0]) : undefined;
        if (want === undefined || want === 'object' || want === 'JToken' || want === parsed.typeName) return parsed.typeName === 'JValue' ? parsed.value : parsed;
        if (want === 'JObject' || want === 'JArray') throw new CsException('InvalidCastException', `Unable to cast ${parsed.typeName} to ${want}.`);
        return unsupported(`JsonConvert.DeserializeObject<${typeArgs[0]}>`);
      },
    },
  },
};

/**
 * JTokenType: its members are their names, as `JToken.Type` gives them (`Object`, `Array`,
 * `String`, `Integer`...), so `token.Type == JTokenType.Array` compares like the enum does.
 */
export const JTOKEN_TYPE: TypeLibrary = {
  type: 'Newtonsoft.Json.Linq.JTokenType',
  source: 'https://github.com/JamesNK/Newtonsoft.Json/blob/master/Src/Newtonsoft.Json/Linq/JTokenType.cs',
  properties: Object.fromEntries(
    ['None', 'Object', 'Array', 'Constructor', 'Property', 'Comment', 'Integer', 'Float', 'String', 'Boolean', 'Null', 'Undefined', 'Date', 'Raw', 'Bytes', 'Guid', 'Uri', 'TimeSpan'].map((n) => [
      n,
      { overloads: [''], run: () => n },
    ]),
  ),
};

export const FORMATTING: TypeLibrary = {
  type: 'Newtonsoft.Json.Formatting',
  source: 'https://github.com/JamesNK/Newtonsoft.Json/blob/master/Src/Newtonsoft.Json/Formatting.cs',
  properties: {
    None: { overloads: [''], run: () => 'None' },
    Indented: { overloads: [''], run: () => 'Indented' },
  },
};
