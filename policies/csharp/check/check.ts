/**
 * The static checker: types a parsed policy expression against APIM's type table
 * (policies/csharp/library/), the way the C# compiler APIM runs when a policy is saved would:
 * member lookup, overload resolution (C# spec §12.6.4, "Overload resolution":
 * https://learn.microsoft.com/en-us/dotnet/csharp/language-reference/language-specification/expressions#1264-overload-resolution),
 * generic type inference (§12.6.3), extension methods only after the instance members found no
 * applicable one (§12.8.10.3), lambdas converted to Func<…>. It records the resolved member key
 * on each call/indexer/property/constructor node (`member`) and the static type (`ctype`), so the
 * runtime looks the implementation up once, at compile time. It runs at compile time only.
 *
 * The first error ends the check: CSharpError `CS_TYPE` with the offset of the offending node.
 */
import type { Arg, Expr, Stmt, TypeRef } from '../ast.js';
import { CSharpError } from '../diagnostics.js';
import type { ParsedExpression } from '../parse.js';
import { ALLOW_LIST, ALLOW_LIST_URL, TYPES, findType, type MethodSig, type ParamSig, type PropertySig, type TypeSig } from '../library/index.js';
import {
  BOOL, CHAR, INT, NULL, OBJECT, STRING, UNKNOWN, VOID,
  aliasOf, ancestors, constantFits, converts, enumerableElement, fromText, hasParams, isBool, isLoose, isObject, isReferenceType,
  isStandIn, isString, isValueType, numericOf, numericWidens, prim, resolveType, same, show, simpleName, subst, typeScope,
  type CType, type Numeric,
} from './types.js';

/** What a name or member access denotes before it is used. */
type Operand = { kind: 'value'; t: CType } | { kind: 'type'; t: CType } | { kind: 'ns'; name: string };

interface LocalFn {
  params: { t: CType; mod?: string }[];
  ret: CType;
}

type Binding = { t: CType; fn?: LocalFn };

class Scope {
  private readonly vars = new Map<string, Binding>();
  constructor(readonly parent: Scope | null) {}
  get(name: string): Binding | undefined {
    return this.vars.get(name) ?? this.parent?.get(name);
  }
  declare(name: string, b: Binding, pos: number): void {
    if (name === '_') return;
    if (this.get(name) && name !== 'context') fail(`a local variable named '${name}' is already declared in this scope`, pos);
    this.vars.set(name, b);
  }
}

function fail(msg: string, pos: number): never {
  throw new CSharpError('CS_TYPE', msg, pos);
}

/** A member candidate: a method, an extension method or a constructor, with its owner type. */
interface Candidate {
  owner: CType;
  ownerSig: TypeSig;
  name: string;
  params: ParamSig[];
  typeParams: string[];
  returns: string;
  ext: boolean;
  key: string;
}

interface ArgInfo {
  arg: Arg;
  /** null for lambdas (typed against the parameter) and out declarations with var */
  t: CType | null;
}

interface Applied {
  c: Candidate;
  expanded: boolean;
  /** parameter type for each argument, after substitution */
  ptypes: CType[];
  bound: Map<string, CType>;
  ret: CType;
}

function memberKey(owner: TypeSig, name: string, params?: readonly ParamSig[]): string {
  const p = params ? `(${params.map((x) => x.type.replace(/\s+/g, '')).join(',')})` : '';
  return `${owner.fullName}::${name}${p}`;
}

/** Types the page allows, by full name (a listed type the table lacks is checked by name only). */
const LISTED = new Set(ALLOW_LIST.map(([n]) => n.replace(/<.*$/, '')));

let extensionIndex: Map<string, { sig: MethodSig; owner: TypeSig }[]> | undefined;
function extensions(name: string): { sig: MethodSig; owner: TypeSig }[] {
  if (!extensionIndex) {
    extensionIndex = new Map();
    for (const t of TYPES) {
      for (const m of t.methods) {
        if (!m.extension) continue;
        const list = extensionIndex.get(m.name) ?? [];
        list.push({ sig: m, owner: t });
        extensionIndex.set(m.name, list);
      }
    }
  }
  return extensionIndex.get(name) ?? [];
}

function allowed(sig: TypeSig, member: string): boolean {
  return isStandIn(sig) || sig.apim.members === undefined || sig.apim.members.includes(member);
}

function notAllowed(sig: TypeSig, member: string, pos: number): never {
  fail(`${sig.fullName}.${member === '.ctor' ? '.ctor (constructor)' : member} is not allowed in APIM policy expressions (${ALLOW_LIST_URL})`, pos);
}

function describeParams(params: readonly ParamSig[]): string {
  return params.map((p) => `${p.modifier && p.modifier !== 'this' ? `${p.modifier} ` : ''}${p.type} ${p.name}${p.default !== undefined ? ` = ${p.default}` : ''}`).join(', ');
}

/** The value of an int constant expression (literals, unary -, + - * / %), or undefined. */
function intConstant(e: Expr): number | undefined {
  if (e.k === 'lit') return e.ltype === 'int' && typeof e.v === 'number' ? e.v : undefined;
  if (e.k === 'unary' && (e.op === '-' || e.op === '+')) {
    const x = intConstant(e.x);
    return x === undefined ? undefined : e.op === '-' ? -x : x;
  }
  if (e.k === 'binary' && ['+', '-', '*', '/', '%'].includes(e.op)) {
    const l = intConstant(e.l);
    const r = intConstant(e.r);
    if (l === undefined || r === undefined || ((e.op === '/' || e.op === '%') && r === 0)) return undefined;
    const v = e.op === '+' ? l + r : e.op === '-' ? l - r : e.op === '*' ? l * r : e.op === '/' ? Math.trunc(l / r) : l % r;
    return v >= -(2 ** 31) && v < 2 ** 31 ? v : undefined;
  }
  return undefined;
}

/**
 * A user-defined implicit conversion (`op_Implicit` of the source or the target type or their
 * bases), e.g. Newtonsoft's `implicit operator JToken(string)` (C# §10.5.4, one step only).
 */
function userImplicit(from: CType, to: CType): boolean {
  if (from.k === 'null' || from.k === 'void' || to.k === 'void') return false;
  const owners = [...ancestors(to), ...ancestors(from)];
  for (const o of owners) {
    if (o.k !== 'named' || isObject(o)) continue;
    for (const m of o.sig.methods) {
      if (m.name !== 'op_Implicit' || m.params.length !== 1) continue;
      const scope = typeScope(o);
      const p = fromText(m.params[0]!.type, scope);
      const r = fromText(m.returns, scope);
      if (p.k === 'unknown' || r.k === 'unknown') continue;
      if (converts(from, p) && converts(r, to)) return true;
    }
  }
  return false;
}

/** Identifiers standing for named values (`{{name}}`), whose text is unknown until deployment. */
export const NAMED_VALUE_PREFIX = '__nv';

export class Checker {
  private readonly lambdaMemo = new WeakMap<object, Map<string, CType | CSharpError>>();
  /** return types seen by the block being checked (top level or a lambda body) */
  private returns: CType[][] = [];

  constructor(private readonly root: Scope) {}

  static forPolicy(): Checker {
    const root = new Scope(null);
    const ctx = findType('IContext') ?? findType('Microsoft.Azure.ApiManagement.Policies.IContext');
    root.declare('context', { t: ctx ? { k: 'named', sig: ctx, args: [] } : UNKNOWN }, 0);
    return new Checker(root);
  }

  checkParsed(parsed: ParsedExpression): CType {
    if (!parsed.block) {
      const t = this.value(parsed.expr, this.root);
      return t;
    }
    const scope = new Scope(this.root);
    this.returns.push([]);
    this.block(parsed.body, scope);
    const rets = this.returns.pop()!;
    if (!this.endsAll(parsed.body)) {
      const last = parsed.body[parsed.body.length - 1];
      fail('not all code paths return a value: every path of a multi-statement expression must end with a return statement', last ? last.pos : 0);
    }
    return rets.find((r) => r.k !== 'null') ?? OBJECT;
  }

  // ---- statements ---------------------------------------------------------------------------

