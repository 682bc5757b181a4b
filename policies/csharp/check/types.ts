/**
 * The checker's static types: C# types built from the type table (policies/csharp/library/), and
 * the implicit conversions between them (C# spec §10.2, "Implicit conversions":
 * https://learn.microsoft.com/en-us/dotnet/csharp/language-reference/language-specification/conversions#102-implicit-conversions).
 */
import type { TypeRef } from '../ast.js';
import { findType, type TypeSig, type TypeText } from '../library/index.js';

export type CType =
  /** a class, struct, interface or enum of the table, with its generic arguments */
  | { k: 'named'; sig: TypeSig; args: CType[] }
  | { k: 'array'; elem: CType; rank: number }
  /** `T?` for a value type T */
  | { k: 'nullable'; of: CType }
  /** Func<…> / Action<…> / Predicate<T> (delegates are typed structurally) */
  | { k: 'delegate'; params: CType[]; ret: CType }
  /** a generic parameter of the method being resolved */
  | { k: 'param'; name: string }
  | { k: 'anon'; members: Map<string, CType> }
  /** the null literal, a `default` literal, a throw expression: convert to anything fitting */
  | { k: 'null' }
  | { k: 'default' }
  | { k: 'throw' }
  | { k: 'void' }
  /** a type the table does not carry (yet) although APIM allows it: checked by name only */
  | { k: 'unknown' };

export const UNKNOWN: CType = { k: 'unknown' };
export const VOID: CType = { k: 'void' };
export const NULL: CType = { k: 'null' };

const NUMERIC = ['sbyte', 'byte', 'short', 'ushort', 'int', 'uint', 'long', 'ulong', 'char', 'float', 'double', 'decimal'] as const;
export type Numeric = (typeof NUMERIC)[number];

const ALIASES: Record<string, string> = {
  string: 'System.String', object: 'System.Object', bool: 'System.Boolean', char: 'System.Char', byte: 'System.Byte',
  sbyte: 'System.SByte', short: 'System.Int16', ushort: 'System.UInt16', int: 'System.Int32', uint: 'System.UInt32',
  long: 'System.Int64', ulong: 'System.UInt64', float: 'System.Single', double: 'System.Double', decimal: 'System.Decimal',
};
const ALIAS_OF: Record<string, string> = Object.fromEntries(Object.entries(ALIASES).map(([a, f]) => [f, a]));

/**
 * A predefined type the table lacks still exists in C#: a stand-in with no members (member
 * access on it is `unknown`, so nothing is refused for a gap in the table).
 */
const standIns = new Map<string, TypeSig>();
const STAND_IN = new WeakSet<TypeSig>();
function predefined(alias: string): TypeSig {
  const found = findType(alias) ?? findType(ALIASES[alias]!);
  if (found) return found;
  let s = standIns.get(alias);
  if (!s) {
    s = {
      fullName: ALIASES[alias]!, alias, kind: alias === 'string' || alias === 'object' ? 'class' : 'struct', constructors: [], methods: [],
      properties: [], fields: [], source: 'C# predefined type', apim: { source: 'C# predefined type' },
    };
    STAND_IN.add(s);
    standIns.set(alias, s);
  }
  return s;
}

/** True when the table has no signatures for this type (a stand-in): members are unchecked. */
export function isStandIn(sig: TypeSig): boolean {
  return STAND_IN.has(sig);
}

export function prim(alias: string): CType {
  return { k: 'named', sig: predefined(alias), args: [] };
}

export const STRING = prim('string');
export const OBJECT = prim('object');
export const BOOL = prim('bool');
export const INT = prim('int');
export const CHAR = prim('char');

/** The C# alias of a named type (`int` for System.Int32), or undefined. */
export function aliasOf(t: CType): string | undefined {
  if (t.k !== 'named') return undefined;
  return t.sig.alias ?? ALIAS_OF[t.sig.fullName];
}

export function numericOf(t: CType): Numeric | undefined {
  const a = aliasOf(t);
  return a !== undefined && (NUMERIC as readonly string[]).includes(a) ? (a as Numeric) : undefined;
}

