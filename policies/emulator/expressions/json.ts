/** Newtonsoft.Json's JToken family over plain JSON values: JObject, JArray, JValue, JProperty. */
import { CsException, HostObject, NO_MEMBER } from './values.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export class JToken extends HostObject {
  constructor(public value: Json) {
    super();
  }
  get typeName(): string {
    return Array.isArray(this.value) ? 'JArray' : this.value !== null && typeof this.value === 'object' ? 'JObject' : 'JValue';
  }
  private isObject(): this is { value: { [k: string]: Json } } {
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
      return Object.hasOwn(this.value, k) ? wrapJson(this.value[k]!) : null;
    }
    throw new CsException('InvalidOperationException', `Cannot access child value on ${this.typeName}.`);
  }
  override setIndex(key: unknown, value: unknown): boolean {
    const v = this.value;
    if (Array.isArray(v)) {
      v[Number(key)] = toJson(value);
      return true;
    }
    if (this.isObject()) {
      this.value[String(key)] = toJson(value);
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
      case 'Property':
        return this.isObject() && Object.hasOwn(this.value, String(args[0])) ? new JProperty(String(args[0]), this.value[String(args[0])]!) : null;
      case 'Properties':
        return this.isObject() ? Object.entries(this.value).map(([k, v]) => new JProperty(k, v)) : [];
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
          if (args[0] instanceof JProperty) this.value[args[0].name] = args[0].value;
          else this.value[String(args[0])] = toJson(args[1]);
          return undefined;
        }
        break;
      case 'SelectToken': {
        let cur: Json | undefined = this.value;
        for (const part of String(args[0]).replace(/^\$\.?/, '').split('.').filter(Boolean)) {
          const m = /^([^[]*)((?:\[\d+\])*)$/.exec(part);
          if (!m) throw new CsException('JsonException', `Unsupported JSON path '${String(args[0])}'.`);
          if (m[1]) cur = cur !== null && typeof cur === 'object' && !Array.isArray(cur) ? cur[m[1]] : undefined;
          for (const idx of m[2]!.match(/\d+/g) ?? []) cur = Array.isArray(cur) ? cur[Number(idx)] : undefined;
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
    if (this.isObject()) return Object.entries(this.value).map(([k, v]) => new JProperty(k, v));
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

/** Newtonsoft's indented form (two spaces, `": "`). */
export function jsonText(v: Json, indented: boolean): string {
  return indented ? JSON.stringify(v, null, 2) : JSON.stringify(v);
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
  if (v === null || v === undefined) return null;
  if (v instanceof JToken) return v.value;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (Array.isArray(v)) return v.map(toJson);
  if (v instanceof HostObject) return v.toCsString();
  throw new CsException('ArgumentException', 'Could not convert the value to JSON.');
}

export function parseJson(text: string): JToken {
  try {
    return new JToken(JSON.parse(text) as Json);
  } catch {
    throw new CsException('JsonReaderException', 'Unexpected character encountered while parsing value.');
  }
}