  private block(body: Stmt[], scope: Scope): void {
    // local functions are visible in the whole block
    for (const s of body) if (s.k === 'localFunc') this.declareLocalFn(s, scope);
    for (const s of body) this.stmt(s, scope);
  }

  private declareLocalFn(s: Extract<Stmt, { k: 'localFunc' }>, scope: Scope): void {
    const params = s.params.map((p) => ({ t: this.typeOf(p.type, p.type.name === 'var' ? -1 : s.pos), ...(p.mod ? { mod: p.mod } : {}) }));
    const ret = this.typeOf(s.returns, s.pos);
    scope.declare(s.name, { t: { k: 'delegate', params: params.map((p) => p.t), ret }, fn: { params, ret } }, s.pos);
  }

  private stmt(s: Stmt, scope: Scope): void {
    switch (s.k) {
      case 'decl': {
        const declared = s.type && s.type.name !== 'var' ? this.typeOf(s.type, s.pos) : null;
        for (const d of s.names) {
          let t: CType;
          if (declared) {
            t = declared;
            if (d.init) this.expect(d.init, t, scope);
          } else {
            if (!d.init) fail(`implicitly-typed variable '${d.name}' must be initialized`, s.pos);
            if (d.init.k === 'lambda') fail(`the type of a lambda cannot be inferred for 'var ${d.name}' (natural lambda types are C# 10; APIM compiles C# 7)`, d.init.pos);
            t = this.value(d.init, scope);
            if (t.k === 'null') fail(`cannot assign null to implicitly-typed variable '${d.name}'`, d.init.pos);
            if (t.k === 'void') fail(`cannot assign void to implicitly-typed variable '${d.name}'`, d.init.pos);
            if (t.k === 'default') fail(`cannot infer the type of 'var ${d.name} = default'`, d.init.pos);
          }
          scope.declare(d.name, { t }, s.pos);
        }
        return;
      }
      case 'expr':
        this.value(s.x, scope, true);
        return;
      case 'return':
        if (s.x) this.returns[this.returns.length - 1]?.push(this.value(s.x, scope));
        return;
      case 'if':
        this.condition(s.c, scope);
        this.stmt(s.then, new Scope(scope));
        if (s.else) this.stmt(s.else, new Scope(scope));
        return;
      case 'block':
        this.block(s.body, new Scope(scope));
        return;
      case 'foreach': {
        const iter = this.value(s.iter, scope);
        const elem = enumerableElement(iter) ?? (isLoose(iter) ? UNKNOWN : this.nonGenericEnumerable(iter, s.iter.pos));
        const inner = new Scope(scope);
        let t = elem;
        if (s.type && s.type.name !== 'var') {
          t = this.typeOf(s.type, s.pos);
        }
        inner.declare(s.name, { t }, s.pos);
        this.stmt(s.body, inner);
        return;
      }
      case 'for': {
        const inner = new Scope(scope);
        if (s.init) this.stmt(s.init, inner);
        if (s.c) this.condition(s.c, inner);
        for (const u of s.update) this.value(u, inner, true);
        this.stmt(s.body, new Scope(inner));
        return;
      }
      case 'while':
        this.condition(s.c, scope);
        this.stmt(s.body, new Scope(scope));
        return;
      case 'do':
        this.stmt(s.body, new Scope(scope));
        this.condition(s.c, scope);
        return;
      case 'break':
      case 'continue':
        return;
      case 'throw':
        if (s.x) this.exceptionValue(s.x, scope);
        return;
      case 'try':
        this.stmt(s.body, new Scope(scope));
        for (const c of s.catches) {
          const inner = new Scope(scope);
          if (c.type) {
            const t = this.typeOf({ name: c.type, args: [], array: 0, nullable: false }, s.pos);
            if (c.name) inner.declare(c.name, { t }, s.pos);
          }
          if (c.filter) this.condition(c.filter, inner);
          this.stmt(c.body, inner);
        }
        if (s.fin) this.stmt(s.fin, new Scope(scope));
        return;
      case 'switch': {
        const x = this.value(s.x, scope);
        for (const sec of s.sections) {
          const inner = new Scope(scope);
          for (const l of sec.labels) {
            if (l.k === 'default') continue;
            if (l.k === 'const') {
              const c = this.value(l.value, inner);
              if (!converts(c, x) && !converts(x, c) && !(l.value.k === 'lit' && typeof l.value.v === 'number' && constantFits(l.value.v, x))) {
                fail(`a case of type ${show(c)} cannot match a switch on ${show(x)}`, l.pos);
              }
            } else {
              const t = l.type.name === 'var' ? x : this.typeOf(l.type, l.pos);
              if (l.name) inner.declare(l.name, { t }, l.pos);
            }
            if (l.when) this.condition(l.when, inner);
          }
          this.block(sec.body, inner);
        }
        return;
      }
      case 'localFunc': {
        const b = scope.get(s.name);
        const fn = b?.fn;
        const inner = new Scope(scope);
        s.params.forEach((p, i) => inner.declare(p.name, { t: fn?.params[i]?.t ?? UNKNOWN }, s.pos));
        this.returns.push([]);
        this.stmt(s.body, inner);
        const rets = this.returns.pop()!;
        const ret = fn?.ret ?? UNKNOWN;
        if (ret.k !== 'void' && s.body.k === 'block' && !this.endsAll(s.body.body)) fail(`not all code paths of local function '${s.name}' return a value`, s.pos);
        for (const r of rets) if (!converts(r, ret)) fail(`local function '${s.name}' returns ${show(ret)}, not ${show(r)}`, s.pos);
        return;
      }
      case 'using': {
        const inner = new Scope(scope);
        this.stmt(s.resource, inner);
        this.stmt(s.body, inner);
        return;
      }
    }
  }

  private nonGenericEnumerable(t: CType, pos: number): CType {
    if (ancestors(t).some((a) => a.k === 'named' && simpleName(a.sig.fullName) === 'IEnumerable')) return OBJECT;
    fail(`foreach cannot enumerate ${show(t)}: it is not IEnumerable`, pos);
  }

  /** Whether every path through `body` ends in return or throw (C# reachability, simplified). */
  private endsAll(body: Stmt[]): boolean {
    const ends = (s: Stmt | null | undefined): boolean => {
      if (!s) return false;
      switch (s.k) {
        case 'return':
        case 'throw':
          return true;
        case 'block':
          return s.body.some(ends);
        case 'if':
          return ends(s.then) && ends(s.else);
        case 'while':
          return s.c.k === 'lit' && s.c.v === true && !this.breaks(s.body);
        case 'for':
          return s.c === null && !this.breaks(s.body);
        case 'do':
          return ends(s.body) && !this.breaks(s.body);
        case 'try':
          return ends(s.fin) || (ends(s.body) && s.catches.every((c) => ends(c.body)));
        case 'switch':
          return s.sections.some((sec) => sec.labels.some((l) => l.k === 'default')) && s.sections.every((sec) => sec.body.some(ends));
        case 'using':
          return ends(s.body);
        default:
          return false;
      }
    };
    return body.some(ends);
  }

  private breaks(s: Stmt): boolean {
    switch (s.k) {
      case 'break':
        return true;
      case 'block':
        return s.body.some((x) => this.breaks(x));
      case 'if':
        return this.breaks(s.then) || (s.else !== null && this.breaks(s.else));
      case 'try':
        return this.breaks(s.body) || s.catches.some((c) => this.breaks(c.body)) || (s.fin !== null && this.breaks(s.fin));
      case 'using':
        return this.breaks(s.body);
      default:
        return false; // a nested loop or switch owns its breaks
    }
  }

  private condition(e: Expr, scope: Scope): void {
    const t = this.value(e, scope);
    if (!converts(t, BOOL) || t.k === 'null') fail(`a condition must be bool, not ${show(t)}`, e.pos);
  }

  private exceptionValue(e: Expr, scope: Scope): void {
    const t = this.value(e, scope);
    if (isLoose(t)) return;
    if (!ancestors(t).some((a) => a.k === 'named' && a.sig.fullName === 'System.Exception')) fail(`throw needs an Exception, not ${show(t)}`, e.pos);
  }

