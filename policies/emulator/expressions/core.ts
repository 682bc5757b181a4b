/**
 * C# value semantics shared by the runtime and the library tables: ToString, ==, ordering,
 * numeric and boolean coercions, casts and type tests, enumeration, composite formatting.
 */
import { ExpressionError } from '../errors.js';
import { typeToString, type TypeRef } from './ast.js';
import { chargeArray, chargeString } from './budget.js';
import { JToken, unwrapJson } from './json.js';
import { JwtValue } from './jwt-value.js';
import { CsDateTime, CsDictionary, CsException, CsGuid, CsTimeSpan, HostObject, NO_MEMBER, formatDate } from './values.js';

/** A value standing for a static type in `Type.Member` (DateTime, string, Convert...). */
export class StaticType {
  /** Members whose value is a constant primitive (StringComparison.X, string.Empty, int.MaxValue...), once read. */
  readonly constants = new Map<string, unknown>();
  constructor(
    /** as written (`string`, `System.Text.Encoding`) */
    readonly name: string,
    /** the library's full name (`System.String`), or undefined when the emulator has none */
    readonly fullName: string | undefined,
  ) {}
}

/** A lambda or local function (the runtime's closures). */
export abstract class CsDelegate {}

/** The variable an `out`/`ref` argument names: the callee sets `value`, the runtime assigns it back. */
export class Ref {
  constructor(public value: unknown) {}
}

/** A thrown or constructed C# exception as a value (`catch (Exception e)`, `new Exception("…")`). */
export class CsExceptionValue extends HostObject {
  readonly typeName = 'Exception';
  constructor(
    readonly message: string,
    readonly exceptionType = 'Exception',
  ) {
    super();
  }
  override getMember(name: string): unknown {
    return name === 'Message' ? this.message : NO_MEMBER;
  }
  override callMethod(name: string): unknown {
    if (name === 'ToString') return `System.${this.exceptionType}: ${this.message}`;
    return NO_MEMBER;
  }
}

/** Valid C# the emulator does not run; the runtime adds the expression position. */
export class Unsupported extends Error {
  constructor(readonly what: string) {
    super(`unsupported C# construct: ${what}`);
  }
}

export function unsupported(what: string): never {
  throw new Unsupported(what);
}

export function prim(v: unknown): unknown {
  // a primitive (the common case) skips the instanceof
  return typeof v === 'object' && v instanceof JToken ? unwrapJson(v) : v;
}

/** C#'s ToString() of a value. */
export function str(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return String(v);
  if (v instanceof HostObject) return v.toCsString();
  if (v instanceof Uint8Array) return 'System.Byte[]';
  if (Array.isArray(v)) return 'System.String[]';
  if (v instanceof StaticType) return v.name;
  return 'System.Object';
}

export function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'double';
  if (typeof v === 'boolean') return 'bool';
  if (v instanceof HostObject) return v.typeName;
  if (v instanceof Uint8Array) return 'byte[]';
  if (Array.isArray(v)) return 'array';
  if (v instanceof CsDelegate) return 'lambda';
  if (v instanceof StaticType) return v.name;
  return 'object';
}

export function equals(a: unknown, b: unknown): boolean {
  a = prim(a);
  b = prim(b);
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  if (a === b) return true;
  if (typeof a === 'object' && a instanceof HostObject) return a.csEquals(b);
  return false;
}

/** A key equal (SameValueZero) for two values exactly when {@link equals} holds for them. */
export function equalityKey(v: unknown): unknown {
  v = prim(v);
  if (v === undefined) return null;
  if (v instanceof CsDateTime) return `\u0000DateTime:${v.ms}`;
  if (v instanceof CsTimeSpan) return `\u0000TimeSpan:${v.ms}`;
  if (v instanceof CsGuid) return `\u0000Guid:${v.value}`;
  return v;
}

