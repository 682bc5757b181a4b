/**
 * Newtonsoft.Json's JToken family over plain JSON values: JObject, JArray, JValue, JProperty.
 *
 * A JSON object is a null-prototype object (made only by {@link jsonObject}) and is read only
 * through its own properties, so `__proto__`, `constructor` and `prototype` are ordinary keys:
 * an expression can neither read nor write a JavaScript prototype through a key it chose.
 */
import { MAX_STRING_LENGTH, chargeArray, chargeString, step } from './budget.js';
import { CsException, HostObject, NO_MEMBER } from './values.js';

export type Json = null | boolean | number | string | Json[] | JsonObject;
/** A JSON object: always null-prototype (see {@link jsonObject}). */
export interface JsonObject {
  [k: string]: Json;
}

/** A new, empty JSON object with no prototype. */
export function jsonObject(): JsonObject {
  return Object.create(null) as JsonObject;
}

/** The object's own property `key`, or undefined. */
export function ownJson(o: JsonObject, key: string): Json | undefined {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

/** Sets the own property `key` (a data property even for `__proto__`, since `o` has no prototype). */
export function setJson(o: JsonObject, key: string, value: Json): void {
  Object.defineProperty(o, key, { value, writable: true, enumerable: true, configurable: true });
}

export class JToken extends HostObject {
  constructor(public value: Json) {
    super();
  }
  get typeName(): string {
    return Array.isArray(this.value) ? 'JArray' : this.value !== null && typeof this.value === 'object' ? 'JObject' : 'JValue';
  }
  private isObject(): this is { value: JsonObject } {
    return this.value !== null && typeof this.value === 'object' && !Array.isArray(this.value);
  }
  override getIndex(key: unknown): unknown {
    const v = this.value;
    if (Array.isArray(v)) {
      const i = Number(key);
      if (!Number.isInteger(i) || i < 0 || i >= v.length) throw new CsException('ArgumentOutOfRangeException', 'Index was out of range.');
      return wrapJson(v[i]!);
    }
    if (this.isObject()) {
      const k = String(key);
      const child = ownJson(this.value, k);
      return child === undefined ? null : wrapJson(child);
    }
    throw new CsException('InvalidOperationException', `Cannot access child value on ${this.typeName}.`);
  }
  override setIndex(key: unknown, value: unknown): boolean {
    const v = this.value;
    if (Array.isArray(v)) {
      const i = Number(key);
      if (!Number.isInteger(i) || i < 0 || i >= v.length) throw new CsException('ArgumentOutOfRangeException', 'Index was out of range.');
      v[i] = toJson(value);
      return true;
    }
    if (this.isObject()) {
      setJson(this.value, String(key), toJson(value));
      return true;
    }
    return false;
  }
  override getMember(name: string): unknown {
    const v = this.value;
    switch (name) {
      case 'Count':
        return Array.isArray(v) ? v.length : this.isObject() ? Object.keys(this.value).length : 0;
      case 'HasValues':
        return Array.isArray(v) ? v.length > 0 : this.isObject() ? Object.keys(this.value).length > 0 : false;
      case 'Type':
        return Array.isArray(v) ? 'Array' : v === null ? 'Null' : typeof v === 'object' ? 'Object' : typeof v === 'string' ? 'String' : typeof v === 'boolean' ? 'Boolean' : Number.isInteger(v) ? 'Integer' : 'Float';
    }
    return NO_MEMBER;
  }
  override callMethod(name: string, args: unknown[], typeArgs: string[]): unknown {
    switch (name) {
      case 'ToString':
        return args.length && String(args[0]) === 'None' ? jsonText(this.value, false) : this.toCsString();
      case 'Value': {
        const child = this.getIndex(args[0]);
        return child instanceof JToken ? unwrapJson(child) : child;
      }
      case 'Values':
        return (this.enumerate() ?? []).map((x) => (x instanceof JToken ? unwrapJson(x) : x instanceof JProperty ? unwrapJson(wrapJson(x.value)) : x));
      case 'ContainsKey':
        return this.isObject() && Object.hasOwn(this.value, String(args[0]));
      case 'Property': {
        const child = this.isObject() ? ownJson(this.value, String(args[0])) : undefined;
        return child === undefined ? null : new JProperty(String(args[0]), child);
      }
      case 'Properties':
        return this.isObject() ? properties(this.value) : [];
      case 'Remove':
        if (this.isObject()) {
          const had = Object.hasOwn(this.value, String(args[0]));
          delete this.value[String(args[0])];
          return had;
        }
        break;
      case 'Add':
        if (Array.isArray(this.value)) {
          this.value.push(toJson(args[0]));
          return undefined;
        }
        if (this.isObject()) {
          // JObject.Add of an existing name throws (JObject.ValidateToken):
          // https://github.com/JamesNK/Newtonsoft.Json/blob/master/Src/Newtonsoft.Json/Linq/JObject.cs
          const [key, value] = args[0] instanceof JProperty ? [args[0].name, args[0].value] : [String(args[0]), toJson(args[1])];
          if (Object.hasOwn(this.value, key)) throw new CsException('ArgumentException', `Can not add property ${key} to Newtonsoft.Json.Linq.JObject. Property with the same name already exists on object.`);
          setJson(this.value, key, value);
          return undefined;
        }
        break;
      case 'SelectToken': {
        let cur: Json | undefined = this.value;
        for (const part of String(args[0]).replace(/^\$\.?/, '').split('.').filter(Boolean)) {
          const m = /^([^[]*)((?:\[\d+\])*)$/.exec(part);
          if (!m) throw new CsException('JsonException', `Unsupported JSON path '${String(args[0])}'.`);
          if (m[1]) cur = cur !== null && cur !== undefined && typeof cur === 'object' && !Array.isArray(cur) ? ownJson(cur, m[1]) : undefined;
          for (const idx of m[2]!.match(/\d+/g) ?? []) cur = Array.isArray(cur) && Number(idx) < cur.length ? cur[Number(idx)] : undefined;
        }
        return cur === undefined ? null : wrapJson(cur);
      }
      case 'ToObject':
        if (typeArgs[0] === 'string') return unwrapJson(this);
        break;
    }
    return NO_MEMBER;
  }
  override enumerate(): unknown[] | undefined {
    if (Array.isArray(this.value)) return this.value.map(wrapJson);
    if (this.isObject()) return properties(this.value);
    return undefined;
  }
  override toCsString(): string {
    const v = this.value;
    if (v === null) return '';
    if (typeof v === 'string') return v;
    if (typeof v === 'boolean') return v ? 'True' : 'False';
    if (typeof v === 'number') return String(v);
    return jsonText(v, true);
  }
  override csEquals(other: unknown): boolean {
    if (other instanceof JToken) return other === this || (typeof this.value !== 'object' && other.value === this.value);
    return false;
  }
}

export class JProperty extends HostObject {
  readonly typeName = 'JProperty';
  constructor(
    readonly name: string,
    readonly value: Json,
  ) {
    super();
  }
  override getMember(name: string): unknown {
    if (name === 'Name') return this.name;
    if (name === 'Value') return wrapJson(this.value);
    return NO_MEMBER;
  }
  override toCsString(): string {
    return `"${this.name}": ${jsonText(this.value, true)}`;
  }
}

function properties(o: JsonObject): JProperty[] {
  const keys = Object.keys(o);
  chargeArray(keys.length);
  return keys.map((k) => new JProperty(k, o[k]!));
}

/**
 * Newtonsoft's indented form (two spaces, `": "`). The text's size is bounded first by a walk
 * that stops at the string cap (a value can share one child many times over, so its text can be
 * far larger than what built it), and charged.
 */
export function jsonText(v: Json, indented: boolean): string {
  chargeString(textSize(v, indented ? 2 : 0));
  return indented ? JSON.stringify(v, null, 2) : JSON.stringify(v);
}

/** An upper bound of the JSON text's length, counting at most up to past the string cap. */
function textSize(root: Json, indent: number): number {
  let size = 0;
  const stack: [Json, number][] = [[root, 0]];
  while (stack.length > 0 && size <= MAX_STRING_LENGTH) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') {
      // a string's escapes can at most sextuple it (\uXXXX)
      size += typeof v === 'string' ? v.length * 6 + 2 : 24;
      continue;
    }
    const pad = indent * (depth + 1) + 2;
    if (Array.isArray(v)) {
      size += 2 + indent * depth;
      for (const x of v) {
        size += pad;
        stack.push([x, depth + 1]);
      }
    } else {
      size += 2 + indent * depth;
      for (const k of Object.keys(v)) {
        size += pad + k.length * 6 + 4;
        stack.push([v[k]!, depth + 1]);
      }
    }
  }
  return size;
}

