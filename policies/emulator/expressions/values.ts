/**
 * The values expressions work with. Plain JS values stand for C# primitives (string, number,
 * bool, null, arrays for arrays and lists, Uint8Array for byte[]); everything else is a
 * {@link HostObject} that lists its members explicitly, so an expression can only reach what
 * the emulator exposes (never a JS prototype).
 */
import { createHmac } from 'node:crypto';
import { formatDate } from '../../csharp/format-date.js';

// the .NET date format strings are the C# front end's (shared with the liquid dialect's Date filter)
export { formatDate };

/** Returned by a host object for a member it does not have. */
export const NO_MEMBER: unique symbol = Symbol('no member');

/** Thrown by library code for a C# exception (becomes EXPR_RUNTIME with the expression's position). */
export class CsException extends Error {
  constructor(
    readonly exceptionType: string,
    message: string,
  ) {
    super(message);
    this.name = exceptionType;
  }
}

/** The cell of an `out` argument (core.ts's Ref: the runtime assigns `value` back to the variable). */
function setOut(cell: unknown, value: unknown): void {
  if (cell === null || typeof cell !== 'object' || !('value' in cell)) throw new CsException('ArgumentException', 'TryGetValue needs an out argument.');
  (cell as { value: unknown }).value = value;
}

export abstract class HostObject {
  abstract readonly typeName: string;
  getMember(_name: string): unknown {
    return NO_MEMBER;
  }
  callMethod(_name: string, _args: unknown[], _typeArgs: string[], _named: Record<string, unknown>): unknown {
    return NO_MEMBER;
  }
  getIndex(_key: unknown): unknown {
    return NO_MEMBER;
  }
  setIndex(_key: unknown, _value: unknown): boolean {
    return false;
  }
  toCsString(): string {
    return this.typeName;
  }
  /** The items `foreach` and LINQ see, or undefined when the object is not enumerable. */
  enumerate(): unknown[] | undefined {
    return undefined;
  }
  /** Value equality (`==`) for value types such as DateTime; reference equality otherwise. */
  csEquals(other: unknown): boolean {
    return this === other;
  }
  /** Ordering for value types (DateTime, TimeSpan); undefined when not ordered. */
  compareTo(_other: unknown): number | undefined {
    return undefined;
  }
}

/** A read-only record: the context's Api, Operation, Subscription, User, Deployment... */
export class CsRecord extends HostObject {
  constructor(
    readonly typeName: string,
    private readonly props: Record<string, unknown>,
  ) {
    super();
  }
  override getMember(name: string): unknown {
    return Object.hasOwn(this.props, name) ? this.props[name] : NO_MEMBER;
  }
  /** The members in declaration order (an anonymous object's, for JsonConvert). */
  members(): [string, unknown][] {
    return Object.entries(this.props);
  }
}

// ---- dictionaries ---------------------------------------------------------------------------