/** The items in order, without those `==` to an earlier one. */
export function distinct(items: readonly unknown[]): unknown[] {
  const seen = new Set<unknown>();
  const out: unknown[] = [];
  for (const x of items) {
    const k = equalityKey(x);
    if (!seen.has(k)) {
      seen.add(k);
      out.push(x);
    }
  }
  return out;
}

export function compare(a: unknown, b: unknown): number {
  a = prim(a);
  b = prim(b);
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (a instanceof HostObject) {
    const c = a.compareTo(b);
    if (c !== undefined) return c;
  }
  throw new CsException('ArgumentException', `cannot compare ${typeName(a)} with ${typeName(b)}`);
}

export function num(v: unknown): number {
  v = prim(v);
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.length === 1) return v.charCodeAt(0);
  throw new CsException('InvalidCastException', `expected a number, not ${typeName(v)}`);
}

export function truthy(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (v instanceof JToken && typeof v.value === 'boolean') return v.value;
  throw new CsException('InvalidCastException', `a condition must be bool, not ${typeName(v)}`);
}

/** The items `foreach` and LINQ see. */
export function enumerate(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (typeof v === 'string') {
    chargeArray(v.length);
    return [...v];
  }
  // a host object (a JArray, a dictionary) before a byte array: disjoint, and its test is the shorter
  if (v instanceof HostObject) {
    const items = v.enumerate();
    if (items) return items;
    return unsupported(`enumeration of ${typeName(v)}`);
  }
  if (v instanceof Uint8Array) {
    chargeArray(v.length);
    return [...v];
  }
  return unsupported(`enumeration of ${typeName(v)}`);
}

/** The pieces joined with `sep`, the result's size charged first. */
export function joined(pieces: readonly string[], sep: string): string {
  let size = Math.max(0, pieces.length - 1) * sep.length;
  for (const p of pieces) size += p.length;
  chargeString(size);
  return pieces.join(sep);
}

/** A StringComparison argument that ignores case. */
export function ignoresCase(arg: unknown): boolean {
  return arg === 'OrdinalIgnoreCase' || arg === 'InvariantCultureIgnoreCase' || arg === 'CurrentCultureIgnoreCase' || arg === true;
}

const baseNames = new Map<string, string>();
/** The type name without its namespace (`System.Text.Encoding` → `Encoding`). */
export function baseName(type: string): string {
  let b = baseNames.get(type);
  if (b === undefined) baseNames.set(type, (b = type.replace(/^System\.(Text\.(RegularExpressions\.)?|Net\.|Linq\.|Collections\.Generic\.|Security\.Cryptography\.)?/, '').replace(/^Newtonsoft\.Json\.(Linq\.)?/, '')));
  return b;
}

// ---- formatting -------------------------------------------------------------------------------

/** `string.Format` / composite format: `{0}`, `{1:format}`, `{0,-5}`, `{{`/`}}`. */
export function csFormat(format: string, args: readonly unknown[]): string {
  // every piece is charged as it is made: `{0}` a million times over a long argument is large
  let size = format.length;
  return format.replace(/\{\{|\}\}|\{(\d+)(?:,(-?\d+))?(?::([^}]*))?\}/g, (m, idx: string | undefined, align: string | undefined, fmt: string | undefined) => {
    if (m === '{{') return '{';
    if (m === '}}') return '}';
    const piece = formatPiece(idx, align, fmt, args);
    size += piece.length;
    chargeString(size);
    return piece;
  });
}

/** One `{index[,alignment][:format]}` item. */
function formatPiece(idx: string | undefined, align: string | undefined, fmt: string | undefined, args: readonly unknown[]): string {
  const i = Number(idx);
  if (i >= args.length) throw new CsException('FormatException', 'Index (zero based) must be greater than or equal to zero and less than the size of the argument list.');
  let s = fmt !== undefined ? formatValue(args[i], fmt) : str(args[i]);
  if (align) {
    const w = Number(align);
    chargeString(Math.abs(w));
    s = w < 0 ? s.padEnd(-w) : s.padStart(w);
  }
  return s;
}