  // ---- types as written ---------------------------------------------------------------------

  /** A type written in the code: it must be one APIM allows. */
  private typeOf(t: TypeRef, pos: number): CType {
    const r = resolveType(t, new Map(), (name) => this.missingType(name, pos));
    return r ?? UNKNOWN;
  }

  private listedOnly(name: string): boolean {
    return LISTED.has(name) || [...LISTED].some((l) => l.endsWith(`.${name}`));
  }

  private missingType(name: string, pos: number): CType {
    if (pos < 0) return UNKNOWN;
    if (this.listedOnly(name)) return UNKNOWN; // on the page, not in the table yet
    fail(`${name} is not a type APIM allows in policy expressions (${ALLOW_LIST_URL})`, pos);
  }

  // ---- expressions --------------------------------------------------------------------------

  /** Checks `e` as a value and converts it to `target` (reporting where it does not). */
  private expect(e: Expr, target: CType, scope: Scope): void {
    if (e.k === 'lambda') {
      if (target.k !== 'delegate') {
        if (isLoose(target)) return;
        fail(`a lambda cannot convert to ${show(target)}`, e.pos);
      }
      const r = this.lambda(e, target.params, scope);
      if (r instanceof CSharpError) throw r;
      if (target.ret.k !== 'void' && !converts(r, target.ret)) fail(`the lambda returns ${show(r)}, not ${show(target.ret)}`, e.pos);
      return;
    }
    const t = this.value(e, scope);
    if (this.convertsExpr(e, t, target)) return;
    fail(`cannot convert ${show(t)} to ${show(target)}`, e.pos);
  }

  private convertsExpr(e: Expr, t: CType, target: CType): boolean {
    if (converts(t, target)) return true;
    // an int constant expression converts to a narrower integral type that holds it (§10.2.11)
    if (aliasOf(t) === 'int') {
      const c = intConstant(e);
      if (c !== undefined && constantFits(c, target)) return true;
    }
    // the literal 0 converts to any enum
    if (e.k === 'lit' && e.v === 0 && target.k === 'named' && target.sig.kind === 'enum') return true;
    return userImplicit(t, target);
  }

  /** The type of `e` as a value (a type or namespace name here is an error). */
  value(e: Expr, scope: Scope, statement = false): CType {
    const o = this.operand(e, scope, statement);
    if (o.kind === 'value') return o.t;
    if (o.kind === 'type') fail(`${show(o.t)} is a type, not a value`, e.pos);
    fail(`${this.unresolved(o.name)} is not a variable, nor a type APIM allows in policy expressions (${ALLOW_LIST_URL})`, e.pos);
  }

  /** The name to blame in `A.B.C` that resolved to nothing: the first segment, unless it is a namespace root. */
  private unresolved(dotted: string): string {
    const first = dotted.split('.')[0]!;
    return ['System', 'Microsoft', 'Newtonsoft'].includes(first) ? dotted : first;
  }

  private operand(e: Expr, scope: Scope, statement = false): Operand {
    const o = this.operandInner(e, scope, statement);
    if (o.kind === 'value') e.ctype = show(o.t);
    return o;
  }

  private operandInner(e: Expr, scope: Scope, statement: boolean): Operand {
    switch (e.k) {
      case 'lit':
        return { kind: 'value', t: e.v === null ? NULL : prim(e.ltype ?? (typeof e.v === 'boolean' ? 'bool' : typeof e.v === 'number' ? 'int' : 'string')) };
      case 'interp':
        for (const p of e.parts) if (typeof p !== 'string') this.value(p.expr, scope);
        return { kind: 'value', t: STRING };
      case 'id':
        return this.name(e.name, scope, e.pos);
      case 'typeName':
        return { kind: 'type', t: this.typeOf(e.type, e.pos) };
      case 'member':
        return this.memberAccess(e, scope);
      case 'call':
        return { kind: 'value', t: this.call(e, scope) };
      case 'index':
        return { kind: 'value', t: this.index(e, scope) };
      case 'unary':
        return { kind: 'value', t: this.unary(e, scope) };
      case 'incdec': {
        const t = this.value(e.x, scope);
        if (!numericOf(t.k === 'nullable' ? t.of : t) && !isLoose(t)) fail(`operator '${e.op}' needs a number, not ${show(t)}`, e.pos);
        return { kind: 'value', t };
      }
      case 'binary':
        return { kind: 'value', t: this.binary(e, scope) };
      case 'cond':
        return { kind: 'value', t: this.conditional(e, scope) };
      case 'cast': {
        const t = this.typeOf(e.type, e.pos);
        const x = this.value(e.x, scope);
        this.castable(x, t, e.pos);
        return { kind: 'value', t };
      }
      case 'is': {
        this.value(e.x, scope);
        const t = e.type.name === 'var' ? this.value(e.x, scope) : this.typeOf(e.type, e.pos);
        if (e.bind) scope.declare(e.bind, { t }, e.pos);
        return { kind: 'value', t: BOOL };
      }
      case 'as': {
        this.value(e.x, scope);
        const t = this.typeOf(e.type, e.pos);
        if (isValueType(t) && t.k !== 'nullable') fail(`'as' needs a reference or nullable type, not ${show(t)}`, e.pos);
        return { kind: 'value', t };
      }
      case 'lambda':
        fail('a lambda needs a delegate type here (Func<…>)', e.pos);
        break;
      case 'new':
        return { kind: 'value', t: this.newExpr(e, scope) };
      case 'assign':
        return { kind: 'value', t: this.assign(e, scope) };
      case 'declVar':
        fail('an out variable declaration outside an argument', e.pos);
        break;
      case 'throw':
        this.exceptionValue(e.x, scope);
        return { kind: 'value', t: { k: 'throw' } };
      case 'default':
        return { kind: 'value', t: e.type ? this.typeOf(e.type, e.pos) : { k: 'default' } };
      case 'memberInit':
      case 'indexInit':
        fail('an initializer entry outside new { … }', e.pos);
    }
    void statement;
    return { kind: 'value', t: UNKNOWN };
  }

  private name(name: string, scope: Scope, pos: number): Operand {
    const b = scope.get(name);
    if (b) return { kind: 'value', t: b.t };
    if (name.startsWith(NAMED_VALUE_PREFIX) && /^__nv_*$/.test(name)) return { kind: 'value', t: UNKNOWN };
    const t = resolveType({ name, args: [], array: 0, nullable: false }, new Map(), () => undefined);
    if (t) return { kind: 'type', t };
    // on the page's allow-list, not in the table (yet): checked by name only
    if (this.listedOnly(name)) return { kind: 'type', t: UNKNOWN };
    void pos;
    return { kind: 'ns', name };
  }

  private memberAccess(e: Extract<Expr, { k: 'member' }>, scope: Scope): Operand {
    const recv = this.operand(e.obj, scope);
    if (recv.kind === 'ns') {
      const full = `${recv.name}.${e.name}`;
      const sig = findType(full);
      if (sig && sig.fullName.replace(/<.*$/, '') === full) return { kind: 'type', t: { k: 'named', sig, args: [] } };
      if (LISTED.has(full)) return { kind: 'type', t: UNKNOWN };
      // a longer namespace, or a type outside the allow-list: decided when used
      return { kind: 'ns', name: full };
    }
    if (recv.kind === 'type') return { kind: 'value', t: this.property(recv.t, e.name, true, e) };
    const t = e.nullCond ? this.liftNullCond(recv.t) : recv.t;
    const r = this.property(t, e.name, false, e);
    return { kind: 'value', t: e.nullCond ? this.nullableResult(r) : r };
  }

  /** `x?.M`: the receiver as seen after the null check. */
  private liftNullCond(t: CType): CType {
    return t.k === 'nullable' ? t.of : t;
  }

  private nullableResult(t: CType): CType {
    return isValueType(t) && t.k !== 'nullable' ? { k: 'nullable', of: t } : t;
  }