/** `IReadOnlyDictionary<string, string[]>` (headers, query, claims) with APIM's extension methods. */
export class MultiDict extends HostObject {
  readonly typeName = 'IReadOnlyDictionary<string, string[]>';
  private readonly map: Map<string, { name: string; values: string[] }>;
  /** `store`: the map to hold the entries in (a subclass keying it its own way passes its own). */
  constructor(entries?: Iterable<[string, string[]]>, store?: Map<string, { name: string; values: string[] }>) {
    super();
    this.map = store ?? new Map();
    if (entries) for (const [k, v] of entries) this.set(k, v);
  }
  get(name: string): string[] | undefined {
    return this.map.get(name.toLowerCase())?.values;
  }
  /** get() with the name already lower-cased (a name fixed when the policy was compiled). */
  getKey(key: string): string[] | undefined {
    return this.map.get(key)?.values;
  }
  /** Comma-joined, as APIM's `GetValueOrDefault` returns it. */
  getJoined(name: string): string | undefined {
    return this.get(name)?.join(',');
  }
  has(name: string): boolean {
    return this.map.has(name.toLowerCase());
  }
  /** has() with the name already lower-cased (a name fixed when the policy was compiled). */
  hasKey(key: string): boolean {
    return this.map.has(key);
  }
  set(name: string, values: string[]): void {
    this.setKey(name.toLowerCase(), name, values);
  }
  /** set() with `key` = `name` lower-cased. */
  setKey(key: string, name: string, values: string[]): void {
    const existing = this.map.get(key);
    this.map.set(key, { name: existing?.name ?? name, values });
  }
  append(name: string, values: string[]): void {
    const key = name.toLowerCase();
    const cur = this.map.get(key)?.values;
    this.setKey(key, name, cur ? [...cur, ...values] : values);
  }
  delete(name: string): void {
    this.map.delete(name.toLowerCase());
  }
  /** delete() with the name already lower-cased. */
  deleteKey(key: string): void {
    this.map.delete(key);
  }
  clear(): void {
    this.map.clear();
  }
  /** Replaces every entry with these (as entries() gave them). */
  reset(entries: Iterable<[string, string[]]>): void {
    this.map.clear();
    for (const [k, v] of entries) this.set(k, v);
  }
  names(): string[] {
    const out: string[] = [];
    for (const e of this.map.values()) out.push(e.name);
    return out;
  }
  /** Lower-cased name → name as set and values (read-only view, insertion order). */
  keyed(): ReadonlyMap<string, { readonly name: string; readonly values: string[] }> {
    return this.map;
  }
  entries(): [string, string[]][] {
    return [...this.map.values()].map((e) => [e.name, e.values]);
  }
  clone(): MultiDict {
    return new MultiDict(this.entries().map(([k, v]) => [k, [...v]]));
  }
  get size(): number {
    return this.map.size;
  }
  override getMember(name: string): unknown {
    switch (name) {
      case 'Keys':
        return this.names();
      case 'Values':
        return this.entries().map(([, v]) => v);
      case 'Count':
        return this.size;
    }
    return NO_MEMBER;
  }
  override callMethod(name: string, args: unknown[]): unknown {
    switch (name) {
      case 'GetValueOrDefault': {
        const v = this.getJoined(String(args[0]));
        return v !== undefined ? v : args.length > 1 ? args[1] : null;
      }
      case 'ContainsKey':
        return this.has(String(args[0]));
      case 'TryGetValue': {
        // TryGetValue(string key, out string[] value): the value, or null and false
        const v = this.get(String(args[0]));
        setOut(args[1], v ?? null);
        return v !== undefined;
      }
    }
    return NO_MEMBER;
  }
  override getIndex(key: unknown): unknown {
    const v = this.get(String(key));
    if (!v) throw new CsException('KeyNotFoundException', `The given key '${String(key)}' was not present in the dictionary.`);
    return v;
  }
  /** Enumerating a dictionary yields KeyValuePair<string, string[]>. */
  override enumerate(): KeyValue[] {
    return this.entries().map(([k, v]) => new KeyValue(k, v));
  }
}

export class KeyValue extends HostObject {
  readonly typeName = 'KeyValuePair';
  constructor(
    readonly key: string,
    readonly value: unknown,
  ) {
    super();
  }
  override getMember(name: string): unknown {
    if (name === 'Key') return this.key;
    if (name === 'Value') return this.value;
    return NO_MEMBER;
  }
}

/** `Dictionary<string, object>`-like: context.Variables, MatchedParameters, `new Dictionary<,>()`. */
export class CsDictionary extends HostObject {
  readonly typeName: string;
  readonly map = new Map<string, unknown>();
  constructor(
    typeName = 'Dictionary<string, object>',
    private readonly readOnly = false,
    entries?: Iterable<[string, unknown]>,
  ) {
    super();
    this.typeName = typeName;
    if (entries) for (const [k, v] of entries) this.map.set(k, v);
  }
  override getMember(name: string): unknown {
    switch (name) {
      case 'Keys':
        return [...this.map.keys()];
      case 'Values':
        return [...this.map.values()];
      case 'Count':
        return this.map.size;
    }
    return NO_MEMBER;
  }
  override callMethod(name: string, args: unknown[], typeArgs: string[]): unknown {
    switch (name) {
      case 'GetValueOrDefault': {
        const key = String(args[0]);
        if (this.map.has(key)) {
          const v = this.map.get(key);
          return typeArgs[0] ? convertTo(typeArgs[0], v) : v;
        }
        return args.length > 1 ? args[1] : typeArgs[0] ? defaultOf(typeArgs[0]) : null;
      }
      case 'ContainsKey':
        return this.map.has(String(args[0]));
      case 'TryGetValue': {
        const has = this.map.has(String(args[0]));
        setOut(args[1], has ? this.map.get(String(args[0])) : null);
        return has;
      }
      case 'Add':
        if (this.readOnly) break;
        if (this.map.has(String(args[0]))) throw new CsException('ArgumentException', 'An item with the same key has already been added.');
        this.map.set(String(args[0]), args[1]);
        return undefined;
      case 'Remove':
        if (this.readOnly) break;
        return this.map.delete(String(args[0]));
    }
    return NO_MEMBER;
  }
  override getIndex(key: unknown): unknown {
    const k = String(key);
    if (!this.map.has(k)) throw new CsException('KeyNotFoundException', `The given key '${k}' was not present in the dictionary.`);
    return this.map.get(k);
  }
  override setIndex(key: unknown, value: unknown): boolean {
    if (this.readOnly) return false;
    this.map.set(String(key), value);
    return true;
  }
  override enumerate(): KeyValue[] {
    return [...this.map.entries()].map(([k, v]) => new KeyValue(k, v));
  }
}

