/**
 * System.Convert, Math, Guid, the numeric and boolean Parse/TryParse, System.Text.Encoding,
 * System.Uri and System.Net.WebUtility.
 * https://github.com/microsoft/referencesource/tree/master/mscorlib/system
 */
import { randomUUID } from 'node:crypto';
import { LimitExceeded, chargeString } from '../budget.js';
import { Ref, num, str } from '../core.js';
import { CsException, CsGuid, HostObject, NO_MEMBER } from '../values.js';
import type { Impl, TypeLibrary } from './types.js';

const RS = 'https://github.com/microsoft/referencesource/blob/master/mscorlib/system';

/** Encoding.UTF8 / ASCII / Unicode. */
export class CsEncoding extends HostObject {
  readonly typeName = 'Encoding';
  private readonly node: BufferEncoding;
  constructor(readonly name: 'utf-8' | 'ascii' | 'utf-16le') {
    super();
    this.node = name === 'utf-16le' ? 'utf16le' : name === 'ascii' ? 'latin1' : 'utf8';
  }
  override callMethod(name: string, args: unknown[]): unknown {
    if (name === 'GetBytes') {
      const text = str(args[0]);
      chargeString(text.length);
      return bytesOf(Buffer.from(text, this.node));
    }
    if (name === 'GetString') {
      const bytes = args[0];
      if (!(bytes instanceof Uint8Array)) throw new CsException('ArgumentException', 'GetString expects a byte[].');
      chargeString(bytes.length);
      // read in place (no copy)
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString(this.node);
    }
    return NO_MEMBER;
  }
}