  /** A property, field or enum member (not a method) of `t`. */
  private property(t: CType, name: string, isStatic: boolean, node: Expr): CType {
    if (isLoose(t)) return UNKNOWN;
    if (t.k === 'nullable') {
      if (name === 'HasValue') return BOOL;
      if (name === 'Value') return t.of;
      return this.property(t.of, name, isStatic, node);
    }
    if (t.k === 'anon') {
      const m = t.members.get(name);
      if (!m) fail(`the anonymous type has no member '${name}'`, node.pos);
      return m;
    }
    if (t.k === 'array' && name === 'Length' && !isStatic) return INT;
    if (t.k === 'array' && name === 'LongLength' && !isStatic) return prim('long');
    for (const a of ancestors(t)) {
      if (a.k !== 'named') continue;
      if (isStandIn(a.sig)) return UNKNOWN;
      const scope = typeScope(a);
      const p = a.sig.properties.find((x) => x.name === name && x.static === isStatic);
      if (p) return this.useMember(a.sig, name, memberKey(a.sig, name), node, fromText(p.type, scope));
      const f = a.sig.fields.find((x) => x.name === name && x.static === isStatic);
      if (f) return this.useMember(a.sig, name, memberKey(a.sig, name), node, fromText(f.type, scope));
      if (isStatic && a.sig.enumMembers?.includes(name)) return this.useMember(a.sig, name, memberKey(a.sig, name), node, a);
      if (isStatic) break; // static members are not inherited through a type name here
    }
    const other = this.memberElsewhere(t, name, !isStatic);
    if (other) fail(other, node.pos);
    if ((t.k === 'named' && t.sig.methods.some((m) => m.name === name)) || (!isStatic && extensions(name).length > 0)) {
      fail(`${show(t)}.${name} is a method: call it with () (a method group is not a value here)`, node.pos);
    }
    fail(`${this.typeLabel(t)} has no ${isStatic ? 'static ' : ''}member '${name}' in .NET Framework 4.8 (as far as APIM's type table goes)`, node.pos);
  }

  /** The type's full name with its generic arguments: `System.Collections.Generic.IReadOnlyDictionary<string, string[]>`. */
  private typeLabel(t: CType): string {
    if (t.k !== 'named') return show(t);
    const full = t.sig.fullName.replace(/<.*$/, '');
    return t.args.length ? `${full.slice(0, full.lastIndexOf('.') + 1)}${show(t)}` : full;
  }

  /** When the member exists with the other staticness: the C# error for it. */
  private memberElsewhere(t: CType, name: string, wantStatic: boolean): string | undefined {
    if (t.k !== 'named') return undefined;
    const has = (s: TypeSig): boolean =>
      s.properties.some((p) => p.name === name && p.static === wantStatic) ||
      s.fields.some((f) => f.name === name && f.static === wantStatic) ||
      s.methods.some((m) => m.name === name && m.static === wantStatic && !m.extension);
    if (!has(t.sig)) return undefined;
    return wantStatic
      ? `${this.typeLabel(t)}.${name} is static: use the type name (${simpleName(t.sig.fullName)}.${name}), not a value`
      : `${this.typeLabel(t)}.${name} is an instance member: it needs a value, not the type name`;
  }

  private useMember(owner: TypeSig, name: string, key: string, node: Expr, t: CType): CType {
    if (!allowed(owner, name)) notAllowed(owner, name, node.pos);
    node.member = key;
    return t;
  }

  // ---- calls --------------------------------------------------------------------------------

  private argInfos(args: Arg[], scope: Scope): ArgInfo[] {
    return args.map((arg) => {
      if (arg.value.k === 'lambda') return { arg, t: null };
      if (arg.value.k === 'declVar') return { arg, t: arg.value.type ? this.typeOf(arg.value.type, arg.value.pos) : null };
      return { arg, t: this.value(arg.value, scope) };
    });
  }

  private call(e: Extract<Expr, { k: 'call' }>, scope: Scope): CType {
    const typeArgs = e.typeArgs.map((t) => this.typeOf(t, e.pos));
    const callee = e.callee;
    if (callee.k === 'id') {
      const b = scope.get(callee.name);
      if (!b) fail(`unknown method '${callee.name}': a policy expression calls members of a value or a type (${ALLOW_LIST_URL})`, callee.pos);
      return this.invokeDelegate(b.t, e, scope);
    }
    if (callee.k !== 'member') return this.invokeDelegate(this.value(callee, scope), e, scope);
    const recv = this.operand(callee.obj, scope);
    const args = this.argInfos(e.args, scope);
    if (recv.kind === 'ns') {
      fail(`${this.unresolved(recv.name)} is not a type APIM allows in policy expressions (${ALLOW_LIST_URL})`, callee.obj.pos);
    }
    const isStatic = recv.kind === 'type';
    let t = recv.t;
    if (!isStatic && callee.nullCond) t = this.liftNullCond(t);
    if (isLoose(t)) {
      for (const a of args) if (a.arg.value.k === 'lambda') this.looseLambda(a.arg.value, scope);
      this.declareOuts(args, null, scope);
      return UNKNOWN;
    }
    // instance (or static) methods first
    const own = this.methods(t, callee.name, isStatic);
    let chosen = own.length ? this.resolve(own, args, typeArgs, scope, isStatic ? undefined : t) : undefined;
    let tried = own;
    if (!chosen && !isStatic) {
      // C#: extension methods only when the instance lookup found no applicable method
      const ext = this.extensionCandidates(t, callee.name);
      tried = [...own, ...ext];
      if (ext.length) chosen = this.resolve(ext, args, typeArgs, scope, t);
    }
    if (!chosen) {
      if (tried.length === 0) {
        const other = isStatic ? undefined : this.memberElsewhere(t, callee.name, true);
        if (other) fail(other, callee.pos);
        const inst = isStatic ? this.memberElsewhere(t, callee.name, false) : undefined;
        if (inst) fail(inst, callee.pos);
        fail(`${this.typeLabel(t)} has no ${isStatic ? 'static ' : ''}method '${callee.name}' in .NET Framework 4.8 (as far as APIM's type table goes)`, callee.pos);
      }
      this.noOverload(t, callee.name, tried, args, callee.pos);
    }
    if (!allowed(chosen.c.ownerSig, chosen.c.name)) notAllowed(chosen.c.ownerSig, chosen.c.name, callee.pos);
    this.finish(chosen, args, scope);
    e.member = chosen.c.key;
    callee.member = chosen.c.key;
    return callee.nullCond && !isStatic ? this.nullableResult(chosen.ret) : chosen.ret;
  }

  private noOverload(t: CType, name: string, tried: Candidate[], args: ArgInfo[], calleePos: number): never {
    // a candidate failed inside a lambda's body: that error says more than the list of overloads
    if (this.lastInner) throw this.lastInner;
    const given = args.map((a) => (a.arg.mod ? `${a.arg.mod} ` : '') + (a.t ? show(a.t) : a.arg.value.k === 'lambda' ? 'lambda' : 'var')).join(', ');
    const list = tried.slice(0, 8).map((c) => `${c.name}(${describeParams(c.ext ? c.params.slice(1) : c.params)})`);
    const more = tried.length > 8 ? `, … (${tried.length} overloads)` : '';

    fail(`no overload of ${this.typeLabel(t)}.${name} takes (${given}) in .NET Framework 4.8; the overloads are: ${list.join('; ')}${more}`, calleePos);
  }

  private lastInner: CSharpError | undefined;

  private methods(t: CType, name: string, isStatic: boolean): Candidate[] {
    const out: Candidate[] = [];
    const seen = new Set<string>();
    const list = t.k === 'nullable' ? [t.of, ...ancestors(t.of)] : ancestors(t);
    for (const a of list) {
      if (a.k !== 'named') continue;
      for (const m of a.sig.methods) {
        if (m.name !== name || m.static !== isStatic || m.extension) continue;
        const sigText = m.params.map((p) => `${p.modifier ?? ''}${p.type}`).join(',');
        if (seen.has(sigText)) continue; // an override or a hidden member: the most derived wins
        seen.add(sigText);
        out.push({ owner: a, ownerSig: a.sig, name, params: m.params, typeParams: m.typeParams ?? [], returns: m.returns, ext: false, key: memberKey(a.sig, name, m.params) });
      }
      if (isStatic) break;
    }
    return out;
  }