/** `value.ToString(format)` / `{0:format}`. */
export function formatValue(v: unknown, format: string): string {
  if (v instanceof CsDateTime) return formatDate(v.ms, format);
  if (typeof v === 'number') {
    if (format === '') return str(v);
    const m = /^([NnFfDdXx])(\d*)$/.exec(format);
    if (m) {
      const digits = m[2] === '' ? undefined : Number(m[2]);
      // .NET Framework reads at most two precision digits: "D100" is not a standard format
      // https://learn.microsoft.com/en-us/dotnet/standard/base-types/standard-numeric-format-strings
      if (digits !== undefined && digits > 99) throw new CsException('FormatException', 'Format specifier was invalid.');
      switch (m[1]) {
        case 'F':
        case 'f':
          return v.toFixed(digits ?? 2);
        case 'N':
        case 'n':
          return v.toLocaleString('en-US', { minimumFractionDigits: digits ?? 2, maximumFractionDigits: digits ?? 2 });
        case 'D':
        case 'd':
          return String(Math.trunc(v)).padStart(digits ?? 0, '0');
        case 'X':
          return Math.trunc(v).toString(16).toUpperCase().padStart(digits ?? 0, '0');
        default:
          return Math.trunc(v).toString(16).padStart(digits ?? 0, '0');
      }
    }
    const fixed = /^0+(?:\.(0+))?$/.exec(format);
    if (fixed) {
      const intWidth = format.split('.')[0]!.length;
      const s = v.toFixed(fixed[1]?.length ?? 0);
      const [i, d] = s.split('.');
      return i!.padStart(intWidth, '0') + (d !== undefined ? '.' + d : '');
    }
  }
  if (v instanceof CsGuid) return v.callMethod('ToString', [format]) as string;
  return str(v);
}

// ---- casts and type tests ---------------------------------------------------------------------

const CASTABLE = new Set([
  'string', 'String', 'int', 'long', 'Int32', 'Int64', 'double', 'float', 'decimal', 'bool', 'Boolean', 'object', 'Jwt', 'JObject', 'JArray',
  'JToken', 'JValue', 'DateTime', 'TimeSpan', 'IEnumerable', 'IList', 'List', 'char', 'byte', 'Guid', 'IReadOnlyDictionary', 'Dictionary',
  'IResponse', 'IRequest', 'IMessageBody', 'Exception', 'var',
]);

const VALUE_TYPES = new Set(['int', 'long', 'Int32', 'Int64', 'double', 'float', 'decimal', 'bool', 'Boolean', 'char', 'byte', 'DateTime', 'TimeSpan', 'Guid']);

/** `v is T` (`var` matches everything but null: C# 7's var pattern matches null too, see the runtime). */
export function isType(v: unknown, t: TypeRef): boolean {
  const name = baseName(t.name);
  if (!CASTABLE.has(name)) unsupported(`type test against ${typeToString(t)}`);
  if (v === null || v === undefined) return false;
  if (t.array > 0) return Array.isArray(v) || (name === 'byte' && v instanceof Uint8Array);
  switch (name) {
    case 'string':
    case 'String':
      return typeof v === 'string';
    case 'int':
    case 'long':
    case 'Int32':
    case 'Int64':
      return typeof v === 'number' && Number.isInteger(v);
    case 'double':
    case 'float':
    case 'decimal':
      return typeof v === 'number';
    case 'bool':
    case 'Boolean':
      return typeof v === 'boolean';
    case 'object':
    case 'var':
      return true;
    case 'Jwt':
      return v instanceof JwtValue;
    case 'JObject':
    case 'JArray':
    case 'JValue':
      return v instanceof JToken && v.typeName === name;
    case 'JToken':
      return v instanceof JToken;
    case 'DateTime':
      return v instanceof CsDateTime;
    case 'TimeSpan':
      return v instanceof CsTimeSpan;
    case 'Guid':
      return v instanceof CsGuid;
    case 'IEnumerable':
    case 'IList':
    case 'List':
      return Array.isArray(v);
    case 'IReadOnlyDictionary':
    case 'Dictionary':
      return v instanceof CsDictionary;
    case 'IResponse':
    case 'IRequest':
    case 'IMessageBody':
      return v instanceof HostObject && v.typeName === name;
    case 'Exception':
      return v instanceof CsExceptionValue;
    default:
      return false;
  }
}

