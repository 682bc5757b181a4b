// Extracts the public surface of C# types from C# source text: a small declaration scanner
// (preprocessor → tokens → type and member declarations), enough for the .NET Framework reference
// source (github.com/microsoft/referencesource) and Newtonsoft.Json's source. Method bodies are
// skipped by brace matching; only declarations are read.
import type { ExtractedType } from '../../policies/csharp/library/extracted.js';
import type { FieldSig, MethodSig, ParamSig, PropertySig, TypeSig } from '../../policies/csharp/library/types.js';

export type { ExtractedType };

/** Conditional-compilation symbols of the .NET Framework 4.8 desktop build of the reference source
 *  (its `#if` blocks; anything not listed is undefined: FEATURE_CORECLR, FEATURE_PAL, FEATURE_NETCORE,
 *  SILVERLIGHT, FEATURE_LEGACYNETCF, …). The reference source carries no build files to read them
 *  from; each one listed guards members that the desktop framework's API pages show (String's
 *  IEnumerable<char>, Array.IndexOf<T>, Encoding.ASCII, X509Certificate's SecureString overloads, …). */
export const DESKTOP_SYMBOLS: ReadonlySet<string> = new Set([
  'WIN32', 'GENERICS_WORK', 'ARRAY_GENERIC_METHODS', 'FEATURE_RANDOMIZED_STRING_HASHING', 'FEATURE_COMINTEROP',
  'FEATURE_SERIALIZATION', 'FEATURE_REMOTING', 'FEATURE_CAS_POLICY', 'FEATURE_UTF32', 'FEATURE_UTF7', 'FEATURE_ASCII',
  'FEATURE_LATIN1', 'FEATURE_CODEPAGES_FILE', 'FEATURE_MACL', 'FEATURE_CRYPTO', 'FEATURE_X509',
  'FEATURE_X509_SECURESTRINGS', 'FEATURE_EXCEPTIONDISPATCHINFO', 'FEATURE_WIN32_REGISTRY', 'FEATURE_APPX',
  'FEATURE_ASYNC_IO',
]);

/** The symbols a csproj defines for one target framework (Newtonsoft.Json's net45 build). */
export function csprojSymbols(csproj: string, targetFramework: string): Set<string> {
  const group = new RegExp(`<PropertyGroup Condition="'\\$\\(TargetFramework\\)'=='${targetFramework}'">([\\s\\S]*?)</PropertyGroup>`).exec(csproj);
  const defines = group === null ? null : /<DefineConstants>([^<]*)<\/DefineConstants>/.exec(group[1]!);
  if (defines === null) throw new Error(`no DefineConstants for ${targetFramework}`);
  return new Set(defines[1]!.split(';').map((x) => x.trim()).filter((x) => x !== '' && !x.startsWith('$(')));
}

// ---------------------------------------------------------------- preprocessor
function evalCondition(expr: string, defined: ReadonlySet<string>): boolean {
  const toks = expr.match(/[A-Za-z_][A-Za-z0-9_]*|&&|\|\||==|!=|[!()]/g) ?? [];
  let i = 0;
  const primary = (): boolean => {
    const t = toks[i++];
    if (t === '!') return !primary();
    if (t === '(') {
      const v = or();
      i++; // ')'
      return v;
    }
    if (t === 'true') return true;
    if (t === 'false') return false;
    return t !== undefined && defined.has(t);
  };
  const eq = (): boolean => {
    let v = primary();
    while (toks[i] === '==' || toks[i] === '!=') {
      const op = toks[i++];
      const r = primary();
      v = op === '==' ? v === r : v !== r;
    }
    return v;
  };
  const and = (): boolean => {
    let v = eq();
    while (toks[i] === '&&') {
      i++;
      const r = eq();
      v = v && r;
    }
    return v;
  };
  const or = (): boolean => {
    let v = and();
    while (toks[i] === '||') {
      i++;
      const r = and();
      v = v || r;
    }
    return v;
  };
  return or();
}