/** A Buffer's bytes as a plain byte[] (a view of the same memory: no copy). */
function bytesOf(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

const INTEGER = /^\s*[+-]?\d+\s*$/;

function parseInteger(v: unknown, min: number, max: number): number {
  if (typeof v === 'number') return Math.round(v);
  if (v === null || v === undefined) throw new CsException('ArgumentNullException', 'Value cannot be null.\r\nParameter name: s');
  const s = str(v);
  if (!INTEGER.test(s)) throw new CsException('FormatException', 'Input string was not in a correct format.');
  const n = Number(s.trim());
  if (n < min || n > max) throw new CsException('OverflowException', `Value was either too large or too small for ${max === 2147483647 ? 'an Int32' : 'an Int64'}.`);
  return n;
}

function parseDouble(v: unknown): number {
  if (typeof v === 'number') return v;
  const s = str(v).trim();
  const n = Number(s);
  if (Number.isNaN(n) || s === '') throw new CsException('FormatException', 'Input string was not in a correct format.');
  return n;
}

function parseBool(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  // Boolean.Parse: "True"/"False" in any case, surrounding white space allowed
  const s = str(v).trim().toLowerCase();
  if (s !== 'true' && s !== 'false') throw new CsException('FormatException', 'String was not recognized as a valid Boolean.');
  return s === 'true';
}

/** `T.TryParse(s, out result)`: the parse, or false and default(T) in `result`, never an exception. */
function tryParse(parse: (v: unknown) => unknown, fallback: unknown): Impl {
  return (_self, args) => {
    const out = args[args.length - 1];
    if (!(out instanceof Ref)) throw new CsException('ArgumentException', 'TryParse needs an out argument.');
    try {
      out.value = args[0] === null || args[0] === undefined ? fallback : parse(args[0]);
      return args[0] !== null && args[0] !== undefined;
    } catch (err) {
      if (!(err instanceof CsException) || err instanceof LimitExceeded) throw err;
      out.value = fallback;
      return false;
    }
  };
}

const int32 = (v: unknown): number => parseInteger(v, -2147483648, 2147483647);
// Int64's range as doubles (a JS number holds integers exactly only up to 2^53)
const int64 = (v: unknown): number => parseInteger(v, -(2 ** 63), 2 ** 63 - 1);

function numeric(type: string, parse: (v: unknown) => unknown, extra: TypeLibrary['properties'] = {}): TypeLibrary {
  return {
    type,
    source: `${RS}/${type.slice(7).toLowerCase()}.cs`,
    properties: extra,
    methods: {
      Parse: { overloads: ['(string)'], run: (_self, args) => parse(args[0]) },
      TryParse: { overloads: [`(string,${type === 'System.Boolean' ? 'bool' : type === 'System.Int32' ? 'int' : type === 'System.Int64' ? 'long' : 'double'})`], run: tryParse(parse, type === 'System.Boolean' ? false : 0) },
    },
  };
}

export const INT32 = numeric('System.Int32', int32, {
  MaxValue: { overloads: [''], run: () => 2147483647 },
  MinValue: { overloads: [''], run: () => -2147483648 },
});
export const INT64 = numeric('System.Int64', int64);
export const DOUBLE = numeric('System.Double', parseDouble);
export const BOOLEAN = numeric('System.Boolean', parseBool);

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export const CONVERT: TypeLibrary = {
  type: 'System.Convert',
  source: `${RS}/convert.cs`,
  methods: {
    ToBase64String: {
      overloads: ['(byte[])'],
      run: (_self, args) => {
        if (!(args[0] instanceof Uint8Array)) throw new CsException('ArgumentNullException', 'Value cannot be null.\r\nParameter name: inArray');
        chargeString(Math.ceil(args[0].length / 3) * 4);
        return Buffer.from(args[0]).toString('base64');
      },
    },
    FromBase64String: {
      overloads: ['(string)'],
      run: (_self, args) => {
        // white space is skipped (FromBase64CharPtr)
        let s = str(args[0]);
        if (/\s/.test(s)) s = s.replace(/\s/g, '');
        if (!BASE64.test(s) || s.length % 4 !== 0) throw new CsException('FormatException', 'The input is not a valid Base-64 string as it contains a non-base 64 character, more than two padding characters, or an illegal character among the padding characters.');
        chargeString(s.length);
        return bytesOf(Buffer.from(s, 'base64'));
      },
    },
    ToInt32: { overloads: ['(string)', '(object)', '(double)', '(long)'], run: (_self, args) => int32(args[0]) },
    ToInt64: { overloads: ['(string)', '(object)', '(double)', '(int)'], run: (_self, args) => int64(args[0]) },
    ToDouble: { overloads: ['(string)', '(object)', '(int)'], run: (_self, args) => parseDouble(args[0]) },
    ToString: { overloads: ['(object)', '(int)', '(bool)'], run: (_self, args) => str(args[0]) },
    ToBoolean: { overloads: ['(string)', '(object)'], run: (_self, args) => parseBool(args[0]) },
  },
};

const m1 =
  (f: (x: number) => number): Impl =>
  (_self, args) =>
    f(num(args[0]));

function bankersRound(n: number): number {
  const r = Math.round(n);
  return Math.abs(n % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export const MATH: TypeLibrary = {
  type: 'System.Math',
  source: `${RS}/math.cs`,
  properties: {
    PI: { overloads: [''], run: () => Math.PI },
  },
  methods: {
    Min: { overloads: ['(int,int)', '(long,long)', '(double,double)'], run: (_self, args) => Math.min(num(args[0]), num(args[1])) },
    Max: { overloads: ['(int,int)', '(long,long)', '(double,double)'], run: (_self, args) => Math.max(num(args[0]), num(args[1])) },
    Abs: { overloads: ['(int)', '(long)', '(double)'], run: m1(Math.abs) },
    Floor: { overloads: ['(double)'], run: m1(Math.floor) },
    Ceiling: { overloads: ['(double)'], run: m1(Math.ceil) },
    Round: { overloads: ['(double)', '(double,int)'], run: (_self, args) => (args.length > 1 ? Number(num(args[0]).toFixed(num(args[1]))) : bankersRound(num(args[0]))) },
    Pow: { overloads: ['(double,double)'], run: (_self, args) => Math.pow(num(args[0]), num(args[1])) },
  },
};

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const GUIDS: TypeLibrary = {
  type: 'System.Guid',
  source: `${RS}/guid.cs`,
  properties: {
    Empty: { overloads: [''], run: () => new CsGuid('00000000-0000-0000-0000-000000000000') },
  },
  methods: {
    NewGuid: { overloads: ['()'], run: () => new CsGuid(randomUUID()) },
    Parse: {
      overloads: ['(string)'],
      run: (_self, args) => {
        const s = str(args[0]).trim().toLowerCase();
        if (!GUID.test(s)) throw new CsException('FormatException', 'Unrecognized Guid format.');
        return new CsGuid(s);
      },
    },
    TryParse: {
      overloads: ['(string,Guid)'],
      run: (_self, args) => {
        const s = str(args[0]).trim().toLowerCase();
        const ok = GUID.test(s);
        if (args[1] instanceof Ref) args[1].value = new CsGuid(ok ? s : '00000000-0000-0000-0000-000000000000');
        return ok;
      },
    },
  },
};

// one instance each, as .NET's Encoding.UTF8/ASCII/Unicode are (an encoding holds no state)
const UTF8 = new CsEncoding('utf-8');
const ASCII = new CsEncoding('ascii');
const UNICODE = new CsEncoding('utf-16le');

export const ENCODING: TypeLibrary = {
  type: 'System.Text.Encoding',
  source: 'https://github.com/microsoft/referencesource/blob/master/mscorlib/system/text/encoding.cs',
  properties: {
    UTF8: { overloads: [''], run: () => UTF8 },
    ASCII: { overloads: [''], run: () => ASCII },
    Unicode: { overloads: [''], run: () => UNICODE },
  },
};

/** RFC 3986's unreserved characters: what Uri.EscapeDataString (.NET 4.5+) leaves as it is. */
const UNRESERVED = /^[A-Za-z0-9\-._~]*$/;
/** What encodeURIComponent leaves and EscapeDataString escapes. */
const SUB_DELIMS = /[!'()*]/g;

/** Whether encodeURIComponent left a sub-delimiter (`replace` with a callback is costly even when nothing matches). */
const HAS_SUB_DELIM = /[!'()*]/;

/** Uri.EscapeDataString: every character but the unreserved ones percent-encoded as UTF-8. */
function escapeDataString(text: string): string {
  if (UNRESERVED.test(text)) return text;
  const encoded = encodeURIComponent(text);
  if (!HAS_SUB_DELIM.test(encoded)) return encoded;
  return encoded.replace(SUB_DELIMS, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

export const URI: TypeLibrary = {
  type: 'System.Uri',
  source: 'https://github.com/microsoft/referencesource/blob/master/System/net/System/URI.cs',
  methods: {
    EscapeDataString: { overloads: ['(string)'], run: (_self, args) => escapeDataString(str(args[0])) },
    UnescapeDataString: { overloads: ['(string)'], run: (_self, args) => decodeURIComponent(str(args[0])) },
  },
};

export const WEBUTILITY: TypeLibrary = {
  type: 'System.Net.WebUtility',
  source: 'https://github.com/microsoft/referencesource/blob/master/System/net/System/Net/WebUtility.cs',
  methods: {
    UrlEncode: { overloads: ['(string)'], run: (_self, args) => encodeURIComponent(str(args[0])).replace(/%20/g, '+') },
    UrlDecode: { overloads: ['(string)'], run: (_self, args) => decodeURIComponent(str(args[0]).replace(/\+/g, ' ')) },
    HtmlEncode: { overloads: ['(string)'], run: (_self, args) => str(args[0]).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;') },
  },
};

/** StringComparison and StringSplitOptions members are their names. */
function enumOf(type: string, members: string[]): TypeLibrary {
  return { type, source: `${RS}/${type.slice(7).toLowerCase()}.cs`, properties: Object.fromEntries(members.map((n) => [n, { overloads: [''], run: () => n }])) };
}
export const STRING_COMPARISON = enumOf('System.StringComparison', ['CurrentCulture', 'CurrentCultureIgnoreCase', 'InvariantCulture', 'InvariantCultureIgnoreCase', 'Ordinal', 'OrdinalIgnoreCase']);
export const STRING_SPLIT_OPTIONS = enumOf('System.StringSplitOptions', ['None', 'RemoveEmptyEntries']);