/** `(T)v`. */
export function cast(v: unknown, t: TypeRef): unknown {
  const name = baseName(t.name);
  if (!CASTABLE.has(name)) unsupported(`cast to ${typeToString(t)}`);
  if (v === null || v === undefined) {
    if (!t.nullable && t.array === 0 && VALUE_TYPES.has(name)) throw new CsException('InvalidCastException', `Null object cannot be converted to a value type (${name}).`);
    return null;
  }
  if (v instanceof JToken && t.array === 0) {
    const inner = v.value;
    switch (name) {
      case 'string':
      case 'String':
        if (inner !== null && typeof inner === 'object') throw new CsException('ArgumentException', `Can not convert ${v.typeName} to String.`);
        return inner === null ? null : v.toCsString();
      case 'int':
      case 'long':
      case 'Int32':
      case 'Int64':
        if (typeof inner === 'number') return Math.round(inner);
        if (typeof inner === 'string' && /^[+-]?\d+$/.test(inner.trim())) return Number(inner);
        throw new CsException('FormatException', 'Input string was not in a correct format.');
      case 'double':
      case 'float':
      case 'decimal':
        if (typeof inner === 'number') return inner;
        throw new CsException('FormatException', 'Input string was not in a correct format.');
      case 'bool':
      case 'Boolean':
        if (typeof inner === 'boolean') return inner;
        throw new CsException('FormatException', 'String was not recognized as a valid Boolean.');
    }
  }
  if (isType(v, t)) return v;
  if (typeof v === 'number' && ['int', 'long', 'Int32', 'Int64', 'double', 'float', 'decimal', 'byte', 'char'].includes(name)) {
    return name === 'char' ? String.fromCharCode(v) : ['double', 'float', 'decimal'].includes(name) ? v : Math.trunc(v);
  }
  if (typeof v === 'string' && v.length === 1 && ['int', 'long', 'byte'].includes(name)) return v.charCodeAt(0);
  if (name === 'IEnumerable' && v instanceof HostObject && v.enumerate()) return v.enumerate();
  if ((name === 'IEnumerable' || name === 'IList') && typeof v === 'string') return [...v];
  throw new CsException('InvalidCastException', `Unable to cast object of type '${typeName(v)}' to type '${typeToString(t)}'.`);
}

/** default(T). */
export function defaultValue(t: TypeRef | null): unknown {
  if (t === null || t.nullable || t.array > 0) return null;
  switch (baseName(t.name)) {
    case 'int':
    case 'long':
    case 'short':
    case 'byte':
    case 'double':
    case 'float':
    case 'decimal':
    case 'Int32':
    case 'Int64':
    case 'Double':
      return 0;
    case 'bool':
    case 'Boolean':
      return false;
    case 'char':
    case 'Char':
      return '\0';
    case 'DateTime':
      return new CsDateTime(-62135596800000);
    case 'TimeSpan':
      return new CsTimeSpan(0);
    case 'Guid':
      return new CsGuid('00000000-0000-0000-0000-000000000000');
    default:
      return null;
  }
}

/** For messages: an ExpressionError at `pos` for what a library call reported. */
export function positioned(err: Unsupported, pos: number): ExpressionError {
  return new ExpressionError('EXPR_UNSUPPORTED', err.message, pos);
}