/** Removes inactive `#if` branches and every directive line (kept as blank lines). */
export function preprocess(text: string, symbols: ReadonlySet<string>): string {
  const defined = new Set(symbols);
  const out: string[] = [];
  // each frame: [active, anyBranchTaken, parentActive]
  const stack: [boolean, boolean, boolean][] = [];
  const active = (): boolean => (stack.length === 0 ? true : stack[stack.length - 1]![0]);
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*#\s*(if|elif|else|endif|define|undef)\b(.*)$/.exec(line);
    if (m === null) {
      const other = /^\s*#\s*(region|endregion|pragma|line|error|warning|nullable)\b/.test(line);
      out.push(active() && !other ? line : '');
      continue;
    }
    const cond = (m[2] ?? '').replace(/\/\/.*$/, '');
    switch (m[1]) {
      case 'if': {
        const parent = active();
        const v = parent && evalCondition(cond, defined);
        stack.push([v, v, parent]);
        break;
      }
      case 'elif': {
        const f = stack[stack.length - 1]!;
        const v = f[2] && !f[1] && evalCondition(cond, defined);
        f[0] = v;
        f[1] = f[1] || v;
        break;
      }
      case 'else': {
        const f = stack[stack.length - 1]!;
        f[0] = f[2] && !f[1];
        f[1] = true;
        break;
      }
      case 'endif':
        stack.pop();
        break;
      case 'define':
        if (active()) defined.add(cond.trim());
        break;
      case 'undef':
        if (active()) defined.delete(cond.trim());
        break;
    }
    out.push('');
  }
  return out.join('\n');
}

// ---------------------------------------------------------------- tokens
interface Tok {
  t: string;
  kind: 'id' | 'num' | 'str' | 'punct';
}

export function tokenize(src: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  const n = src.length;
  while (i < n) {
    const c = src[i]!;
    if (/\s/.test(c) || c === '\uFEFF') {
      i++;
    } else if (c === '/' && src[i + 1] === '/') {
      while (i < n && src[i] !== '\n') i++;
    } else if (c === '/' && src[i + 1] === '*') {
      const e = src.indexOf('*/', i + 2);
      i = e < 0 ? n : e + 2;
    } else if ((c === '@' || c === '$') && (src[i + 1] === '"' || ((src[i + 1] === '@' || src[i + 1] === '$') && src[i + 2] === '"'))) {
      const start = i;
      const verbatim = src.slice(i, i + 3).includes('@');
      i = src.indexOf('"', i) + 1;
      while (i < n) {
        if (src[i] === '"') {
          if (verbatim && src[i + 1] === '"') i += 2;
          else {
            i++;
            break;
          }
        } else if (!verbatim && src[i] === '\\') i += 2;
        else i++;
      }
      toks.push({ t: src.slice(start, i), kind: 'str' });
    } else if (c === '"' || c === "'") {
      const start = i++;
      while (i < n && src[i] !== c) i += src[i] === '\\' ? 2 : 1;
      i++;
      toks.push({ t: src.slice(start, i), kind: 'str' });
    } else if (/[A-Za-z_@]/.test(c)) {
      const start = i++;
      while (i < n && /[A-Za-z0-9_]/.test(src[i]!)) i++;
      toks.push({ t: src.slice(start, i).replace(/^@/, ''), kind: 'id' });
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      const start = i++;
      while (i < n && /[0-9A-Za-z_.]/.test(src[i]!)) {
        if (src[i] === '.' && !/[0-9]/.test(src[i + 1] ?? '')) break;
        i++;
      }
      toks.push({ t: src.slice(start, i), kind: 'num' });
    } else {
      const two = src.slice(i, i + 2);
      if (['=>', '::', '??', '?.', '==', '!=', '<=', '>=', '&&', '||', '++', '--', '+=', '-=', '<<'].includes(two)) {
        toks.push({ t: two, kind: 'punct' });
        i += 2;
      } else {
        toks.push({ t: c, kind: 'punct' });
        i++;
      }
    }
  }
  return toks;
}

// ---------------------------------------------------------------- type text
const ALIASES: Record<string, string> = {
  String: 'string', Int32: 'int', Char: 'char', Boolean: 'bool', Object: 'object', Int64: 'long',
  Double: 'double', Byte: 'byte', Decimal: 'decimal', Single: 'float', Int16: 'short',
  UInt16: 'ushort', UInt32: 'uint', UInt64: 'ulong', SByte: 'sbyte', Void: 'void',
};
export const KEYWORD_OF: Readonly<Record<string, string>> = ALIASES;