// ---- time -----------------------------------------------------------------------------------

export class CsTimeSpan extends HostObject {
  readonly typeName = 'TimeSpan';
  constructor(readonly ms: number) {
    super();
  }
  override getMember(name: string): unknown {
    const ms = this.ms;
    switch (name) {
      case 'TotalMilliseconds':
        return ms;
      case 'TotalSeconds':
        return ms / 1000;
      case 'TotalMinutes':
        return ms / 60000;
      case 'TotalHours':
        return ms / 3600000;
      case 'TotalDays':
        return ms / 86400000;
      case 'Milliseconds':
        return Math.trunc(ms % 1000);
      case 'Seconds':
        return Math.trunc(ms / 1000) % 60;
      case 'Minutes':
        return Math.trunc(ms / 60000) % 60;
      case 'Hours':
        return Math.trunc(ms / 3600000) % 24;
      case 'Days':
        return Math.trunc(ms / 86400000);
      case 'Ticks':
        return ms * 10000;
    }
    return NO_MEMBER;
  }
  override toCsString(): string {
    const neg = this.ms < 0 ? '-' : '';
    const abs = Math.abs(this.ms);
    const days = Math.floor(abs / 86400000);
    const h = Math.floor(abs / 3600000) % 24;
    const m = Math.floor(abs / 60000) % 60;
    const s = Math.floor(abs / 1000) % 60;
    const frac = abs % 1000;
    const p2 = (n: number): string => String(n).padStart(2, '0');
    return `${neg}${days ? `${days}.` : ''}${p2(h)}:${p2(m)}:${p2(s)}${frac ? '.' + String(frac * 10000).padStart(7, '0') : ''}`;
  }
  override csEquals(other: unknown): boolean {
    return other instanceof CsTimeSpan && other.ms === this.ms;
  }
  override compareTo(other: unknown): number | undefined {
    return other instanceof CsTimeSpan ? this.ms - other.ms : undefined;
  }
}