export function wrapJson(v: Json): JToken {
  return new JToken(v);
}

/** A JValue's primitive; JObject/JArray stay wrapped. */
export function unwrapJson(t: JToken): unknown {
  return t.value !== null && typeof t.value === 'object' ? t : t.value;
}

/** A C# value as JSON (for JObject assignment and `new JObject(new JProperty(...))`). */
export function toJson(v: unknown): Json {
  step();
  if (v === null || v === undefined) return null;
  if (v instanceof JToken) return v.value;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (Array.isArray(v)) return v.map(toJson);
  if (v instanceof HostObject) return v.toCsString();
  throw new CsException('ArgumentException', 'Could not convert the value to JSON.');
}

/** JSON text as a JToken; its objects have no prototype. */
export function parseJson(text: string): JToken {
  chargeString(text.length);
  let parsed: Json;
  try {
    parsed = JSON.parse(text) as Json;
  } catch {
    throw new CsException('JsonReaderException', 'Unexpected character encountered while parsing value.');
  }
  return new JToken(withoutPrototypes(parsed));
}

/**
 * The parsed value with every object's prototype removed (JSON.parse makes `"__proto__"` an own
 * property already; without a prototype, writing that key later stays an own property too).
 */
function withoutPrototypes(root: Json): Json {
  const stack: Json[] = [root];
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (Array.isArray(v)) {
      for (const x of v) if (x !== null && typeof x === 'object') stack.push(x);
    } else {
      Object.setPrototypeOf(v, null);
      for (const k of Object.keys(v)) {
        const x = v[k]!;
        if (x !== null && typeof x === 'object') stack.push(x);
      }
    }
  }
  return root;
}