/** Namespace segments dropped from qualified type names (type texts use simple names). */
const NAMESPACE_SEGMENTS = new Set([
  'System', 'Collections', 'Generic', 'ObjectModel', 'Globalization', 'Text', 'RegularExpressions',
  'Runtime', 'Serialization', 'Security', 'Cryptography', 'X509Certificates', 'Linq', 'Xml', 'IO',
  'Threading', 'Tasks', 'Net', 'InteropServices', 'CompilerServices', 'Reflection', 'Newtonsoft',
  'Json', 'ComponentModel', 'Specialized', 'Dynamic', 'Expressions', 'Schema', 'Diagnostics',
  'Contracts', 'Utilities', 'Converters', 'Bson', 'Numerics', 'global',
]);

/** Joins type tokens as C# source text, keyword aliases for the built-in types. */
export function typeText(toks: readonly string[]): string {
  const parts: string[] = [];
  // drop namespace qualifiers: a run `Ns . Ns . Name` keeps Name
  const cleaned: string[] = [];
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]!;
    if ((NAMESPACE_SEGMENTS.has(t) && (toks[i + 1] === '.' || toks[i + 1] === '::')) && (i === 0 || !/^[A-Za-z0-9_]$|^[A-Za-z_][A-Za-z0-9_]*$/.test(toks[i - 1] ?? '') || toks[i - 1] === undefined)) {
      if (cleaned.length === 0 || cleaned[cleaned.length - 1] !== '.') {
        i++; // skip the dot too
        continue;
      }
    }
    cleaned.push(t);
  }
  for (let i = 0; i < cleaned.length; i++) {
    let t = cleaned[i]!;
    const prevDot = cleaned[i - 1] === '.';
    if (!prevDot && ALIASES[t] !== undefined && cleaned[i + 1] !== '.') t = ALIASES[t]!;
    if (t === ',') parts.push(', ');
    else parts.push(t);
  }
  return parts.join('');
}

// ---------------------------------------------------------------- declarations
const MODIFIERS = new Set([
  'public', 'private', 'protected', 'internal', 'static', 'readonly', 'const', 'virtual',
  'override', 'abstract', 'sealed', 'new', 'extern', 'unsafe', 'volatile', 'partial', 'async',
  'implicit', 'explicit', 'fixed',
]);

const OPERATOR_NAMES: Record<string, [string, string]> = {
  // [unary name, binary name]
  '+': ['op_UnaryPlus', 'op_Addition'], '-': ['op_UnaryNegation', 'op_Subtraction'],
  '!': ['op_LogicalNot', 'op_LogicalNot'], '~': ['op_OnesComplement', 'op_OnesComplement'],
  '++': ['op_Increment', 'op_Increment'], '--': ['op_Decrement', 'op_Decrement'],
  true: ['op_True', 'op_True'], false: ['op_False', 'op_False'],
  '*': ['op_Multiply', 'op_Multiply'], '/': ['op_Division', 'op_Division'], '%': ['op_Modulus', 'op_Modulus'],
  '&': ['op_BitwiseAnd', 'op_BitwiseAnd'], '|': ['op_BitwiseOr', 'op_BitwiseOr'], '^': ['op_ExclusiveOr', 'op_ExclusiveOr'],
  '<<': ['op_LeftShift', 'op_LeftShift'], '>>': ['op_RightShift', 'op_RightShift'],
  '==': ['op_Equality', 'op_Equality'], '!=': ['op_Inequality', 'op_Inequality'],
  '<': ['op_LessThan', 'op_LessThan'], '>': ['op_GreaterThan', 'op_GreaterThan'],
  '<=': ['op_LessThanOrEqual', 'op_LessThanOrEqual'], '>=': ['op_GreaterThanOrEqual', 'op_GreaterThanOrEqual'],
};

export interface ExtractOptions {
  /** URL recorded as every extracted type's `source` */
  source: string;
  /** only these full names (generic names written 'List<T>' style) are kept; others are skipped */
  want?: (fullName: string) => boolean;
}