export class CsDateTime extends HostObject {
  readonly typeName = 'DateTime';
  constructor(readonly ms: number) {
    super();
  }
  override getMember(name: string): unknown {
    if (name === 'Value') return this; // DateTime? .Value
    if (name === 'HasValue') return true;
    const d = new Date(this.ms);
    switch (name) {
      case 'Year':
        return d.getUTCFullYear();
      case 'Month':
        return d.getUTCMonth() + 1;
      case 'Day':
        return d.getUTCDate();
      case 'Hour':
        return d.getUTCHours();
      case 'Minute':
        return d.getUTCMinutes();
      case 'Second':
        return d.getUTCSeconds();
      case 'Millisecond':
        return d.getUTCMilliseconds();
      case 'Ticks':
        return this.ms * 10000 + 621355968000000000;
      case 'Date':
        return new CsDateTime(this.ms - (this.ms % 86400000));
      case 'DayOfWeek':
        return ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'][d.getUTCDay()];
    }
    return NO_MEMBER;
  }
  override callMethod(name: string, args: unknown[]): unknown {
    const n = Number(args[0]);
    switch (name) {
      case 'AddMilliseconds':
        return new CsDateTime(this.ms + n);
      case 'AddSeconds':
        return new CsDateTime(this.ms + n * 1000);
      case 'AddMinutes':
        return new CsDateTime(this.ms + n * 60000);
      case 'AddHours':
        return new CsDateTime(this.ms + n * 3600000);
      case 'AddDays':
        return new CsDateTime(this.ms + n * 86400000);
      case 'Add':
        if (args[0] instanceof CsTimeSpan) return new CsDateTime(this.ms + args[0].ms);
        break;
      case 'Subtract':
        if (args[0] instanceof CsDateTime) return new CsTimeSpan(this.ms - args[0].ms);
        if (args[0] instanceof CsTimeSpan) return new CsDateTime(this.ms - args[0].ms);
        break;
      case 'ToString':
        return args.length ? formatDate(this.ms, String(args[0])) : this.toCsString();
      case 'ToUniversalTime':
      case 'ToLocalTime':
        return this;
      case 'ToUnixTimeSeconds':
        return Math.floor(this.ms / 1000);
    }
    return NO_MEMBER;
  }
  override toCsString(): string {
    return formatDate(this.ms, 'M/d/yyyy h:mm:ss tt');
  }
  override csEquals(other: unknown): boolean {
    return other instanceof CsDateTime && other.ms === this.ms;
  }
  override compareTo(other: unknown): number | undefined {
    return other instanceof CsDateTime ? this.ms - other.ms : undefined;
  }
}


// ---- misc -----------------------------------------------------------------------------------

export class CsGuid extends HostObject {
  readonly typeName = 'Guid';
  constructor(readonly value: string) {
    super();
  }
  override callMethod(name: string, args: unknown[]): unknown {
    if (name === 'ToString') {
      const f = args[0] === undefined ? 'D' : String(args[0]);
      if (f === 'N') return this.value.replace(/-/g, '');
      return this.value;
    }
    return NO_MEMBER;
  }
  override toCsString(): string {
    return this.value;
  }
  override csEquals(other: unknown): boolean {
    return other instanceof CsGuid && other.value === this.value;
  }
}

/** `new Random()`: deterministic when the emulator is given a seeded source. */
export class CsRandom extends HostObject {
  readonly typeName = 'Random';
  constructor(private readonly source: () => number) {
    super();
  }
  override callMethod(name: string, args: unknown[]): unknown {
    if (name === 'Next') {
      const [a, b] = args.length === 0 ? [0, 2147483647] : args.length === 1 ? [0, Number(args[0])] : [Number(args[0]), Number(args[1])];
      if (b < a) throw new CsException('ArgumentOutOfRangeException', "'minValue' cannot be greater than maxValue.");
      return a + Math.floor(this.source() * (b - a));
    }
    if (name === 'NextDouble') return this.source();
    return NO_MEMBER;
  }
}

/** HMACSHA256 / HMACSHA1 / HMACSHA384 / HMACSHA512 with its key: `ComputeHash(byte[])` → byte[]. */
export class CsHmac extends HostObject {
  readonly typeName: string;
  constructor(
    private readonly algorithm: 'sha1' | 'sha256' | 'sha384' | 'sha512',
    private readonly key: Uint8Array,
  ) {
    super();
    this.typeName = `HMAC${algorithm.toUpperCase()}`;
  }
  override callMethod(name: string, args: unknown[]): unknown {
    if (name === 'ComputeHash') {
      if (!(args[0] instanceof Uint8Array)) throw new CsException('ArgumentNullException', 'Value cannot be null. (Parameter \'buffer\')');
      return new Uint8Array(createHmac(this.algorithm, this.key).update(args[0]).digest());
    }
    if (name === 'Dispose') return undefined;
    return NO_MEMBER;
  }
}

/** Default value of a C# type (for GetValueOrDefault<T> without a default). */
export function defaultOf(type: string): unknown {
  switch (type) {
    case 'int':
    case 'long':
    case 'double':
    case 'float':
    case 'decimal':
    case 'short':
    case 'uint':
    case 'ulong':
    case 'byte':
      return 0;
    case 'bool':
      return false;
    default:
      return null;
  }
}

/** GetValueOrDefault<T> and casts between primitive types. */
export function convertTo(type: string, v: unknown): unknown {
  if (v === null || v === undefined) return defaultOf(type);
  return v;
}