  private extensionCandidates(t: CType, name: string): Candidate[] {
    void t;
    return extensions(name).map(({ sig, owner }) => ({
      owner: { k: 'named', sig: owner, args: [] },
      ownerSig: owner,
      name,
      params: sig.params,
      typeParams: sig.typeParams ?? [],
      returns: sig.returns,
      ext: true,
      key: memberKey(owner, name, sig.params),
    }));
  }

  /** Picks the best applicable candidate (C# §12.6.4), or undefined when none applies. */
  private resolve(cands: Candidate[], args: ArgInfo[], typeArgs: CType[], scope: Scope, receiver?: CType): Applied | undefined {
    this.lastInner = undefined;
    const applicable: Applied[] = [];
    for (const c of cands) {
      for (const expanded of [false, true]) {
        const a = this.applicable(c, args, typeArgs, scope, expanded, c.ext ? receiver : undefined);
        if (a) {
          applicable.push(a);
          break; // the normal form wins over the expanded one
        }
      }
    }
    if (applicable.length === 0) return undefined;
    let best = applicable[0]!;
    for (const a of applicable.slice(1)) if (this.better(a, best, args)) best = a;
    return best;
  }

  /** Whether `c` applies to the arguments; the parameter type of each argument when it does. */
  private applicable(c: Candidate, args: ArgInfo[], typeArgs: CType[], scope: Scope, expanded: boolean, receiver?: CType): Applied | undefined {
    const params = c.ext ? c.params.slice(1) : c.params;
    const last = params[params.length - 1];
    if (expanded && last?.modifier !== 'params') return undefined;
    // the parameter each argument goes to
    const slots: ParamSig[] = [];
    let positional = 0;
    for (const a of args) {
      if (a.arg.name !== undefined) {
        const p = params.find((x) => x.name === a.arg.name);
        if (!p) return undefined;
        slots.push(p);
        continue;
      }
      if (expanded && positional >= params.length - 1) slots.push({ ...last!, type: last!.type.replace(/\[\]$/, ''), modifier: undefined as never });
      else {
        const p = params[positional];
        if (!p) return undefined;
        slots.push(p);
      }
      positional++;
    }
    // parameters without an argument must be optional (or the params array)
    for (const p of params) {
      if (slots.includes(p)) continue;
      if (p.default !== undefined) continue;
      if (p.modifier === 'params' && (expanded || !slots.includes(p))) {
        if (expanded) continue;
        if (!slots.includes(p) && p === last && args.length === params.length - 1) return undefined;
        continue;
      }
      if (expanded && p === last) continue;
      return undefined;
    }
    const ownerScope = typeScope(c.owner);
    const tps = c.typeParams;
    const bound = new Map<string, CType>();
    if (typeArgs.length) {
      if (typeArgs.length !== tps.length) return undefined;
      tps.forEach((p, i) => bound.set(p, typeArgs[i]!));
    }
    const methodScope = new Map(ownerScope);
    for (const p of tps) methodScope.set(p, { k: 'param', name: p });
    const ptypesRaw = slots.map((p) => fromText(p.type, methodScope));
    const inferring = tps.length > 0 && typeArgs.length === 0;
    // refs and outs must match exactly
    for (let i = 0; i < args.length; i++) {
      const mod = args[i]!.arg.mod;
      const pm = slots[i]!.modifier;
      if ((mod ?? '') !== (pm === 'out' || pm === 'ref' ? pm : '') && !(mod === 'in' && !pm)) return undefined;
    }
    if (inferring) {
      if (receiver && c.ext) this.unify(fromText(c.params[0]!.type, methodScope), receiver, bound);
      for (let i = 0; i < args.length; i++) {
        const t = args[i]!.t;
        if (t && args[i]!.arg.value.k !== 'lambda') this.unify(ptypesRaw[i]!, t, bound);
      }
      // lambdas: once their parameter types are known, their bodies give the rest
      for (let round = 0; round < 4; round++) {
        let progress = false;
        for (let i = 0; i < args.length; i++) {
          const a = args[i]!;
          if (a.arg.value.k !== 'lambda') continue;
          const p = subst(ptypesRaw[i]!, bound);
          if (p.k === 'delegate' && p.params.length !== a.arg.value.params.length) return undefined;
          if (p.k !== 'delegate' || p.params.some(hasParams) || !hasParams(p.ret)) continue;
          const r = this.lambda(a.arg.value, p.params, scope);
          if (r instanceof CSharpError) {
            this.lastInner ??= r;
            return undefined;
          }
          if (this.unify(p.ret, r, bound)) progress = true;
        }
        if (!progress) break;
      }
      if (tps.some((p) => !bound.has(p))) return undefined;
    }
    const ptypes = ptypesRaw.map((t) => subst(t, bound));
    if (receiver && c.ext) {
      const recvParam = subst(fromText(c.params[0]!.type, methodScope), bound);
      if (!converts(receiver, recvParam)) return undefined;
    }
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      const p = ptypes[i]!;
      if (a.arg.value.k === 'lambda') {
        if (p.k !== 'delegate') {
          if (isLoose(p)) continue;
          return undefined;
        }
        if (a.arg.value.params.length !== p.params.length) return undefined;
        const r = this.lambda(a.arg.value, p.params, scope);
        if (r instanceof CSharpError) {
          this.lastInner ??= r;
          return undefined;
        }
        if (p.ret.k !== 'void' && !converts(r, p.ret)) return undefined;
        continue;
      }
      if (a.arg.mod === 'out' || a.arg.mod === 'ref') {
        if (a.t === null) continue; // out var: takes the parameter's type
        if (!same(a.t, p) && !isLoose(a.t) && !isLoose(p)) return undefined;
        continue;
      }
      if (!this.convertsExpr(a.arg.value, a.t!, p)) return undefined;
    }
    return { c, expanded, ptypes, bound, ret: fromText(c.returns, new Map([...methodScope, ...bound])) };
  }

  /** Infers generic parameters of `p` from `a` (C# §12.6.3, lower-bound inference). */
  private unify(p: CType, a: CType, bound: Map<string, CType>): boolean {
    if (a.k === 'null' || a.k === 'unknown' || a.k === 'throw' || a.k === 'default') return false;
    switch (p.k) {
      case 'param': {
        const b = bound.get(p.name);
        if (!b) {
          bound.set(p.name, a);
          return true;
        }
        if (!same(b, a) && converts(b, a) && !converts(a, b)) {
          bound.set(p.name, a);
          return true;
        }
        return false;
      }
      case 'array':
        if (a.k === 'array') return this.unify(p.elem, a.elem, bound);
        return false;
      case 'nullable':
        return this.unify(p.of, a.k === 'nullable' ? a.of : a, bound);
      case 'delegate':
        if (a.k !== 'delegate') return false;
        return a.params.reduce((acc, x, i) => (p.params[i] ? this.unify(p.params[i]!, x, bound) || acc : acc), this.unify(p.ret, a.ret, bound));
      case 'named': {
        if (!p.args.length) return false;
        const match = a.k === 'nullable' ? undefined : ancestors(a).find((x) => x.k === 'named' && x.sig === p.sig);
        if (match?.k === 'named') return match.args.reduce((acc, x, i) => (p.args[i] ? this.unify(p.args[i]!, x, bound) || acc : acc), false);
        if (isString(a) && simpleName(p.sig.fullName) === 'IEnumerable') return this.unify(p.args[0]!, CHAR, bound);
        return false;
      }
      default:
        return false;
    }
  }

  /** C#'s "better function member" (§12.6.4.3), for the cases policy code meets. */
  private better(x: Applied, y: Applied, args: ArgInfo[]): boolean {
    let xb = false;
    let yb = false;
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      const px = x.ptypes[i]!;
      const py = y.ptypes[i]!;
      if (same(px, py)) continue;
      const at = a.t ?? (a.arg.value.k === 'lambda' ? this.lambdaReturn(a.arg.value, px, py) : null);
      const c = this.betterTarget(at, px, py);
      if (c > 0) xb = true;
      if (c < 0) yb = true;
    }
    if (xb !== yb) return xb;
    if (xb && yb) return false;
    // tie-breakers: the normal form over the expanded; non-generic over generic; fewer defaults used
    if (x.expanded !== y.expanded) return !x.expanded;
    if ((x.c.typeParams.length === 0) !== (y.c.typeParams.length === 0)) return x.c.typeParams.length === 0;
    if (!x.c.ext && y.c.ext) return true;
    return x.c.params.length < y.c.params.length;
  }

  private lambdaReturn(l: Extract<Expr, { k: 'lambda' }>, px: CType, py: CType): CType | null {
    if (px.k !== 'delegate' || py.k !== 'delegate') return null;
    const rx = px.ret;
    const ry = py.ret;
    if (same(rx, ry)) return null;
    const memo = this.lambdaMemo.get(l);
    const r = memo?.get(px.params.map(show).join(','));
    return r && !(r instanceof CSharpError) ? { k: 'delegate', params: px.params, ret: r } : null;
  }

  /** >0 when `tx` is the better conversion target for an argument of type `at`, <0 for `ty`. */
  private betterTarget(at: CType | null, tx: CType, ty: CType): number {
    if (at && at.k === 'delegate' && tx.k === 'delegate' && ty.k === 'delegate') {
      return this.betterTarget(at.ret, tx.ret, ty.ret);
    }
    if (at) {
      if (same(at, tx) && !same(at, ty)) return 1;
      if (same(at, ty) && !same(at, tx)) return -1;
    }
    const xy = converts(tx, ty);
    const yx = converts(ty, tx);
    if (xy && !yx) return 1;
    if (yx && !xy) return -1;
    const nx = numericOf(tx);
    const ny = numericOf(ty);
    const signed = (n: Numeric | undefined): boolean => n === 'sbyte' || n === 'short' || n === 'int' || n === 'long';
    const unsigned = (n: Numeric | undefined): boolean => n === 'byte' || n === 'ushort' || n === 'uint' || n === 'ulong';
    if (signed(nx) && unsigned(ny)) return 1;
    if (signed(ny) && unsigned(nx)) return -1;
    return 0;
  }

  /** Re-checks the chosen candidate's lambda arguments (so their nodes carry its types) and declares out variables. */
  private finish(a: Applied, args: ArgInfo[], scope: Scope): void {
    args.forEach((arg, i) => {
      const p = a.ptypes[i]!;
      if (arg.arg.value.k === 'lambda' && p.k === 'delegate') {
        const r = this.lambda(arg.arg.value, p.params, scope, true);
        if (r instanceof CSharpError) throw r;
      }
    });
    this.declareOuts(args, a.ptypes, scope);
  }

  private declareOuts(args: ArgInfo[], ptypes: CType[] | null, scope: Scope): void {
    args.forEach((a, i) => {
      const v = a.arg.value;
      if (v.k === 'declVar') {
        const t = a.t ?? ptypes?.[i] ?? UNKNOWN;
        v.ctype = show(t);
        scope.declare(v.name, { t }, v.pos);
      }
    });
  }

  /** Checks a lambda body with the given parameter types; its return type (void when none). */
  private lambda(l: Extract<Expr, { k: 'lambda' }>, params: CType[], scope: Scope, annotate = false): CType | CSharpError {
    if (l.params.length !== params.length) return new CSharpError('CS_TYPE', `the lambda takes ${l.params.length} parameters, not ${params.length}`, l.pos);
    const key = params.map(show).join(',');
    let memo = this.lambdaMemo.get(l);
    if (!memo) this.lambdaMemo.set(l, (memo = new Map()));
    if (!annotate && memo.has(key)) return memo.get(key)!;
    const inner = new Scope(scope);
    let result: CType | CSharpError;
    try {
      l.params.forEach((n, i) => {
        const declared = l.paramTypes?.[i];
        inner.declare(n, { t: declared ? this.typeOf(declared, l.pos) : params[i]! }, l.pos);
      });
      if (l.body.k === 'block') {
        this.returns.push([]);
        try {
          this.stmt(l.body as Stmt, inner);
        } finally {
          const rets = this.returns.pop()!;
          result = rets.length ? this.commonType(rets, l.pos) : VOID;
        }
      } else {
        result = this.value(l.body as Expr, inner, true);
      }
    } catch (err) {
      if (!(err instanceof CSharpError)) throw err;
      result = err;
    }
    memo.set(key, result!);
    return result!;
  }

  /** A lambda whose target type is unknown: its body is still checked, parameters untyped. */
  private looseLambda(l: Extract<Expr, { k: 'lambda' }>, scope: Scope): void {
    const r = this.lambda(l, l.params.map(() => UNKNOWN), scope, true);
    if (r instanceof CSharpError) throw r;
  }

  private commonType(ts: CType[], pos: number): CType {
    let t = ts.find((x) => x.k !== 'null' && x.k !== 'throw') ?? ts[0]!;
    for (const x of ts) {
      if (converts(x, t)) continue;
      if (converts(t, x)) t = x;
      else fail(`no best type between ${show(t)} and ${show(x)}`, pos);
    }
    return t;
  }

  private invokeDelegate(t: CType, e: Extract<Expr, { k: 'call' }>, scope: Scope): CType {
    if (isLoose(t)) {
      for (const a of e.args) if (a.value.k !== 'lambda') this.value(a.value, scope);
      return UNKNOWN;
    }
    if (t.k !== 'delegate') fail(`${show(t)} cannot be called like a method`, e.pos);
    if (e.args.length !== t.params.length) fail(`${show(t)} takes ${t.params.length} arguments, not ${e.args.length}`, e.pos);
    e.args.forEach((a, i) => this.expect(a.value, t.params[i]!, scope));
    return t.ret;
  }

  // ---- indexers, operators ------------------------------------------------------------------

  private index(e: Extract<Expr, { k: 'index' }>, scope: Scope): CType {
    let t = this.value(e.obj, scope);
    if (e.nullCond) t = this.liftNullCond(t);
    const args = e.args.map((a) => ({ arg: { value: a } as Arg, t: this.value(a, scope) }));
    if (isLoose(t)) return UNKNOWN;
    if (t.k === 'array') {
      for (const a of args) if (!this.convertsExpr(a.arg.value, a.t, prim('long')) ) fail(`an array index must be an integer, not ${show(a.t)}`, a.arg.value.pos);
      return e.nullCond ? this.nullableResult(t.elem) : t.elem;
    }
    const cands: Candidate[] = [];
    const seen = new Set<string>();
    for (const a of ancestors(t)) {
      if (a.k !== 'named') continue;
      if (isStandIn(a.sig)) return UNKNOWN;
      for (const p of a.sig.properties) {
        if (p.name !== 'this' || !p.indexParams) continue;
        const sigText = p.indexParams.map((x) => x.type).join(',');
        if (seen.has(sigText)) continue;
        seen.add(sigText);
        cands.push({ owner: a, ownerSig: a.sig, name: 'this', params: p.indexParams, typeParams: [], returns: p.type, ext: false, key: `${a.sig.fullName}::this[${p.indexParams.map((x) => x.type.replace(/\s+/g, '')).join(',')}]` });
      }
    }
    if (cands.length === 0) fail(`${this.typeLabel(t)} has no indexer in .NET Framework 4.8 (as far as APIM's type table goes)`, e.pos);
    const chosen = this.resolve(cands, args, [], scope);
    if (!chosen) {
      fail(`no indexer of ${this.typeLabel(t)} takes [${args.map((a) => show(a.t)).join(', ')}]; the indexers are: ${cands.map((c) => `[${describeParams(c.params)}]`).join('; ')}`, e.pos);
    }
    if (!allowed(chosen.c.ownerSig, 'Item') && !allowed(chosen.c.ownerSig, 'this')) notAllowed(chosen.c.ownerSig, 'Item', e.pos);
    e.member = chosen.c.key;
    return e.nullCond ? this.nullableResult(chosen.ret) : chosen.ret;
  }

  private indexerSettable(t: CType, args: CType[]): PropertySig | undefined {
    for (const a of ancestors(t)) {
      if (a.k !== 'named') continue;
      const p = a.sig.properties.find((x) => x.name === 'this' && x.indexParams?.length === args.length && x.settable);
      if (p) return p;
    }
    return undefined;
  }

  private unary(e: Extract<Expr, { k: 'unary' }>, scope: Scope): CType {
    const t = this.value(e.x, scope);
    if (isLoose(t)) return UNKNOWN;
    const base = t.k === 'nullable' ? t.of : t;
    if (e.op === '!') {
      if (!isBool(base)) fail(`operator '!' needs a bool, not ${show(t)}`, e.pos);
      return t;
    }
    const n = numericOf(base);
    if (!n) fail(`operator '${e.op}' needs a number, not ${show(t)}`, e.pos);
    if (e.op === '~' && (n === 'float' || n === 'double' || n === 'decimal')) fail(`operator '~' needs an integer, not ${show(t)}`, e.pos);
    let r: CType = prim(n === 'uint' && e.op === '-' ? 'long' : ['sbyte', 'byte', 'short', 'ushort', 'char'].includes(n) ? 'int' : n);
    if (t.k === 'nullable') r = { k: 'nullable', of: r };
    return r;
  }

  /** Binary numeric promotion (C# §12.4.7.3). */
  private promote(a: Numeric, b: Numeric, pos: number, op: string): CType {
    const has = (n: Numeric): boolean => a === n || b === n;
    if (has('decimal')) {
      if (has('float') || has('double')) fail(`operator '${op}' cannot mix decimal and ${has('float') ? 'float' : 'double'}`, pos);
      return prim('decimal');
    }
    if (has('double')) return prim('double');
    if (has('float')) return prim('float');
    if (has('ulong')) {
      if (['sbyte', 'short', 'int', 'long'].includes(a === 'ulong' ? b : a)) fail(`operator '${op}' is ambiguous on ulong and a signed integer`, pos);
      return prim('ulong');
    }
    if (has('long')) return prim('long');
    if (has('uint')) return ['sbyte', 'short', 'int'].includes(a === 'uint' ? b : a) ? prim('long') : prim('uint');
    return INT;
  }

  private binary(e: Extract<Expr, { k: 'binary' }>, scope: Scope): CType {
    const op = e.op;
    if (op === '??') {
      const l = this.value(e.l, scope);
      const r = this.value(e.r, scope);
      if (isLoose(l) || isLoose(r)) return UNKNOWN;
      if (isValueType(l) && l.k !== 'nullable') fail(`operator '??' needs a nullable or reference type on the left, not ${show(l)}`, e.pos);
      const lu = l.k === 'nullable' ? l.of : l;
      if (r.k === 'throw') return lu;
      if (this.convertsExpr(e.r, r, lu)) return lu;
      if (this.convertsExpr(e.r, r, l)) return l;
      if (converts(lu, r)) return r;
      fail(`operator '??' cannot combine ${show(l)} and ${show(r)}`, e.pos);
    }
    return this.operator(op, this.value(e.l, scope), this.value(e.r, scope), e.pos);
  }

  /** The result type of a binary operator (not ??) on operands of these types. */
  private operator(op: string, l: CType, r: CType, pos: number): CType {
    const e = { pos };
    if (isLoose(l) || isLoose(r)) return ['==', '!=', '<', '>', '<=', '>=', '&&', '||'].includes(op) ? BOOL : UNKNOWN;
    const lifted = l.k === 'nullable' || r.k === 'nullable';
    const lu = l.k === 'nullable' ? l.of : l;
    const ru = r.k === 'nullable' ? r.of : r;
    const ln = numericOf(lu);
    const rn = numericOf(ru);
    const wrap = (t: CType): CType => (lifted ? { k: 'nullable', of: t } : t);
    const bad = (): never => fail(`operator '${op}' cannot be applied to ${show(l)} and ${show(r)}`, e.pos);
    switch (op) {
      case '&&':
      case '||':
        if (!converts(l, BOOL) || !converts(r, BOOL) || l.k === 'null' || r.k === 'null') bad();
        return BOOL;
      case '==':
      case '!=': {
        if (l.k === 'null' || r.k === 'null') {
          const other = l.k === 'null' ? r : l;
          if (isValueType(other) && other.k !== 'nullable' && !this.userOp(other, other, 'op_Equality')) bad();
          return BOOL;
        }
        if (ln && rn) return BOOL;
        if (isBool(lu) && isBool(ru)) return BOOL;
        if (converts(l, r) || converts(r, l)) return BOOL;
        if (this.userOp(lu, ru, op === '==' ? 'op_Equality' : 'op_Inequality')) return BOOL;
        if (isReferenceType(l) && isReferenceType(r) && (l.k !== 'named' || l.sig.kind === 'interface' || r.k !== 'named' || r.sig.kind === 'interface')) return BOOL;
        return bad();
      }
      case '<':
      case '>':
      case '<=':
      case '>=': {
        if (ln && rn) return BOOL;
        const name = { '<': 'op_LessThan', '>': 'op_GreaterThan', '<=': 'op_LessThanOrEqual', '>=': 'op_GreaterThanOrEqual' }[op];
        if (this.userOp(lu, ru, name)) return BOOL;
        return bad();
      }
      case '+':
      case '-':
      case '*':
      case '/':
      case '%': {
        if (op === '+' && (isString(l) || isString(r))) {
          if (l.k === 'void' || r.k === 'void') bad();
          return STRING;
        }
        if (ln && rn) return wrap(this.promote(ln, rn, e.pos, op));
        const name = { '+': 'op_Addition', '-': 'op_Subtraction', '*': 'op_Multiply', '/': 'op_Division', '%': 'op_Modulus' }[op];
        const u = this.userOp(lu, ru, name);
        if (u) return wrap(u);
        return bad();
      }
      case '&':
      case '|':
      case '^': {
        if (isBool(lu) && isBool(ru)) return wrap(BOOL);
        const integral = (n: Numeric | undefined): boolean => n !== undefined && n !== 'float' && n !== 'double' && n !== 'decimal';
        if (integral(ln) && integral(rn)) return wrap(this.promote(ln!, rn!, e.pos, op));
        if (lu.k === 'named' && lu.sig.kind === 'enum' && same(lu, ru)) return wrap(lu);
        return bad();
      }
      case '<<':
      case '>>': {
        const integral = (n: Numeric | undefined): boolean => n !== undefined && n !== 'float' && n !== 'double' && n !== 'decimal';
        if (integral(ln) && integral(rn)) return wrap(this.promote(ln!, 'int', e.pos, op));
        return bad();
      }
    }
    return bad();
  }

  /** A user-defined operator (op_Addition, …) of either operand's type that takes both. */
  private userOp(l: CType, r: CType, name: string): CType | undefined {
    for (const t of [l, r]) {
      if (t.k !== 'named') continue;
      for (const m of t.sig.methods) {
        if (m.name !== name || m.params.length !== 2) continue;
        const scope = typeScope(t);
        if (converts(l, fromText(m.params[0]!.type, scope)) && converts(r, fromText(m.params[1]!.type, scope))) return fromText(m.returns, scope);
      }
    }
    return undefined;
  }

  private conditional(e: Extract<Expr, { k: 'cond' }>, scope: Scope): CType {
    this.condition(e.c, scope);
    const a = this.value(e.a, scope);
    const b = this.value(e.b, scope);
    if (isLoose(a) || isLoose(b)) return UNKNOWN;
    if (same(a, b)) return a;
    const ab = this.convertsExpr(e.a, a, b);
    const ba = this.convertsExpr(e.b, b, a);
    if (ab && !ba) return b;
    if (ba && !ab) return a;
    if (ab && ba) return a.k === 'null' || a.k === 'throw' || a.k === 'default' ? b : a;
    fail(`no implicit conversion between ${show(a)} and ${show(b)} in ?: (a target-typed conditional is C# 9; APIM compiles C# 7)`, e.pos);
  }

  private castable(from: CType, to: CType, pos: number): void {
    if (isLoose(from) || isLoose(to) || converts(from, to) || converts(to, from)) return;
    const fn = numericOf(from.k === 'nullable' ? from.of : from);
    const tn = numericOf(to.k === 'nullable' ? to.of : to);
    if (fn && tn) return;
    if ((fn && to.k === 'named' && to.sig.kind === 'enum') || (tn && from.k === 'named' && from.sig.kind === 'enum')) return;
    // explicit user-defined conversions (JToken → string, …)
    for (const t of [from, to]) {
      if (t.k !== 'named') continue;
      if (t.sig.methods.some((m) => (m.name === 'op_Explicit' || m.name === 'op_Implicit') && converts(from, fromText(m.params[0]?.type ?? '', typeScope(t))) && converts(fromText(m.returns, typeScope(t)), to))) return;
    }
    if (isReferenceType(from) && isReferenceType(to) && ((from.k === 'named' && from.sig.kind === 'interface') || (to.k === 'named' && to.sig.kind === 'interface'))) return;
    fail(`cannot convert ${show(from)} to ${show(to)}`, pos);
  }

  // ---- new, assignment ----------------------------------------------------------------------

  private newExpr(e: Extract<Expr, { k: 'new' }>, scope: Scope): CType {
    if (e.type === null) {
      // new[] { … }: the best common type of the elements
      const ts = (e.init ?? []).map((x) => this.value(x, scope));
      if (ts.length === 0) fail('no best type for the implicitly-typed array new[] { }', e.pos);
      return { k: 'array', elem: this.commonType(ts, e.pos), rank: 1 };
    }
    if (e.type.name === '$anonymous') {
      const members = new Map<string, CType>();
      for (const m of e.init ?? []) {
        if (m.k !== 'new') continue;
        const name = m.args[0]?.value.k === 'lit' ? String(m.args[0].value.v) : '';
        const v = this.value(m.args[1]!.value, scope);
        if (v.k === 'null' || v.k === 'void') fail(`cannot assign ${show(v)} to anonymous type member '${name}'`, m.pos);
        members.set(name, v);
      }
      return { k: 'anon', members };
    }
    if (e.type.array > 0) {
      const elem = this.typeOf({ ...e.type, array: e.type.array - 1 }, e.pos);
      for (const a of e.args) this.expect(a.value, INT, scope);
      for (const x of e.init ?? []) this.expect(x, elem, scope);
      return { k: 'array', elem, rank: 1 };
    }
    const t = this.typeOf(e.type, e.pos);
    const args = this.argInfos(e.args, scope);
    if (isLoose(t)) {
      for (const x of e.init ?? []) this.initEntry(x, t, scope);
      return t;
    }
    if (t.k !== 'named') fail(`cannot create an instance of ${show(t)}`, e.pos);
    if (t.sig.kind === 'interface' || t.sig.kind === 'static-class') fail(`cannot create an instance of the ${t.sig.kind === 'interface' ? 'interface' : 'static class'} ${show(t)}`, e.pos);
    const isStruct = t.sig.kind === 'struct' || t.sig.kind === 'enum';
    if (!(isStruct && args.length === 0)) {
      const scopeT = typeScope(t);
      void scopeT;
      const cands: Candidate[] = t.sig.constructors.map((params) => ({
        owner: t, ownerSig: t.sig, name: '.ctor', params, typeParams: [], returns: show(t), ext: false, key: memberKey(t.sig, '.ctor', params),
      }));
      const chosen = cands.length ? this.resolve(cands, args, [], scope) : undefined;
      if (!chosen) {
        if (cands.length === 0) fail(`${this.typeLabel(t)} has no public constructor`, e.pos);
        this.noOverload(t, '.ctor', cands, args, e.pos);
      }
      if (!allowed(t.sig, '.ctor')) notAllowed(t.sig, '.ctor', e.pos);
      this.finish(chosen, args, scope);
      e.member = chosen.c.key;
    } else if (!allowed(t.sig, '.ctor') && t.sig.apim.members !== undefined) {
      notAllowed(t.sig, '.ctor', e.pos);
    }
    for (const x of e.init ?? []) this.initEntry(x, t, scope);
    return t;
  }

  /** One entry of an object or collection initializer. */
  private initEntry(x: Expr, t: CType, scope: Scope): void {
    if (x.k === 'memberInit') {
      if (isLoose(t)) {
        this.value(x.value, scope);
        return;
      }
      const p = this.property(t, x.name, false, x);
      this.expect(x.value, p, scope);
      return;
    }
    if (x.k === 'indexInit') {
      const args = x.args.map((a) => this.value(a, scope));
      if (isLoose(t)) {
        this.value(x.value, scope);
        return;
      }
      const p = this.indexerSettable(t, args);
      if (!p) fail(`${show(t)} has no settable indexer`, x.pos);
      this.expect(x.value, fromText(p.type, typeScope(t)), scope);
      return;
    }
    // collection initializer: an Add call per entry
    const items = x.k === 'new' && x.type?.name === '$pair' ? x.args : [{ value: x }];
    if (isLoose(t)) {
      for (const a of items) this.value(a.value, scope);
      return;
    }
    const args = this.argInfos(items, scope);
    const cands = this.methods(t, 'Add', false);
    const chosen = cands.length ? this.resolve(cands, args, [], scope, t) : undefined;
    if (!chosen) fail(`a collection initializer needs ${show(t)}.Add taking (${args.map((a) => (a.t ? show(a.t) : '?')).join(', ')})`, x.pos);
    if (!allowed(chosen.c.ownerSig, 'Add')) notAllowed(chosen.c.ownerSig, 'Add', x.pos);
    x.member = chosen.c.key;
  }

  private assign(e: Extract<Expr, { k: 'assign' }>, scope: Scope): CType {
    const target = e.target;
    let t: CType;
    if (target.k === 'id') {
      const b = scope.get(target.name);
      if (!b) fail(`unknown name '${target.name}'`, target.pos);
      if (target.name === 'context') fail("'context' is read-only", target.pos);
      t = b.t;
    } else if (target.k === 'member') {
      t = this.value(target, scope);
      this.settableProperty(target, scope);
    } else if (target.k === 'index') {
      t = this.value(target, scope);
      const recv = this.value(target.obj, scope);
      if (recv.k !== 'array' && !isLoose(recv) && !this.indexerSettable(recv, target.args.map(() => UNKNOWN))) fail(`the indexer of ${show(recv)} is read-only`, target.pos);
    } else {
      fail('the left side of an assignment must be a variable, property or indexer', target.pos);
    }
    target.ctype = show(t);
    if (e.op === '=') {
      this.expect(e.value, t, scope);
      return t;
    }
    const v = this.value(e.value, scope);
    if (e.op === '+=' && isString(t)) return t;
    const r = this.operator(e.op.slice(0, -1), t, v, e.pos);
    // x op= y is x = (T)(x op y) when y converts to T (C# §12.21.4)
    if (!isLoose(r) && !converts(r, t) && !(numericOf(t) && converts(v, t))) fail(`cannot convert ${show(r)} to ${show(t)} in '${e.op}'`, e.pos);
    return t;
  }

  private settableProperty(target: Extract<Expr, { k: 'member' }>, scope: Scope): void {
    const recv = this.operand(target.obj, scope);
    if (recv.kind === 'ns') return;
    const t = recv.t;
    if (isLoose(t)) return;
    for (const a of ancestors(t)) {
      if (a.k !== 'named') continue;
      const p = a.sig.properties.find((x) => x.name === target.name);
      if (p) {
        if (!p.settable) fail(`${this.typeLabel(t)}.${target.name} is read-only`, target.pos);
        return;
      }
      const f = a.sig.fields.find((x) => x.name === target.name);
      if (f) {
        if (f.readonly) fail(`${this.typeLabel(t)}.${target.name} is read-only`, target.pos);
        return;
      }
    }
  }
}

/** For tests and callers that keep one checker: the value types used above. */
export const TYPES_FOR_TESTS = { STRING, OBJECT, BOOL, INT, CHAR, NULL, VOID, UNKNOWN, isObject, numericWidens, aliasOf };