export function isString(t: CType): boolean {
  return aliasOf(t) === 'string';
}
export function isBool(t: CType): boolean {
  return aliasOf(t) === 'bool';
}
export function isObject(t: CType): boolean {
  return aliasOf(t) === 'object';
}
export function isLoose(t: CType): boolean {
  return t.k === 'unknown' || (t.k === 'named' && isStandIn(t.sig) && aliasOf(t) === undefined);
}

export function isValueType(t: CType): boolean {
  if (t.k === 'nullable') return true;
  if (t.k !== 'named') return false;
  return t.sig.kind === 'struct' || t.sig.kind === 'enum';
}

export function isReferenceType(t: CType): boolean {
  return t.k === 'array' || t.k === 'delegate' || t.k === 'anon' || (t.k === 'named' && !isValueType(t));
}

/** The simple name of a full name, generic arguments dropped: 'System.Collections.Generic.List<T>' → 'List'. */
export function simpleName(fullName: string): string {
  const noArgs = fullName.replace(/<.*$/, '');
  return noArgs.slice(noArgs.lastIndexOf('.') + 1);
}

/** C# source text of a type, short names (`IEnumerable<char>`, `string[]`, `int?`). */
export function show(t: CType): string {
  switch (t.k) {
    case 'named': {
      const a = aliasOf(t);
      if (a) return a;
      const n = simpleName(t.sig.fullName);
      return t.args.length ? `${n}<${t.args.map(show).join(', ')}>` : n;
    }
    case 'array':
      return `${show(t.elem)}[${','.repeat(t.rank - 1)}]`;
    case 'nullable':
      return `${show(t.of)}?`;
    case 'delegate':
      return t.ret.k === 'void'
        ? t.params.length ? `Action<${t.params.map(show).join(', ')}>` : 'Action'
        : `Func<${[...t.params, t.ret].map(show).join(', ')}>`;
    case 'param':
      return t.name;
    case 'anon':
      return `new { ${[...t.members].map(([n, v]) => `${show(v)} ${n}`).join(', ')} }`;
    case 'null':
      return 'null';
    case 'default':
      return 'default';
    case 'throw':
      return 'throw';
    case 'void':
      return 'void';
    case 'unknown':
      return '?';
  }
}

export function same(a: CType, b: CType): boolean {
  if (a === b) return true;
  if (a.k !== b.k) return false;
  switch (a.k) {
    case 'named': {
      const bb = b as typeof a;
      return a.sig === bb.sig && a.args.length === bb.args.length && a.args.every((x, i) => same(x, bb.args[i]!));
    }
    case 'array':
      return a.rank === (b as typeof a).rank && same(a.elem, (b as typeof a).elem);
    case 'nullable':
      return same(a.of, (b as typeof a).of);
    case 'delegate': {
      const bb = b as typeof a;
      return same(a.ret, bb.ret) && a.params.length === bb.params.length && a.params.every((x, i) => same(x, bb.params[i]!));
    }
    case 'param':
      return a.name === (b as typeof a).name;
    case 'anon': {
      const bb = b as typeof a;
      return a.members.size === bb.members.size && [...a.members].every(([n, v]) => bb.members.has(n) && same(v, bb.members.get(n)!));
    }
    default:
      return true;
  }
}

// ---- type text ----------------------------------------------------------------------------

