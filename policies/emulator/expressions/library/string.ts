/**
 * System.String and System.Char as .NET Framework 4.8 has them.
 * https://github.com/microsoft/referencesource/blob/master/mscorlib/system/string.cs
 *
 * Culture-sensitive overloads (`StartsWith(string)`, `IndexOf(string)`, `ToUpper()`...) compare
 * ordinally here: the gateway's culture is not documented, and ordinal is what the invariant
 * culture gives for the ASCII text policies handle.
 */
import { chargeArray, chargeString, charge } from '../budget.js';
import { Ref, csFormat, enumerate, ignoresCase, joined, num, str } from '../core.js';
import { JwtValue } from '../jwt-value.js';
import { CsException, CsRecord } from '../values.js';
import type { Impl, TypeLibrary } from './types.js';

const SOURCE = 'https://github.com/microsoft/referencesource/blob/master/mscorlib/system/string.cs';

/** Char.IsWhiteSpace: Unicode Zs/Zl/Zp, U+0009–U+000D and U+0085 (not U+FEFF, which JS's \s has). */
const WHITESPACE = /^[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$/;
export function isWhiteSpace(c: string): boolean {
  return WHITESPACE.test(c);
}

const s = (self: unknown): string => self as string;

/** The chars of a `params char[]` argument list (`Trim('a', 'b')` or `Trim(new[] { 'a' })`). */
function charArgs(args: readonly unknown[]): string[] | null {
  const chars = args.flatMap((x) => (Array.isArray(x) ? x : x === null || x === undefined ? [] : [x])).map(str);
  return chars.length === 0 ? null : chars;
}

function trim(text: string, chars: string[] | null, head: boolean, tail: boolean): string {
  // Trim(null) / Trim(new char[0]) trim white space (TrimHelper)
  const isTrim = (c: string): boolean => (chars ? chars.includes(c) : isWhiteSpace(c));
  let a = 0;
  let b = text.length;
  if (head) while (a < b && isTrim(text[a]!)) a++;
  if (tail) while (b > a && isTrim(text[b - 1]!)) b--;
  return text.slice(a, b);
}

/**
 * String.Split as SplitInternal / InternalSplitKeepEmptyEntries / InternalSplitOmitEmptyEntries
 * do it: separators (chars, or strings tried in order at each position), at most `count`
 * pieces — the last holds the rest of the string, separators and all — and empty pieces kept
 * or removed.
 */
export function split(text: string, separators: string[] | null, count: number, omitEmpty: boolean): string[] {
  if (count < 0) throw new CsException('ArgumentOutOfRangeException', "Count cannot be less than zero.\r\nParameter name: count");
  if (count === 0 || (omitEmpty && text.length === 0)) return [];
  // MakeSeparatorList: where each separator starts and how long it is
  chargeString(text.length);
  const at: number[] = [];
  const len: number[] = [];
  const seps = separators?.filter((x) => x !== '') ?? [];
  if (separators === null || separators.length === 0) {
    for (let i = 0; i < text.length; i++) {
      if (isWhiteSpace(text[i]!)) {
        at.push(i);
        len.push(1);
      }
    }
  } else {
    charge(Math.ceil((text.length * seps.length) / 16));
    findSeparators(text, seps, at, len);
  }
  chargeArray(at.length + 1);
  if (at.length === 0 || count === 1) return [text];
  const out: string[] = [];
  let cur = 0;
  if (!omitEmpty) {
    const n = Math.min(at.length, count - 1);
    for (let i = 0; i < n && cur < text.length; i++) {
      out.push(text.slice(cur, at[i]));
      cur = at[i]! + len[i]!;
    }
    out.push(cur < text.length ? text.slice(cur) : '');
    return out;
  }
  for (let i = 0; i < at.length && cur < text.length; i++) {
    if (at[i]! - cur > 0) out.push(text.slice(cur, at[i]));
    cur = at[i]! + len[i]!;
    if (out.length === count - 1) {
      // if all the remaining entries at the end are empty, skip them
      while (i < at.length - 1 && cur === at[++i]) cur += len[i]!;
      break;
    }
  }
  if (cur < text.length) out.push(text.slice(cur));
  return out;
}

/**
 * Where the separators occur, as SplitInternal's scan finds them: from each position, the first
 * separator in list order that starts there wins and the scan goes on after it. Done with one
 * `indexOf` per separator (the next occurrence of each, renewed once the scan has passed it)
 * rather than a `startsWith` per character and separator — the same matches.
 */
function findSeparators(text: string, seps: readonly string[], at: number[], len: number[]): void {
  if (seps.length === 1) {
    const sep = seps[0]!;
    for (let i = text.indexOf(sep); i !== -1; i = text.indexOf(sep, i + sep.length)) {
      at.push(i);
      len.push(sep.length);
    }
    return;
  }
  const next = seps.map((sep) => text.indexOf(sep));
  for (;;) {
    let best = -1;
    for (let j = 0; j < next.length; j++) if (next[j]! !== -1 && (best === -1 || next[j]! < next[best]!)) best = j;
    if (best === -1) return;
    const i = next[best]!;
    const from = i + seps[best]!.length;
    at.push(i);
    len.push(seps[best]!.length);
    for (let j = 0; j < next.length; j++) if (next[j]! !== -1 && next[j]! < from) next[j] = text.indexOf(seps[j]!, from);
  }
}

const splitImpl: Impl = (self, args) => {
  // Split(params char[]), Split(char[], int), Split(char[], StringSplitOptions),
  // Split(char[], int, StringSplitOptions), Split(string[], StringSplitOptions), Split(string[], int, StringSplitOptions)
  let count = 2147483647;
  let omit = false;
  let seps: string[] | null;
  const rest = [...args];
  if (rest.length > 0 && (rest[rest.length - 1] === 'RemoveEmptyEntries' || rest[rest.length - 1] === 'None') && rest.length >= 2) omit = rest.pop() === 'RemoveEmptyEntries';
  if (rest.length === 2 && typeof rest[1] === 'number') count = rest.pop() as number;
  if (rest.length === 1 && (Array.isArray(rest[0]) || rest[0] === null)) seps = rest[0] === null ? null : (rest[0] as unknown[]).map(str);
  else seps = rest.map(str); // params char[] expanded
  return split(s(self), seps, count, omit);
};

function padded(left: boolean): Impl {
  return (self, args) => {
    const width = num(args[0]);
    // "Non-negative number required." (PadLeft/PadRight: totalWidth < 0)
    if (width < 0) throw new CsException('ArgumentOutOfRangeException', 'Non-negative number required.\r\nParameter name: totalWidth');
    chargeString(width);
    const pad = args.length > 1 ? str(args[1]) : ' ';
    return left ? s(self).padStart(width, pad) : s(self).padEnd(width, pad);
  };
}

function outOfRange(param: string, message = 'Index and length must refer to a location within the string.'): CsException {
  return new CsException('ArgumentOutOfRangeException', `${message}\r\nParameter name: ${param}`);
}

const sameCase = (a: string, args: readonly unknown[], at: number): [string, boolean] => [a, ignoresCase(args[at])];

export const STRING: TypeLibrary = {
  type: 'System.String',
  source: SOURCE,
  properties: {
    Length: { overloads: [''], run: (self) => s(self).length },
    Empty: { overloads: [''], run: () => '' },
  },
  methods: {
    ToLower: { overloads: ['()', '(CultureInfo)'], run: (self) => (chargeString(s(self).length), s(self).toLowerCase()) },
    ToLowerInvariant: { overloads: ['()'], run: (self) => (chargeString(s(self).length), s(self).toLowerCase()) },
    ToUpper: { overloads: ['()', '(CultureInfo)'], run: (self) => (chargeString(s(self).length), s(self).toUpperCase()) },
    ToUpperInvariant: { overloads: ['()'], run: (self) => (chargeString(s(self).length), s(self).toUpperCase()) },
    Trim: { overloads: ['()', '(char[])'], run: (self, args) => trim(s(self), charArgs(args), true, true) },
    TrimStart: { overloads: ['(char[])'], run: (self, args) => trim(s(self), charArgs(args), true, false) },
    TrimEnd: { overloads: ['(char[])'], run: (self, args) => trim(s(self), charArgs(args), false, true) },
    Split: {
      overloads: ['(char[])', '(char[],int)', '(char[],StringSplitOptions)', '(char[],int,StringSplitOptions)', '(string[],StringSplitOptions)', '(string[],int,StringSplitOptions)'],
      run: splitImpl,
    },
    StartsWith: {
      overloads: ['(string)', '(string,StringComparison)'],
      run: (self, args) => {
        const [v, ic] = sameCase(str(args[0]), args, 1);
        return ic ? s(self).toLowerCase().startsWith(v.toLowerCase()) : s(self).startsWith(v);
      },
    },
    EndsWith: {
      overloads: ['(string)', '(string,StringComparison)'],
      run: (self, args) => {
        const [v, ic] = sameCase(str(args[0]), args, 1);
        return ic ? s(self).toLowerCase().endsWith(v.toLowerCase()) : s(self).endsWith(v);
      },
    },
    Contains: { overloads: ['(string)'], run: (self, args) => s(self).includes(str(args[0])) },
    IndexOf: {
      overloads: ['(char)', '(char,int)', '(string)', '(string,int)', '(string,StringComparison)', '(string,int,StringComparison)'],
      run: (self, args) => {
        const ic = ignoresCase(args[args.length - 1]);
        const hay = ic ? s(self).toLowerCase() : s(self);
        const needle = ic ? str(args[0]).toLowerCase() : str(args[0]);
        return typeof args[1] === 'number' ? hay.indexOf(needle, args[1]) : hay.indexOf(needle);
      },
    },
    LastIndexOf: {
      overloads: ['(char)', '(string)', '(string,StringComparison)'],
      run: (self, args) => {
        const ic = ignoresCase(args[args.length - 1]);
        return ic ? s(self).toLowerCase().lastIndexOf(str(args[0]).toLowerCase()) : s(self).lastIndexOf(str(args[0]));
      },
    },
    IndexOfAny: { overloads: ['(char[])'], run: (self, args) => [...s(self)].findIndex((c) => charArgs(args)?.includes(c)) },
    Substring: {
      overloads: ['(int)', '(int,int)'],
      run: (self, args) => {
        const text = s(self);
        const start = num(args[0]);
        if (start < 0 || start > text.length) throw outOfRange('startIndex', 'startIndex cannot be larger than length of string.');
        const length = args.length > 1 ? num(args[1]) : text.length - start;
        if (length < 0 || start + length > text.length) throw outOfRange('length');
        return text.substr(start, length);
      },
    },
    Replace: {
      overloads: ['(char,char)', '(string,string)'],
      run: (self, args) => {
        const text = s(self);
        const from = args[0] === null ? null : str(args[0]);
        // "String cannot be of zero length." / ArgumentNullException for a null oldValue
        if (from === null) throw new CsException('ArgumentNullException', 'Value cannot be null.\r\nParameter name: oldValue');
        if (from === '') throw new CsException('ArgumentException', 'String cannot be of zero length.\r\nParameter name: oldValue');
        const to = args[1] === null ? '' : str(args[1]);
        chargeString(text.length);
        // the occurrences counted first (no copy), so the result's size is charged before it is built
        let count = 0;
        for (let at = text.indexOf(from); at >= 0; at = text.indexOf(from, at + from.length)) count++;
        chargeString(text.length + count * (to.length - from.length));
        if (count === 0) return text;
        // replaceAll would read `$` patterns in the replacement: split/join then
        return to.includes('$') ? text.split(from).join(to) : text.replaceAll(from, to);
      },
    },
    Equals: {
      overloads: ['(object)', '(string)', '(string,StringComparison)'],
      run: (self, args) => (ignoresCase(args[1]) ? typeof args[0] === 'string' && s(self).toLowerCase() === args[0].toLowerCase() : s(self) === args[0]),
    },
    CompareTo: { overloads: ['(object)', '(string)'], run: (self, args) => (s(self) < str(args[0]) ? -1 : s(self) > str(args[0]) ? 1 : 0) },
    PadLeft: { overloads: ['(int)', '(int,char)'], run: padded(true) },
    PadRight: { overloads: ['(int)', '(int,char)'], run: padded(false) },
    Insert: {
      overloads: ['(int,string)'],
      run: (self, args) => {
        const at = num(args[0]);
        if (at < 0 || at > s(self).length) throw outOfRange('startIndex');
        chargeString(s(self).length + str(args[1]).length);
        return s(self).slice(0, at) + str(args[1]) + s(self).slice(at);
      },
    },
    Remove: {
      overloads: ['(int)', '(int,int)'],
      run: (self, args) => {
        const text = s(self);
        const at = num(args[0]);
        const n = args.length > 1 ? num(args[1]) : text.length - at;
        if (at < 0 || n < 0 || at + n > text.length) throw outOfRange('startIndex');
        return text.slice(0, at) + text.slice(at + n);
      },
    },
    ToCharArray: { overloads: ['()'], run: (self) => (chargeArray(s(self).length), [...s(self)]) },
    GetHashCode: { overloads: ['()'], run: (self) => hashCode(s(self)) },
    Normalize: { overloads: ['()'], run: (self) => s(self).normalize() },
    ToString: { overloads: ['()'], run: (self) => s(self) },
    // static
    Join: {
      overloads: ['(string,string[])', '(string,object[])', '(string,IEnumerable<string>)', '(string,IEnumerable<T>)'],
      run: (_self, args) => {
        const items = args.length === 2 ? enumerate(args[1]) : args.slice(1);
        return joined(items.map(str), str(args[0]));
      },
    },
    Concat: {
      overloads: ['(object)', '(object,object)', '(object,object,object)', '(string,string)', '(string,string,string)', '(string,string,string,string)', '(object[])', '(string[])', '(IEnumerable<string>)'],
      run: (_self, args) => joined((args.length === 1 && Array.isArray(args[0]) ? args[0] : args).map(str), ''),
    },
    Format: {
      overloads: ['(string,object)', '(string,object,object)', '(string,object,object,object)', '(string,object[])'],
      run: (_self, args) => csFormat(str(args[0]), args.length === 2 && Array.isArray(args[1]) ? args[1] : args.slice(1)),
    },
    IsNullOrEmpty: { overloads: ['(string)'], run: (_self, args) => args[0] === null || args[0] === undefined || args[0] === '' },
    IsNullOrWhiteSpace: { overloads: ['(string)'], run: (_self, args) => args[0] === null || args[0] === undefined || [...str(args[0])].every(isWhiteSpace) },
    Compare: {
      overloads: ['(string,string)', '(string,string,bool)', '(string,string,StringComparison)'],
      run: (_self, args) => {
        const [x, y] = ignoresCase(args[2]) ? [str(args[0]).toLowerCase(), str(args[1]).toLowerCase()] : [str(args[0]), str(args[1])];
        return x < y ? -1 : x > y ? 1 : 0;
      },
    },
    CompareOrdinal: { overloads: ['(string,string)'], run: (_self, args) => (str(args[0]) < str(args[1]) ? -1 : str(args[0]) > str(args[1]) ? 1 : 0) },
  },
};

/** `Equals` has a static overload too: `string.Equals(a, b[, comparison])`. */
export const STRING_STATIC_EQUALS: Impl = (_self, args) => (ignoresCase(args[2]) ? str(args[0]).toLowerCase() === str(args[1]).toLowerCase() : args[0] === args[1]);

/** APIM's string extension methods (policy-expressions page): AsJwt(), AsBasic(). */
export const STRING_EXTENSIONS: TypeLibrary = {
  type: 'PolicyExpressionExtensions',
  source: 'https://learn.microsoft.com/en-us/azure/api-management/api-management-policy-expressions#ContextVariables',
  methods: {
    AsJwt: { overloads: ['(string)'], run: (self) => JwtValue.decode(s(self)) },
    TryParseJwt: { overloads: ['(string,Jwt)'], run: (self, args) => outcome(args[0], JwtValue.decode(s(self))) },
    TryParseBasic: { overloads: ['(string,BasicAuthCredentials)'], run: (self, args) => outcome(args[0], basic(s(self))) },
    AsBasic: { overloads: ['(string)'], run: (self) => basic(s(self)) },
  },
};

/** `TryParse…(out result)`: sets the out variable, true when there is one. */
function outcome(out: unknown, value: unknown): boolean {
  if (out instanceof Ref) out.value = value;
  return value !== null;
}

/** "Basic base64(user:password)" or the bare base64 part, as BasicAuthCredentials, or null. */
function basic(text: string): CsRecord | null {
  const m = /^(?:Basic\s+)?([A-Za-z0-9+/]+={0,2})$/i.exec(text.trim());
  if (!m) return null;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  return i < 0 ? null : new CsRecord('BasicAuthCredentials', { UserId: decoded.slice(0, i), Password: decoded.slice(i + 1) });
}

/** A stable 32-bit hash (string.GetHashCode's role: seeding Random, bucketing). */
export function hashCode(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) | 0;
  return h;
}

export const CHAR: TypeLibrary = {
  type: 'System.Char',
  source: 'https://github.com/microsoft/referencesource/blob/master/mscorlib/system/char.cs',
  methods: {
    IsDigit: { overloads: ['(char)'], run: (_self, args) => /^[0-9]$/.test(str(args[0])) },
    IsLetter: { overloads: ['(char)'], run: (_self, args) => /^\p{L}$/u.test(str(args[0])) },
    IsLetterOrDigit: { overloads: ['(char)'], run: (_self, args) => /^[\p{L}\p{Nd}]$/u.test(str(args[0])) },
    IsWhiteSpace: { overloads: ['(char)'], run: (_self, args) => isWhiteSpace(str(args[0])) },
    IsUpper: { overloads: ['(char)'], run: (_self, args) => /^\p{Lu}$/u.test(str(args[0])) },
    IsLower: { overloads: ['(char)'], run: (_self, args) => /^\p{Ll}$/u.test(str(args[0])) },
    ToUpper: { overloads: ['(char)'], run: (_self, args) => str(args[0]).toUpperCase() },
    ToLower: { overloads: ['(char)'], run: (_self, args) => str(args[0]).toLowerCase() },
  },
};