/** Splits tokens at top-level commas (outside <>, (), [], {}). */
function splitTop(toks: readonly string[], sep = ','): string[][] {
  const out: string[][] = [];
  let cur: string[] = [];
  let depth = 0;
  for (const t of toks) {
    if (t === '<' || t === '(' || t === '[' || t === '{') depth++;
    else if (t === '>' || t === ')' || t === ']' || t === '}') depth--;
    if (t === sep && depth === 0) {
      out.push(cur);
      cur = [];
    } else cur.push(t);
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/** Skips leading `[...]` attribute sections. */
function skipAttributes(toks: readonly string[]): string[] {
  let i = 0;
  while (toks[i] === '[') {
    let d = 0;
    for (; i < toks.length; i++) {
      if (toks[i] === '[') d++;
      else if (toks[i] === ']' && --d === 0) {
        i++;
        break;
      }
    }
  }
  return toks.slice(i);
}

/** Reads a type at toks[i]: `Name(.Name)*(<...>)?(?)?([,*])*`; returns [typeTokens, next index]. */
function readType(toks: readonly string[], i: number): [string[], number] {
  const start = i;
  if (toks[i] === '(') {
    // tuple type (C# 7) – read balanced
    let d = 0;
    for (; i < toks.length; i++) {
      if (toks[i] === '(') d++;
      else if (toks[i] === ')' && --d === 0) {
        i++;
        break;
      }
    }
  } else {
    i++; // name
    for (;;) {
      if (toks[i] === '<') {
        let d = 0;
        for (; i < toks.length; i++) {
          if (toks[i] === '<') d++;
          else if (toks[i] === '>' && --d === 0) {
            i++;
            break;
          }
        }
      }
      if ((toks[i] === '.' || toks[i] === '::') && /^[A-Za-z_]/.test(toks[i + 1] ?? '')) {
        i += 2;
        continue;
      }
      break;
    }
  }
  for (;;) {
    if (toks[i] === '?' || toks[i] === '*') i++;
    else if (toks[i] === '[' && (toks[i + 1] === ']' || toks[i + 1] === ',')) {
      while (toks[i] !== ']') i++;
      i++;
    } else break;
  }
  return [toks.slice(start, i), i];
}

function parseParams(toks: readonly string[], ctx: TypeCtx): ParamSig[] | null {
  const out: ParamSig[] = [];
  for (const raw of splitTop(toks)) {
    const p = skipAttributes(raw);
    if (p.length === 0) continue;
    if (p[0] === '__arglist') return null;
    let i = 0;
    let modifier: ParamSig['modifier'];
    while (['params', 'out', 'ref', 'this', 'in'].includes(p[i]!)) {
      const m = p[i++]!;
      if (m === 'in') modifier = 'ref';
      else modifier = m as ParamSig['modifier'];
    }
    const [ty, j] = readType(p, i);
    if (ty.includes('*')) return null; // pointer parameter: unsafe code, not expressible in APIM
    const name = p[j] ?? `arg${out.length}`;
    const param: ParamSig = { name, type: ctx.qualify(typeText(ty)) };
    if (modifier !== undefined) param.modifier = modifier;
    if (p[j + 1] === '=') param.default = typeText(p.slice(j + 2)).replace(/, /g, ', ');
    out.push(param);
  }
  return out;
}

interface TypeCtx {
  fullName: string;
  simpleName: string;
  kind: TypeSig['kind'];
  isInterface: boolean;
  isEnum: boolean;
  isPublic: boolean;
  nested: Set<string>;
  qualify: (t: string) => string;
  sig: ExtractedType;
}

/** Extracts every public type declared in `text` (after preprocessing). */
export function extractTypes(text: string, opts: ExtractOptions): ExtractedType[] {
  const toks = tokenize(text).map((t) => t.t);
  const found: ExtractedType[] = [];
  const nsStack: { ns: string; depth: number }[] = [];
  const typeStack: { ctx: TypeCtx; depth: number }[] = [];
  let depth = 0;
  let i = 0;
  let pendingNs: string | null = null;
  // nested type names declared anywhere in the file, so member type texts can be qualified
  const nestedNames = new Map<string, string>(); // simple nested name -> Outer.Nested (first seen)
  {
    // pre-scan: `class|struct|enum|interface Name` inside another type body
    let d = 0;
    const owners: { name: string; depth: number }[] = [];
    for (let k = 0; k < toks.length; k++) {
      const t = toks[k]!;
      if (t === '{') d++;
      else if (t === '}') {
        d--;
        while (owners.length > 0 && owners[owners.length - 1]!.depth > d) owners.pop();
      } else if (['class', 'struct', 'interface', 'enum'].includes(t) && /^[A-Z_a-z]/.test(toks[k + 1] ?? '') && toks[k - 1] !== ':' && toks[k - 1] !== ',' && toks[k - 1] !== '.') {
        const name = toks[k + 1]!;
        const outer = owners[owners.length - 1];
        if (outer !== undefined && !nestedNames.has(name)) nestedNames.set(name, outer.name);
        // the owner body opens at the next '{'
        let m = k + 2;
        while (m < toks.length && toks[m] !== '{' && toks[m] !== ';') m++;
        if (toks[m] === '{') owners.push({ name: outer === undefined ? name : `${outer.name}.${name}`, depth: d + 1 });
      }
    }
  }

  const currentNs = (): string => nsStack.map((n) => n.ns).join('.');

  while (i < toks.length) {
    const t = toks[i]!;
    if (t === 'namespace') {
      let j = i + 1;
      const parts: string[] = [];
      while (toks[j] !== '{' && toks[j] !== ';') parts.push(toks[j++]!);
      pendingNs = parts.join('');
      if (toks[j] === ';') {
        nsStack.push({ ns: pendingNs, depth: -1 }); // file-scoped namespace
        pendingNs = null;
        i = j + 1;
        continue;
      }
      i = j;
      continue;
    }
    if (t === '{') {
      depth++;
      if (pendingNs !== null) {
        nsStack.push({ ns: pendingNs, depth });
        pendingNs = null;
      }
      i++;
      continue;
    }
    if (t === '}') {
      while (nsStack.length > 0 && nsStack[nsStack.length - 1]!.depth === depth) nsStack.pop();
      while (typeStack.length > 0 && typeStack[typeStack.length - 1]!.depth === depth) typeStack.pop();
      depth--;
      i++;
      continue;
    }
    if (t === 'using' && typeStack.length === 0) {
      while (toks[i] !== ';') i++;
      i++;
      continue;
    }
    const owner = typeStack[typeStack.length - 1];
    const atTypeLevel = owner === undefined || owner.depth === depth;
    if (!atTypeLevel) {
      i++;
      continue;
    }
    // read one declaration: up to '{', ';', '=>' or '=' at bracket depth 0 (attributes skipped)
    let j = i;
    if (toks[j] === '[') {
      let d = 0;
      for (; j < toks.length; j++) {
        if (toks[j] === '[') d++;
        else if (toks[j] === ']' && --d === 0) {
          j++;
          break;
        }
      }
      i = j;
      continue;
    }
    if (t === ';') {
      i++;
      continue;
    }
    const decl: string[] = [];
    let pd = 0;
    while (j < toks.length) {
      const u = toks[j]!;
      if (u === '(' || u === '[') pd++;
      else if (u === ')' || u === ']') pd--;
      if (pd === 0 && (u === '{' || u === ';' || u === '=>' || (u === '=' && decl[0] !== 'enum' && owner?.ctx.isEnum !== true))) break;
      if (pd === 0 && u === ',' && owner?.ctx.isEnum === true) break;
      if (pd === 0 && u === '}') break;
      decl.push(u);
      j++;
    }
    const end = toks[j];
    // enum members
    if (owner?.ctx.isEnum === true) {
      const name = decl.filter((x) => x !== '[' && x !== ']')[0];
      const clean = skipAttributes(decl);
      if (clean[0] !== undefined && /^[A-Za-z_]/.test(clean[0])) owner.ctx.sig.enumMembers!.push(clean[0]);
      void name;
      // skip initializer to the next ',' or '}'
      if (end === '=') {
        let d = 0;
        while (j < toks.length) {
          const u = toks[j]!;
          if (u === '(') d++;
          else if (u === ')') d--;
          if (d === 0 && (u === ',' || u === '}')) break;
          j++;
        }
      }
      i = toks[j] === ',' ? j + 1 : j;
      continue;
    }
    const mods = new Set<string>();
    let k = 0;
    while (k < decl.length && MODIFIERS.has(decl[k]!)) mods.add(decl[k++]!);
    const rest = decl.slice(k);
    const kw = rest[0];
    if (kw === 'class' || kw === 'struct' || kw === 'interface' || kw === 'enum') {
      const name = rest[1]!;
      const genericOpen = rest[2] === '<';
      let typeParams: string[] | undefined;
      let m = 2;
      if (genericOpen) {
        const close = rest.indexOf('>', 2);
        typeParams = rest.slice(3, close).filter((x) => x !== ',' && x !== 'in' && x !== 'out');
        m = close + 1;
      }
      const outerName = owner?.ctx.fullName;
      const fullName = outerName !== undefined
        ? `${outerName}.${name}`
        : `${currentNs()}.${name}${typeParams ? `<${typeParams.join(', ')}>` : ''}`;
      const isPublic = (mods.has('public') || (owner?.ctx.isInterface === true)) && (owner === undefined || owner.ctx.isPublic);
      const bases: string[] = [];
      if (rest[m] === ':') {
        const upto = rest.indexOf('where', m);
        for (const b of splitTop(rest.slice(m + 1, upto < 0 ? undefined : upto))) bases.push(typeText(b));
      }
      const kind: TypeSig['kind'] = kw === 'class' ? (mods.has('static') ? 'static-class' : 'class') : kw;
      const sig: ExtractedType = {
        fullName,
        kind,
        constructors: [],
        methods: [],
        properties: [],
        fields: [],
        source: opts.source,
      };
      const alias = ALIASES[name];
      if (alias !== undefined && fullName === `System.${name}`) sig.alias = alias;
      const allTypeParams = [...(owner?.ctx.sig.typeParams ?? []), ...(typeParams ?? [])];
      if (allTypeParams.length > 0) sig.typeParams = allTypeParams;
      if (kw === 'enum') {
        sig.enumMembers = [];
        if (bases.length > 0) sig.base = 'Enum';
        else sig.base = 'Enum';
      } else if (bases.length > 0) {
        const first = bases[0]!;
        if (kw === 'class' && !/^I[A-Z]/.test(first)) {
          sig.base = first;
          if (bases.length > 1) sig.interfaces = bases.slice(1);
        } else sig.interfaces = bases;
      }
      if (kw === 'struct') sig.base = 'ValueType';
      if (kw === 'class' && sig.base === undefined && fullName !== 'System.Object') sig.base = 'object';
      const nested = new Set<string>();
      const ctx: TypeCtx = {
        fullName,
        simpleName: name,
        kind,
        isInterface: kw === 'interface',
        isEnum: kw === 'enum',
        isPublic,
        nested,
        sig,
        qualify: (txt) => qualifyNested(txt, nestedNames, fullName),
      };
      if (isPublic && (opts.want === undefined || opts.want(fullName))) found.push(sig);
      if (end === '{') {
        typeStack.push({ ctx, depth: depth + 1 });
      }
      i = j; // the '{' is handled by the main loop
      continue;
    }
    if (kw === 'delegate') {
      // a delegate type: kind 'class', base MulticastDelegate, its signature as `Invoke`
      const [retToks, q] = readType(rest, 1);
      const name = rest[q]!;
      let typeParams: string[] | undefined;
      let open = q + 1;
      if (rest[open] === '<') {
        const close = rest.indexOf('>', open);
        typeParams = rest.slice(open + 1, close).filter((x) => x !== ',' && x !== 'in' && x !== 'out');
        open = close + 1;
      }
      const fullName = owner !== undefined
        ? `${owner.ctx.fullName}.${name}`
        : `${currentNs()}.${name}${typeParams ? `<${typeParams.join(', ')}>` : ''}`;
      const isPublic = mods.has('public') && (owner === undefined || owner.ctx.isPublic);
      const qualify = (txt: string): string => qualifyNested(txt, nestedNames, fullName);
      const ctxLike = { qualify } as TypeCtx;
      const params = parseParams(rest.slice(open + 1, matchingParen(rest, open)), ctxLike);
      if (isPublic && params !== null && (opts.want === undefined || opts.want(fullName))) {
        const sig: ExtractedType = {
          fullName,
          kind: 'class',
          base: 'MulticastDelegate',
          constructors: [],
          methods: [{ name: 'Invoke', static: false, params, returns: qualify(typeText(retToks)) }],
          properties: [],
          fields: [],
          source: opts.source,
        };
        if (typeParams !== undefined) sig.typeParams = typeParams;
        found.push(sig);
      }
      i = skipMember(toks, j);
      continue;
    }
    if (kw === 'event' || decl.includes('event')) {
      i = skipMember(toks, j);
      continue;
    }
    if (owner === undefined) {
      i = j + 1;
      continue;
    }
    const ctx = owner.ctx;
    const isPublic = ctx.isInterface ? !mods.has('private') : mods.has('public');
    const isStatic = mods.has('static') || mods.has('const');
    const usable = isPublic && ctx.isPublic;
    if (rest[0] === '~') {
      i = skipMember(toks, j);
      continue;
    }
    // conversion operator: implicit/explicit operator T(params)
    if ((mods.has('implicit') || mods.has('explicit')) && rest[0] === 'operator') {
      const [ty, q] = readType(rest, 1);
      const params = parseParams(rest.slice(q + 1, matchingParen(rest, q)), ctx);
      if (usable && params !== null) {
        ctx.sig.methods.push({ name: mods.has('implicit') ? 'op_Implicit' : 'op_Explicit', static: true, params, returns: ctx.qualify(typeText(ty)) });
      }
      i = skipMember(toks, j);
      continue;
    }
    // constructor
    if (rest[0] === ctx.simpleName && rest[1] === '(') {
      const params = parseParams(rest.slice(2, matchingParen(rest, 1)), ctx);
      if (usable && !isStatic && params !== null) ctx.sig.constructors.push(params);
      i = skipMember(toks, j);
      continue;
    }
    const [retToks, q] = readType(rest, 0);
    if (retToks.includes('*')) {
      i = skipMember(toks, j);
      continue;
    }
    const returns = ctx.qualify(typeText(retToks));
    if (rest[q] === 'operator') {
      const op = rest[q + 1] === '>' && rest[q + 2] === '>' ? '>>' : rest[q + 1]!;
      const open = rest.indexOf('(', q);
      const params = parseParams(rest.slice(open + 1, matchingParen(rest, open)), ctx);
      const names = OPERATOR_NAMES[op];
      if (usable && params !== null && names !== undefined) {
        ctx.sig.methods.push({ name: params.length === 1 ? names[0] : names[1], static: true, params, returns });
      }
      i = skipMember(toks, j);
      continue;
    }
    const name = rest[q];
    if (name === undefined) {
      i = j + 1;
      continue;
    }
    // explicit interface implementation (I.Member) or qualified names: not public
    if (rest[q + 1] === '.') {
      i = skipMember(toks, j);
      continue;
    }
    if (name === 'this' && rest[q + 1] === '[') {
      const params = parseParams(rest.slice(q + 2, rest.lastIndexOf(']')), ctx);
      const settable = end === '{' ? hasPublicSetter(toks, j) : false;
      if (usable && params !== null) ctx.sig.properties.push({ name: 'this', type: returns, static: false, settable: settable && !ctx.isInterface ? true : settable, indexParams: params });
      i = skipMember(toks, j);
      continue;
    }
    if (rest[q + 1] === '(' || rest[q + 1] === '<') {
      let typeParams: string[] | undefined;
      let open = q + 1;
      if (rest[q + 1] === '<') {
        const close = rest.indexOf('>', q + 1);
        typeParams = rest.slice(q + 2, close).filter((x) => x !== ',');
        open = close + 1;
      }
      const params = parseParams(rest.slice(open + 1, matchingParen(rest, open)), ctx);
      if (usable && params !== null) {
        const sig: MethodSig = { name, static: isStatic, params, returns };
        if (typeParams !== undefined) sig.typeParams = typeParams;
        if (params[0]?.modifier === 'this') sig.extension = true;
        ctx.sig.methods.push(sig);
      }
      i = skipMember(toks, j);
      continue;
    }
    if (end === '{' || end === '=>') {
      // property
      const settable = end === '{' ? hasPublicSetter(toks, j) : false;
      if (usable) ctx.sig.properties.push({ name, type: returns, static: isStatic, settable } satisfies PropertySig);
      i = skipMember(toks, j);
      continue;
    }
    // field(s): `T a = x, b = y;`
    {
      let m = j;
      const names = [name];
      // walk to the ';' collecting further declarators
      let d = 0;
      while (m < toks.length && !(d === 0 && toks[m] === ';')) {
        const u = toks[m]!;
        if (u === '(' || u === '{' || u === '[') d++;
        else if (u === ')' || u === '}' || u === ']') d--;
        else if (d === 0 && u === ',' && /^[A-Za-z_]/.test(toks[m + 1] ?? '')) names.push(toks[m + 1]!);
        m++;
      }
      if (usable) {
        for (const n of names) {
          ctx.sig.fields.push({ name: n, type: returns, static: isStatic, readonly: mods.has('const') || (mods.has('static') && mods.has('readonly')) } satisfies FieldSig);
        }
      }
      i = m + 1;
    }
  }
  return found;
}

function matchingParen(toks: readonly string[], open: number): number {
  let d = 0;
  for (let i = open; i < toks.length; i++) {
    if (toks[i] === '(') d++;
    else if (toks[i] === ')' && --d === 0) return i;
  }
  return toks.length;
}

/** From the token at `j` ('{', ';', '=>' or '='), returns the index after the member. */
function skipMember(toks: readonly string[], j: number): number {
  if (toks[j] === ';') return j + 1;
  if (toks[j] === '{') {
    let d = 0;
    for (let i = j; i < toks.length; i++) {
      if (toks[i] === '{') d++;
      else if (toks[i] === '}' && --d === 0) {
        // property initializer `{ get; } = value;`
        if (toks[i + 1] === '=') {
          let k = i + 1;
          while (k < toks.length && toks[k] !== ';') k++;
          return k + 1;
        }
        return i + 1;
      }
    }
    return toks.length;
  }
  // '=>' or '=': to the ';' at depth 0
  let d = 0;
  for (let i = j; i < toks.length; i++) {
    const u = toks[i]!;
    if (u === '(' || u === '{' || u === '[') d++;
    else if (u === ')' || u === '}' || u === ']') d--;
    else if (u === ';' && d === 0) return i + 1;
  }
  return toks.length;
}

/** Does the accessor block at `j` ('{') have a `set` accessor that is not private/internal? */
function hasPublicSetter(toks: readonly string[], j: number): boolean {
  let d = 0;
  for (let i = j; i < toks.length; i++) {
    const u = toks[i]!;
    if (u === '{') d++;
    else if (u === '}') {
      if (--d === 0) return false;
    } else if (d === 1 && u === 'set') {
      const prev = toks[i - 1];
      return prev !== 'private' && prev !== 'internal' && prev !== 'protected';
    }
  }
  return false;
}

/** `KeyCollection` inside Dictionary<TKey, TValue> → `Dictionary<TKey, TValue>.KeyCollection`. */
function qualifyNested(txt: string, nestedNames: ReadonlyMap<string, string>, ownerFullName: string): string {
  return txt.replace(/(^|[<(,\s])([A-Z][A-Za-z0-9_]*)(?=$|[<>[\]?,)\s])/g, (all, pre: string, name: string) => {
    const outer = nestedNames.get(name);
    if (outer === undefined) return all;
    // the outer type as written in the owner's full name (with its type parameters)
    const outerSimple = outer.split('.').pop()!;
    const ownerParts = ownerFullName.split('.');
    const match = ownerParts.find((p) => p === outerSimple || p.startsWith(`${outerSimple}<`));
    return `${pre}${match ?? outer}.${name}`;
  });
}