/** Parses the table's type text ('IEnumerable<TSource>', 'Func<T, bool>', 'string[]', 'int?'). */
export function parseTypeText(text: TypeText): TypeRef {
  let i = 0;
  const s = text.replace(/\s+/g, '');
  const one = (): TypeRef => {
    let name = '';
    while (i < s.length && /[A-Za-z0-9_.`]/.test(s[i]!)) name += s[i++];
    const args: TypeRef[] = [];
    if (s[i] === '<') {
      i++;
      for (;;) {
        args.push(one());
        if (s[i] === ',') {
          i++;
          continue;
        }
        i++; // '>'
        break;
      }
    }
    let nullable = false;
    if (s[i] === '?') {
      nullable = true;
      i++;
    }
    let array = 0;
    while (s[i] === '[') {
      while (s[i] !== ']' && i < s.length) i++;
      i++;
      array++;
    }
    return { name, args, array, nullable };
  };
  return one();
}

const DELEGATES = new Set(['Func', 'Action', 'Predicate', 'Comparison', 'Converter', 'System.Func', 'System.Action', 'System.Predicate']);

/**
 * Resolves a type as written. `scope` maps generic parameter names to types (a method's or a
 * type's parameters); `onMissing` says what a name outside the table becomes (undefined = none).
 */
export function resolveType(t: TypeRef, scope: ReadonlyMap<string, CType>, onMissing: (name: string) => CType | undefined = () => UNKNOWN): CType | undefined {
  let base: CType | undefined;
  const fromScope = t.args.length === 0 ? scope.get(t.name) : undefined;
  if (fromScope) base = fromScope;
  else if (ALIASES[t.name]) base = prim(t.name);
  else if (t.name === 'void') base = VOID;
  else if (DELEGATES.has(t.name)) {
    const args: CType[] = [];
    for (const a of t.args) {
      const r = resolveType(a, scope, onMissing);
      if (!r) return undefined;
      args.push(r);
    }
    const n = t.name.replace(/^System\./, '');
    if (n === 'Func') base = { k: 'delegate', params: args.slice(0, -1), ret: args[args.length - 1] ?? VOID };
    else if (n === 'Action') base = { k: 'delegate', params: args, ret: VOID };
    else if (n === 'Predicate') base = { k: 'delegate', params: args, ret: BOOL };
    else if (n === 'Comparison') base = { k: 'delegate', params: [args[0]!, args[0]!], ret: INT };
    else base = { k: 'delegate', params: [args[0]!], ret: args[1]! };
  } else if (t.name === 'Nullable' && t.args.length === 1) {
    const of = resolveType(t.args[0]!, scope, onMissing);
    if (!of) return undefined;
    base = { k: 'nullable', of };
  } else {
    const written = t.args.length ? `${t.name}<${t.args.map(() => 'T').join(',')}>` : t.name;
    const sig = findType(written);
    if (!sig) return onMissing(t.name);
    const args: CType[] = [];
    for (const a of t.args) {
      const r = resolveType(a, scope, onMissing);
      if (!r) return undefined;
      args.push(r);
    }
    // a generic type named without its arguments inside its own signatures: keep its parameters
    if (args.length === 0 && sig.typeParams?.length) for (const p of sig.typeParams) args.push(scope.get(p) ?? { k: 'param', name: p });
    base = { k: 'named', sig, args };
  }
  if (t.nullable && base.k !== 'unknown') base = isValueType(base) || base.k === 'param' ? { k: 'nullable', of: base } : base;
  for (let i = 0; i < t.array; i++) base = { k: 'array', elem: base, rank: 1 };
  return base;
}

/** The table's type text in a scope (generic parameters of the type, then of the method). */
export function fromText(text: TypeText, scope: ReadonlyMap<string, CType>): CType {
  return resolveType(parseTypeText(text), scope) ?? UNKNOWN;
}

/** Generic parameters of `t`'s declaration bound to its arguments. */
export function typeScope(t: CType): Map<string, CType> {
  const m = new Map<string, CType>();
  if (t.k === 'named' && t.sig.typeParams) t.sig.typeParams.forEach((p, i) => m.set(p, t.args[i] ?? UNKNOWN));
  return m;
}

/** Substitutes method generic parameters. */
export function subst(t: CType, bound: ReadonlyMap<string, CType>): CType {
  switch (t.k) {
    case 'param':
      return bound.get(t.name) ?? t;
    case 'named':
      return t.args.length ? { k: 'named', sig: t.sig, args: t.args.map((a) => subst(a, bound)) } : t;
    case 'array':
      return { k: 'array', elem: subst(t.elem, bound), rank: t.rank };
    case 'nullable':
      return { k: 'nullable', of: subst(t.of, bound) };
    case 'delegate':
      return { k: 'delegate', params: t.params.map((p) => subst(p, bound)), ret: subst(t.ret, bound) };
    default:
      return t;
  }
}

export function hasParams(t: CType): boolean {
  switch (t.k) {
    case 'param':
      return true;
    case 'named':
      return t.args.some(hasParams);
    case 'array':
      return hasParams(t.elem);
    case 'nullable':
      return hasParams(t.of);
    case 'delegate':
      return t.ret.k !== 'void' && hasParams(t.ret) ? true : t.params.some(hasParams) || hasParams(t.ret);
    default:
      return false;
  }
}

// ---- base types ---------------------------------------------------------------------------

function named(fullName: string, args: CType[]): CType | undefined {
  const sig = findType(fullName);
  return sig ? { k: 'named', sig, args } : undefined;
}

/** The direct base class and interfaces of `t`, with generic arguments substituted. */
export function supertypes(t: CType): CType[] {
  const out: CType[] = [];
  if (t.k === 'named') {
    const scope = typeScope(t);
    if (t.sig.base) out.push(fromText(t.sig.base, scope));
    else if (t.sig.kind === 'struct' || t.sig.kind === 'enum') {
      const vt = findType(t.sig.kind === 'enum' ? 'System.Enum' : 'System.ValueType');
      if (vt) out.push({ k: 'named', sig: vt, args: [] });
      else out.push(OBJECT);
    } else if (!isObject(t)) out.push(OBJECT);
    for (const i of t.sig.interfaces ?? []) out.push(fromText(i, scope));
  } else if (t.k === 'array') {
    const arr = named('System.Array', []);
    out.push(arr ?? OBJECT);
    for (const n of ['IList<T>', 'ICollection<T>', 'IEnumerable<T>', 'IReadOnlyList<T>', 'IReadOnlyCollection<T>']) {
      const x = named(n, [t.elem]);
      if (x) out.push(x);
    }
  } else if (t.k === 'delegate' || t.k === 'anon') out.push(OBJECT);
  return out.filter((x) => x.k !== 'unknown');
}

/** A key that tells types apart (full names), for caches. */
export function typeKey(t: CType): string {
  switch (t.k) {
    case 'named':
      return t.args.length ? `${t.sig.fullName}[${t.args.map(typeKey).join(',')}]` : t.sig.fullName;
    case 'array':
      return `${typeKey(t.elem)}[]`;
    case 'nullable':
      return `${typeKey(t.of)}?`;
    case 'delegate':
      return `(${t.params.map(typeKey).join(',')})=>${typeKey(t.ret)}`;
    case 'anon':
      return `{${[...t.members].map(([n, v]) => `${n}:${typeKey(v)}`).join(',')}}`;
    default:
      return show(t);
  }
}

const ANCESTORS = new Map<string, CType[]>();

/** `t` and every type it derives from or implements (breadth first, `t` first). Cached: the table never changes. */
export function ancestors(t: CType): CType[] {
  if (t.k === 'anon' || t.k === 'param') return computeAncestors(t);
  const key = typeKey(t);
  let a = ANCESTORS.get(key);
  if (!a) {
    if (ANCESTORS.size > 5000) ANCESTORS.clear();
    ANCESTORS.set(key, (a = computeAncestors(t)));
  }
  return a;
}

function computeAncestors(t: CType): CType[] {
  const out: CType[] = [t];
  for (let i = 0; i < out.length && i < 64; i++) {
    for (const s of supertypes(out[i]!)) if (!out.some((o) => same(o, s))) out.push(s);
  }
  return out;
}

/** The element type when `t` is or implements IEnumerable<X> (string → char), else undefined. */
export function enumerableElement(t: CType): CType | undefined {
  if (t.k === 'array') return t.elem;
  if (isString(t)) return CHAR;
  for (const a of ancestors(t)) {
    if (a.k === 'named' && simpleName(a.sig.fullName) === 'IEnumerable' && a.args.length === 1) return a.args[0];
  }
  return undefined;
}

// ---- conversions --------------------------------------------------------------------------

/** C# spec §10.2.3, implicit numeric conversions. */
const WIDENS: Record<Numeric, readonly Numeric[]> = {
  sbyte: ['short', 'int', 'long', 'float', 'double', 'decimal'],
  byte: ['short', 'ushort', 'int', 'uint', 'long', 'ulong', 'float', 'double', 'decimal'],
  short: ['int', 'long', 'float', 'double', 'decimal'],
  ushort: ['int', 'uint', 'long', 'ulong', 'float', 'double', 'decimal'],
  int: ['long', 'float', 'double', 'decimal'],
  uint: ['long', 'ulong', 'float', 'double', 'decimal'],
  long: ['float', 'double', 'decimal'],
  ulong: ['float', 'double', 'decimal'],
  char: ['ushort', 'int', 'uint', 'long', 'ulong', 'float', 'double', 'decimal'],
  float: ['double'],
  double: [],
  decimal: [],
};

export function numericWidens(from: Numeric, to: Numeric): boolean {
  return from === to || WIDENS[from].includes(to);
}

/** Covariant interfaces of the framework (`out T`): IEnumerable<out T>, IEnumerator<out T>, … */
const COVARIANT = new Set(['IEnumerable', 'IEnumerator', 'IReadOnlyList', 'IReadOnlyCollection', 'IQueryable', 'IGrouping', 'IOrderedEnumerable']);

/** Whether `from` converts implicitly to `to` (identity, numeric, nullable, reference, boxing). */
export function converts(from: CType, to: CType): boolean {
  if (from.k === 'unknown' || to.k === 'unknown' || isLoose(from) || isLoose(to)) return true;
  if (same(from, to)) return true;
  if (to.k === 'param' || from.k === 'param') return true;
  if (from.k === 'throw' || from.k === 'default') return to.k !== 'void';
  if (from.k === 'null') return isReferenceType(to) || to.k === 'nullable';
  if (to.k === 'void' || from.k === 'void') return false;
  if (to.k === 'nullable') return converts(from.k === 'nullable' ? from.of : from, to.of);
  if (from.k === 'nullable') return isObject(to) || (to.k === 'named' && to.sig.kind === 'interface' && converts(from.of, to));
  const fn = numericOf(from);
  const tn = numericOf(to);
  if (fn && tn) return numericWidens(fn, tn);
  if (from.k === 'delegate' && to.k === 'delegate') {
    return from.params.length === to.params.length && from.params.every((p, i) => same(p, to.params[i]!)) && (same(from.ret, to.ret) || (isReferenceType(from.ret) && converts(from.ret, to.ret)));
  }
  if (isObject(to)) return true;
  for (const a of ancestors(from)) {
    if (same(a, to)) return true;
    if (a.k === 'named' && to.k === 'named' && a.sig === to.sig && COVARIANT.has(simpleName(a.sig.fullName))) {
      if (a.args.every((x, i) => same(x, to.args[i]!) || (isReferenceType(x) && converts(x, to.args[i]!)))) return true;
    }
  }
  if (from.k === 'array' && to.k === 'array') return from.rank === to.rank && isReferenceType(from.elem) && converts(from.elem, to.elem);
  return false;
}

/** A literal int constant's conversion to a narrower integral type when it fits (§10.2.11). */
export function constantFits(value: number, to: CType): boolean {
  const n = numericOf(to.k === 'nullable' ? to.of : to);
  if (!n || !Number.isInteger(value)) return false;
  const ranges: Partial<Record<Numeric, [number, number]>> = {
    sbyte: [-128, 127], byte: [0, 255], short: [-32768, 32767], ushort: [0, 65535], uint: [0, 0xffffffff], ulong: [0, Number.MAX_SAFE_INTEGER],
  };
  const r = ranges[n];
  return r !== undefined && value >= r[0] && value <= r[1];
}
