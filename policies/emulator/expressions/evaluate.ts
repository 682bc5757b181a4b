/**
 * The interpreter: walks the syntax tree of one expression against a host (`context`, a clock,
 * a random source). It never reaches JS properties directly: primitives have explicit member
 * tables here, everything else is a HostObject listing its own members.
 */
import { randomUUID } from 'node:crypto';
import { ExpressionError } from '../errors.js';
import { typeToString, type Arg, type Expr, type Stmt, type TypeRef } from './ast.js';
import { LimitExceeded, chargeArray, chargeString, charge, step, withBudget } from './budget.js';
import { JProperty, JToken, jsonObject, jsonText, parseJson, setJson, toJson, unwrapJson, type Json } from './json.js';
import { JwtValue } from './jwt-value.js';
import { CsDateTime, CsDictionary, CsException, CsGuid, CsHmac, CsRandom, CsRecord, CsTimeSpan, HostObject, MultiDict, NO_MEMBER, convertTo, formatDate } from './values.js';

/** What an expression can reach besides its own locals. */
export interface EvalHost {
  /** The `context` object. */
  context: unknown;
  /** Milliseconds since the epoch (DateTime.UtcNow). */
  now(): number;
  /** [0, 1) (new Random()). */
  random(): number;
}

/** A value standing for a static type in `Type.Member` (DateTime, string, Convert...). */
class StaticType {
  /** Members whose value is a constant primitive (StringComparison.X, string.Empty, int.MaxValue...), once read. */
  readonly constants = new Map<string, unknown>();
  constructor(readonly name: string) {}
}

const staticTypes = new Map<string, StaticType>();
function staticType(name: string): StaticType {
  let t = staticTypes.get(name);
  if (!t) staticTypes.set(name, (t = new StaticType(name)));
  return t;
}

class Lambda {
  constructor(
    readonly params: string[],
    readonly body: Expr | Stmt,
    readonly env: Env,
    /** The compiled expression body (null for a statement body). */
    readonly run: Thunk | null = null,
  ) {}
}

class Encoding extends HostObject {
  readonly typeName = 'Encoding';
  constructor(readonly name: 'utf-8' | 'ascii' | 'utf-16le') {
    super();
  }
  override callMethod(name: string, args: unknown[]): unknown {
    if (name === 'GetBytes') {
      chargeString(str(args[0]).length);
      return new Uint8Array(Buffer.from(str(args[0]), this.name === 'utf-16le' ? 'utf16le' : this.name === 'ascii' ? 'latin1' : 'utf8'));
    }
    if (name === 'GetString') {
      if (!(args[0] instanceof Uint8Array)) throw new CsException('ArgumentException', 'GetString expects a byte[].');
      chargeString(args[0].length);
      return Buffer.from(args[0]).toString(this.name === 'utf-16le' ? 'utf16le' : this.name === 'ascii' ? 'latin1' : 'utf8');
    }
    return NO_MEMBER;
  }
}

const MISSING: unique symbol = Symbol('missing');

class Env {
  // the first variable in fields (a lambda's parameter, a foreach item), more in a map made on demand
  private name0: string | null = null;
  private value0: unknown = undefined;
  private vars: Map<string, unknown> | null = null;
  constructor(readonly parent: Env | null) {}
  /** The variable's value, or MISSING. */
  get(name: string): unknown {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    for (let e: Env | null = this; e !== null; e = e.parent) {
      if (e.name0 === name) return e.value0;
      const vars = e.vars;
      if (vars !== null && vars.has(name)) return vars.get(name);
    }
    return MISSING;
  }
  declare(name: string, value: unknown): void {
    if (this.name0 === null || this.name0 === name) {
      this.name0 = name;
      this.value0 = value;
    } else (this.vars ??= new Map()).set(name, value);
  }
  assign(name: string, value: unknown): boolean {
    if (this.name0 === name) {
      this.value0 = value;
      return true;
    }
    if (this.vars !== null && this.vars.has(name)) {
      this.vars.set(name, value);
      return true;
    }
    return this.parent ? this.parent.assign(name, value) : false;
  }
}

const STATIC_TYPES = new Set([
  'DateTime', 'DateTimeOffset', 'TimeSpan', 'string', 'String', 'Convert', 'Encoding', 'Guid', 'Math', 'int', 'Int32', 'long', 'Int64',
  'double', 'Double', 'bool', 'Boolean', 'StringComparison', 'StringSplitOptions', 'JObject', 'JArray', 'JToken', 'Uri', 'WebUtility',
  'System.Net.WebUtility', 'System.Text.Encoding', 'System.Convert', 'System.DateTime', 'System.String', 'System.Guid', 'Formatting',
  'Newtonsoft.Json.Formatting', 'System.StringComparison', 'System.StringSplitOptions', 'Regex', 'System.Text.RegularExpressions.Regex', 'char', 'Char', 'System.TimeSpan',
  'JsonConvert', 'Newtonsoft.Json.JsonConvert', 'Enumerable', 'System.Linq.Enumerable',
]);

/** Lambda and local-function calls nested deeper than this stop the run (C# would overflow its stack). */
const MAX_CALL_DEPTH = 256;

interface Frame {
  host: EvalHost;
  pos: number;
  depth: number;
}

/** Evaluates a parsed expression. Runtime failures throw ExpressionError('EXPR_RUNTIME'). */
export function evaluateExpr(expr: Expr, host: EvalHost): unknown {
  return compileExpr(expr)(host);
}

/** The expression compiled to closures once; the returned function evaluates it per request. */
export function compileExpr(expr: Expr): (host: EvalHost) => unknown {
  const t = thunk(expr);
  const pos = expr.pos;
  return (host) => {
    const f: Frame = { host, pos, depth: 0 };
    try {
      return withBudget(() => t(new Env(null), f));
    } catch (err) {
      throw wrapError(err, f);
    }
  };
}

/** Runs a statement block; its `return` value is the result. */
export function evaluateBlock(body: Stmt[], host: EvalHost): unknown {
  const f: Frame = { host, pos: body[0]?.pos ?? 0, depth: 0 };
  try {
    return withBudget(() => {
      const env = new Env(null);
      for (const s of body) {
        const r = exec(s, env, f);
        if (r !== undefined) {
          if (r.type === 'return') return r.value;
          throw new ExpressionError('EXPR_SYNTAX', `'${r.type}' outside a loop`, f.pos);
        }
      }
      throw new CsException('InvalidOperationException', 'The expression block ended without a return statement.');
    });
  } catch (err) {
    throw wrapError(err, f);
  }
}

function wrapError(err: unknown, f: Frame): Error {
  if (err instanceof ExpressionError) return err;
  if (err instanceof CsException) return new ExpressionError('EXPR_RUNTIME', `${err.exceptionType}: ${err.message}`, f.pos);
  if (err instanceof RangeError) return new ExpressionError('EXPR_RUNTIME', `${err.message}`, f.pos);
  return err instanceof Error ? err : new Error(String(err));
}

function unsupported(what: string, f: Frame): never {
  throw new ExpressionError('EXPR_UNSUPPORTED', `unsupported C# construct: ${what}`, f.pos);
}

type Completion = undefined | { type: 'return'; value: unknown } | { type: 'break' } | { type: 'continue' };

function exec(s: Stmt, env: Env, f: Frame): Completion {
  f.pos = s.pos;
  step();
  switch (s.k) {
    case 'decl':
      for (const d of s.names) env.declare(d.name, d.init ? ev(d.init, env, f) : null);
      return undefined;
    case 'expr':
      ev(s.x, env, f);
      return undefined;
    case 'return':
      return { type: 'return', value: s.x ? ev(s.x, env, f) : undefined };
    case 'if':
      if (truthy(ev(s.c, env, f), f)) return exec(s.then, new Env(env), f);
      return s.else ? exec(s.else, new Env(env), f) : undefined;
    case 'block': {
      const inner = new Env(env);
      for (const x of s.body) {
        const r = exec(x, inner, f);
        if (r) return r;
      }
      return undefined;
    }
    case 'foreach': {
      const items = enumerate(ev(s.iter, env, f), f);
      for (const item of items) {
        const inner = new Env(env);
        inner.declare(s.name, item);
        const r = exec(s.body, inner, f);
        if (r?.type === 'break') break;
        if (r?.type === 'return') return r;
      }
      return undefined;
    }
    case 'for': {
      const loop = new Env(env);
      if (s.init) exec(s.init, loop, f);
      while (s.c === null || truthy(ev(s.c, loop, f), f)) {
        const r = exec(s.body, new Env(loop), f);
        if (r?.type === 'break') break;
        if (r?.type === 'return') return r;
        for (const u of s.update) ev(u, loop, f);
        step();
      }
      return undefined;
    }
    case 'while':
      while (truthy(ev(s.c, env, f), f)) {
        const r = exec(s.body, new Env(env), f);
        if (r?.type === 'break') break;
        if (r?.type === 'return') return r;
        step();
      }
      return undefined;
    case 'break':
      return { type: 'break' };
    case 'continue':
      return { type: 'continue' };
    case 'throw': {
      if (s.x === null) {
        // `throw;` in a catch rethrows what it caught
        const caught = env.get(CAUGHT);
        if (caught !== MISSING) throw caught;
        throw new CsException('Exception', 'Exception of type System.Exception was thrown.');
      }
      const v = ev(s.x, env, f);
      if (v instanceof CsExceptionValue) throw new CsException(v.exceptionType, v.message);
      throw new CsException('Exception', 'Exception of type System.Exception was thrown.');
    }
    case 'try':
      return execTry(s, env, f);
  }
}

/** Where a catch clause keeps what it caught, for `throw;`. Not a C# identifier, so no expression can name it. */
const CAUGHT = '$caught';

/** The C# exception a thrown error is, when a policy's catch may handle it (never an emulator limit: steps, sizes, depth). */
function catchable(err: unknown): CsException | null {
  return err instanceof CsException && !(err instanceof LimitExceeded) ? err : null;
}

/** The base classes of the exceptions the emulator throws, for `catch (Base e)`. */
const EXCEPTION_BASES = new Map<string, string>([
  ['ArgumentNullException', 'ArgumentException'],
  ['ArgumentOutOfRangeException', 'ArgumentException'],
  ['JsonReaderException', 'JsonException'],
  ['KeyNotFoundException', 'SystemException'],
  ['NullReferenceException', 'SystemException'],
  ['InvalidCastException', 'SystemException'],
  ['InvalidOperationException', 'SystemException'],
  ['FormatException', 'SystemException'],
  ['ArgumentException', 'SystemException'],
  ['IndexOutOfRangeException', 'SystemException'],
  ['OverflowException', 'ArithmeticException'],
  ['DivideByZeroException', 'ArithmeticException'],
  ['ArithmeticException', 'SystemException'],
]);

function isA(thrown: string, caught: string): boolean {
  const want = caught.replace(/^(?:System|Newtonsoft\.Json|System\.Collections\.Generic)\./, '');
  if (want === 'Exception') return true;
  for (let t: string | undefined = thrown; t !== undefined; t = EXCEPTION_BASES.get(t)) if (t === want) return true;
  return false;
}

function execTry(s: Extract<Stmt, { k: 'try' }>, env: Env, f: Frame): Completion {
  try {
    return exec(s.body, new Env(env), f);
  } catch (err) {
    const ex = catchable(err);
    if (ex === null) throw err;
    for (const clause of s.catches) {
      if (clause.type !== null && !isA(ex.exceptionType, clause.type)) continue;
      const inner = new Env(env);
      inner.declare(CAUGHT, err);
      if (clause.name !== null) inner.declare(clause.name, new CsExceptionValue(ex.message, ex.exceptionType));
      if (clause.filter !== null && !truthy(ev(clause.filter, inner, f), f)) continue;
      return exec(clause.body, inner, f);
    }
    throw err;
  } finally {
    if (s.fin !== null) exec(s.fin, new Env(env), f);
  }
}

class CsExceptionValue extends HostObject {
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
    if (name === 'ToString') return `${this.exceptionType}: ${this.message}`;
    return NO_MEMBER;
  }
}

function truthy(v: unknown, _f: Frame): boolean {
  if (typeof v === 'boolean') return v;
  if (v instanceof JToken && typeof v.value === 'boolean') return v.value;
  throw new CsException('InvalidCastException', `a condition must be bool, not ${typeName(v)}`);
}

/** A compiled expression node: evaluated without walking the tree again. */
type Thunk = (env: Env, f: Frame) => unknown;

const compiledNodes = new WeakMap<Expr, Thunk>();

function ev(e: Expr, env: Env, f: Frame): unknown {
  return thunk(e)(env, f);
}

/** The node compiled once (cached per node). */
function thunk(e: Expr): Thunk {
  let t = compiledNodes.get(e);
  if (t === undefined) {
    t = compileNode(e);
    compiledNodes.set(e, t);
  }
  return t;
}

const NO_NAMED: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;

/**
 * The same text as an internalized string. Names sliced out of the expression's code are not
 * internalized, so every `switch (name)` in the member tables compared them character by
 * character; an internalized name compares by identity.
 */
function intern(s: string): string {
  return Object.keys({ [s]: 0 })[0] ?? s;
}

function thunks(xs: readonly Expr[]): Thunk[] {
  return xs.map((x) => thunk(x));
}

function evalAll(ts: readonly Thunk[], env: Env, f: Frame): unknown[] {
  const out = new Array<unknown>(ts.length);
  for (let i = 0; i < ts.length; i++) out[i] = ts[i]!(env, f);
  return out;
}

/**
 * The hot node kinds as closures over their compiled children (each sets `f.pos` as the tree
 * walk did, so error positions are unchanged); the rest fall back to {@link evNode}.
 */
function compileNode(e: Expr): Thunk {
  const pos = e.pos;
  switch (e.k) {
    case 'lit': {
      const v = typeof e.v === 'string' ? intern(e.v) : e.v;
      return (_env, f) => {
        f.pos = pos;
        return v;
      };
    }
    case 'id': {
      const name = intern(e.name);
      const isStatic = STATIC_TYPES.has(name);
      return (env, f) => {
        f.pos = pos;
        const local = env.get(name);
        if (local !== MISSING) return local;
        if (name === 'context') return f.host.context;
        if (isStatic) return staticType(name);
        throw new ExpressionError('EXPR_UNSUPPORTED', `unknown name '${name}'`, pos);
      };
    }
    case 'member': {
      const obj = thunk(e.obj);
      const name = intern(e.name);
      const nullCond = e.nullCond;
      return (env, f) => {
        f.pos = pos;
        const o = obj(env, f);
        f.pos = pos;
        if (o === null || o === undefined) {
          if (nullCond) return null;
          throw new CsException('NullReferenceException', `Object reference not set to an instance of an object (reading '${name}').`);
        }
        return getMember(o, name, f);
      };
    }
    case 'index': {
      const obj = thunk(e.obj);
      const args = thunks(e.args);
      const nullCond = e.nullCond;
      return (env, f) => {
        f.pos = pos;
        const o = obj(env, f);
        if (o === null || o === undefined) {
          if (nullCond) return null;
          throw new CsException('NullReferenceException', 'Object reference not set to an instance of an object (indexing).');
        }
        const a = evalAll(args, env, f);
        f.pos = pos;
        return getIndex(o, a, f);
      };
    }
    case 'call': {
      const callee = e.callee;
      if (callee.k !== 'member' || e.args.some((a) => a.name)) break;
      const typeArgs = e.typeArgs.map(typeToString);
      const target = thunk(callee.obj);
      const args = thunks(e.args.map((a) => a.value));
      const name = intern(callee.name);
      const nullCond = callee.nullCond;
      return (env, f) => {
        f.pos = pos;
        const t = target(env, f);
        const positional = evalAll(args, env, f);
        f.pos = pos;
        if (t === null || t === undefined) {
          if (nullCond) return null;
          throw new CsException('NullReferenceException', `Object reference not set to an instance of an object (calling '${name}').`);
        }
        return callMethod(t, name, positional, typeArgs, NO_NAMED, f);
      };
    }
    case 'unary': {
      if (e.op !== '!') break;
      const x = thunk(e.x);
      return (env, f) => {
        f.pos = pos;
        return !truthy(x(env, f), f);
      };
    }
    case 'binary': {
      const op = e.op;
      const l = thunk(e.l);
      const r = thunk(e.r);
      const rpos = e.r.pos;
      if (op === '&&') {
        return (env, f) => {
          f.pos = pos;
          return truthy(l(env, f), f) && truthy(r(env, f), f);
        };
      }
      if (op === '||') {
        return (env, f) => {
          f.pos = pos;
          return truthy(l(env, f), f) || truthy(r(env, f), f);
        };
      }
      if (op === '??') {
        return (env, f) => {
          f.pos = pos;
          const a = l(env, f);
          return a === null || a === undefined ? r(env, f) : a;
        };
      }
      return (env, f) => {
        f.pos = pos;
        const a = l(env, f);
        const b = r(env, f);
        f.pos = rpos;
        return binaryValues(op, a, b, f);
      };
    }
    case 'cond': {
      const c = thunk(e.c);
      const a = thunk(e.a);
      const b = thunk(e.b);
      return (env, f) => {
        f.pos = pos;
        return truthy(c(env, f), f) ? a(env, f) : b(env, f);
      };
    }
    case 'cast': {
      const x = thunk(e.x);
      const type = e.type;
      const name = baseName(type.name);
      // the common casts, decided without the general path (same answers: see cast)
      const plain = type.array === 0;
      const isJwt = plain && name === 'Jwt';
      const isString = plain && (name === 'string' || name === 'String');
      return (env, f) => {
        f.pos = pos;
        const v = x(env, f);
        if ((isJwt && v instanceof JwtValue) || (isString && typeof v === 'string')) return v;
        return cast(v, type, f);
      };
    }
    case 'lambda': {
      const params = e.params.map(intern);
      const body = e.body;
      const bodyThunk = isStmt(body) ? null : thunk(body);
      return (env, f) => {
        f.pos = pos;
        return new Lambda(params, body, env, bodyThunk);
      };
    }
    case 'interp': {
      const parts = e.parts.map((p) => (typeof p === 'string' ? p : { t: thunk(p.expr), format: p.format }));
      return (env, f) => {
        f.pos = pos;
        let out = '';
        for (const p of parts) {
          if (typeof p === 'string') out += p;
          else {
            const v = p.t(env, f);
            const piece = p.format !== undefined ? formatValue(v, p.format) : str(v);
            chargeString(out.length + piece.length);
            out += piece;
          }
        }
        return out;
      };
    }
  }
  return (env, f) => evNode(e, env, f);
}

function evNode(e: Expr, env: Env, f: Frame): unknown {
  f.pos = e.pos;
  switch (e.k) {
    case 'lit':
      return e.v;
    case 'interp': {
      let out = '';
      for (const p of e.parts) {
        if (typeof p === 'string') out += p;
        else {
          const v = ev(p.expr, env, f);
          const piece = p.format !== undefined ? formatValue(v, p.format) : str(v);
          chargeString(out.length + piece.length);
          out += piece;
        }
      }
      return out;
    }
    case 'id': {
      const local = env.get(e.name);
      if (local !== MISSING) return local;
      if (e.name === 'context') return f.host.context;
      if (STATIC_TYPES.has(e.name)) return staticType(e.name);
      throw new ExpressionError('EXPR_UNSUPPORTED', `unknown name '${e.name}'`, e.pos);
    }
    case 'member': {
      const obj = ev(e.obj, env, f);
      f.pos = e.pos;
      if (obj === null || obj === undefined) {
        if (e.nullCond) return null;
        throw new CsException('NullReferenceException', `Object reference not set to an instance of an object (reading '${e.name}').`);
      }
      return getMember(obj, e.name, f);
    }
    case 'call':
      return call(e, env, f);
    case 'index': {
      const obj = ev(e.obj, env, f);
      if (obj === null || obj === undefined) {
        if (e.nullCond) return null;
        throw new CsException('NullReferenceException', 'Object reference not set to an instance of an object (indexing).');
      }
      const args = e.args.map((a) => ev(a, env, f));
      f.pos = e.pos;
      return getIndex(obj, args, f);
    }
    case 'unary': {
      const x = ev(e.x, env, f);
      switch (e.op) {
        case '!':
          return !truthy(x, f);
        case '-':
          return -num(x, f);
        case '+':
          return num(x, f);
        default:
          return ~num(x, f);
      }
    }
    case 'incdec': {
      const old = num(ev(e.x, env, f), f);
      const next = e.op === '++' ? old + 1 : old - 1;
      assignTo(e.x, next, env, f);
      return e.prefix ? next : old;
    }
    case 'binary':
      return binary(e.op, e.l, e.r, env, f);
    case 'cond':
      return truthy(ev(e.c, env, f), f) ? ev(e.a, env, f) : ev(e.b, env, f);
    case 'cast':
      return cast(ev(e.x, env, f), e.type, f);
    case 'is': {
      const v = ev(e.x, env, f);
      const ok = isType(v, e.type, f);
      if (ok && e.bind) env.declare(e.bind, v);
      return ok;
    }
    case 'as': {
      const v = ev(e.x, env, f);
      return isType(v, e.type, f) ? v : null;
    }
    case 'lambda':
      return new Lambda(e.params, e.body, env);
    case 'new':
      return construct(e.type, e.args.map((a) => ev(a.value, env, f)), e.init ? e.init.map((x) => ev(x, env, f)) : null, f);
    case 'typeName':
      return (e as { cached?: StaticType }).cached ?? ((e as { cached?: StaticType }).cached = new StaticType(e.type.name));
    case 'assign': {
      let value = ev(e.value, env, f);
      if (e.op !== '=') {
        const cur = ev(e.target, env, f);
        if (e.op === '??=') {
          if (cur !== null && cur !== undefined) return cur;
        } else value = arith(e.op[0]!, cur, value, f);
      }
      assignTo(e.target, value, env, f);
      return value;
    }
  }
}

/**
 * Once per expression: dotted static type names (`System.Text.Encoding`, `Newtonsoft.Json.Formatting`)
 * become type nodes, so evaluation never rebuilds dotted strings.
 */
export function resolveStaticTypes<T>(node: T): T {
  if (Array.isArray(node)) return node.map((x) => resolveStaticTypes(x)) as T;
  if (node === null || typeof node !== 'object') return node;
  const n = node as unknown as Expr;
  if (n.k === 'member') {
    const dotted = dottedName(n);
    if (dotted && dotted.includes('.') && STATIC_TYPES.has(dotted) && !dotted.startsWith('context.')) {
      return { k: 'typeName', type: { name: dotted, args: [], array: 0, nullable: false }, pos: n.pos } as T;
    }
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node as Record<string, unknown>)) out[k] = typeof v === 'object' && v !== null ? resolveStaticTypes(v) : v;
  return out as T;
}

function dottedName(e: Expr): string | null {
  if (e.k === 'id') return e.name;
  if (e.k === 'member') {
    const left = dottedName(e.obj);
    return left === null ? null : `${left}.${e.name}`;
  }
  return null;
}

function assignTo(target: Expr, value: unknown, env: Env, f: Frame): void {
  if (target.k === 'id') {
    if (!env.assign(target.name, value)) throw new ExpressionError('EXPR_SYNTAX', `assignment to undeclared name '${target.name}'`, target.pos);
    return;
  }
  if (target.k === 'index') {
    const obj = ev(target.obj, env, f);
    const key = ev(target.args[0]!, env, f);
    if (obj === null || obj === undefined) throw new CsException('NullReferenceException', 'Object reference not set to an instance of an object (indexing).');
    if (Array.isArray(obj) || obj instanceof Uint8Array) {
      const i = num(key, f);
      if (!Number.isInteger(i) || i < 0 || i >= obj.length) throw new CsException('IndexOutOfRangeException', 'Index was outside the bounds of the array.');
      obj[i] = value as never;
      return;
    }
    if (obj instanceof HostObject && obj.setIndex(key, value)) return;
    unsupported(`assignment through an indexer of ${typeName(obj)}`, f);
  }
  unsupported('assignment to a member', f);
}

// ---- calls ----------------------------------------------------------------------------------

function evalArgs(args: Arg[], env: Env, f: Frame): { positional: unknown[]; named: Record<string, unknown> } {
  const positional: unknown[] = [];
  // no prototype: a named argument is called whatever the expression says (`__proto__:` too)
  const named = Object.create(null) as Record<string, unknown>;
  for (const a of args) {
    const v = ev(a.value, env, f);
    if (a.name) named[a.name] = v;
    else positional.push(v);
  }
  return { positional, named };
}

function call(e: Extract<Expr, { k: 'call' }>, env: Env, f: Frame): unknown {
  const callee = e.callee;
  const cached = e as { typeArgStrings?: string[] };
  const typeArgs = (cached.typeArgStrings ??= e.typeArgs.map(typeToString));
  if (callee.k === 'member') {
    const target = ev(callee.obj, env, f);
    const { positional, named } = evalArgs(e.args, env, f);
    f.pos = e.pos;
    if (target === null || target === undefined) {
      if (callee.nullCond) return null;
      throw new CsException('NullReferenceException', `Object reference not set to an instance of an object (calling '${callee.name}').`);
    }
    return callMethod(target, callee.name, positional, typeArgs, named, f);
  }
  const fn = ev(callee, env, f);
  if (fn instanceof Lambda) {
    const { positional } = evalArgs(e.args, env, f);
    return invoke(fn, positional, f);
  }
  return unsupported(`call of ${typeName(fn)}`, f);
}

function invoke(fn: unknown, args: unknown[], f: Frame): unknown {
  if (!(fn instanceof Lambda)) throw new ExpressionError('EXPR_RUNTIME', `expected a lambda, got ${typeName(fn)}`, f.pos);
  step();
  if (f.depth >= MAX_CALL_DEPTH) throw new CallDepthExceeded();
  const env = new Env(fn.env);
  const params = fn.params;
  for (let i = 0; i < params.length; i++) env.declare(params[i]!, args[i]);
  f.depth++;
  try {
    if ('k' in fn.body && isStmt(fn.body)) {
      const r = exec(fn.body, env, f);
      return r?.type === 'return' ? r.value : undefined;
    }
    return fn.run !== null ? fn.run(env, f) : ev(fn.body as Expr, env, f);
  } finally {
    f.depth--;
  }
}

/** Calls nested deeper than MAX_CALL_DEPTH (where .NET would end the process with a StackOverflowException). */
class CallDepthExceeded extends LimitExceeded {
  constructor() {
    super('InsufficientExecutionStackException', `The expression nested calls too deeply (call depth limit of ${MAX_CALL_DEPTH}).`);
  }
}

function isStmt(x: Expr | Stmt): x is Stmt {
  return x.k === 'block';
}

function getMember(obj: unknown, name: string, f: Frame): unknown {
  if (obj instanceof StaticType) {
    const known = obj.constants.get(name);
    if (known !== undefined) return known;
    const v = staticMember(obj.name, name, f);
    // primitives from staticMember are constants (objects such as DateTime.UtcNow are built per read)
    if (v !== null && typeof v !== 'object') obj.constants.set(name, v);
    return v;
  }
  if (obj instanceof HostObject) {
    const v = obj.getMember(name);
    if (v !== NO_MEMBER) return v;
    if (name === 'Count' || name === 'Length') {
      const items = obj.enumerate();
      if (items) return items.length;
    }
    return unsupported(`member '${name}' of ${obj.typeName}`, f);
  }
  if (typeof obj === 'string') {
    if (name === 'Length') return obj.length;
  } else if (Array.isArray(obj) || obj instanceof Uint8Array) {
    if (name === 'Length' || name === 'Count') return obj.length;
  }
  return unsupported(`member '${name}' of ${typeName(obj)}`, f);
}

function getIndex(obj: unknown, args: unknown[], f: Frame): unknown {
  const key = args[0];
  if (typeof obj === 'string') {
    const i = num(key, f);
    if (i < 0 || i >= obj.length) throw new CsException('IndexOutOfRangeException', 'Index was outside the bounds of the array.');
    return obj[i];
  }
  if (Array.isArray(obj) || obj instanceof Uint8Array) {
    const i = num(key, f);
    if (!Number.isInteger(i) || i < 0 || i >= obj.length) throw new CsException('IndexOutOfRangeException', 'Index was outside the bounds of the array.');
    return obj[i];
  }
  if (obj instanceof HostObject) {
    const v = obj.getIndex(key);
    if (v !== NO_MEMBER) return v;
  }
  return unsupported(`indexer of ${typeName(obj)}`, f);
}

function callMethod(target: unknown, name: string, args: unknown[], typeArgs: string[], named: Record<string, unknown>, f: Frame): unknown {
  if (target instanceof StaticType) return staticCall(target.name, name, args, typeArgs, f);
  if (name === 'ToString' && args.length === 0 && !(target instanceof CsGuid) && !(target instanceof JToken)) return str(target);
  if (name === 'GetType') unsupported('GetType()', f);
  if (name === 'GetHashCode' && args.length === 0) return hashCode(str(target));
  if (target instanceof HostObject) {
    const v = target.callMethod(name, args, typeArgs, named);
    if (v !== NO_MEMBER) return v;
    const items = target.enumerate();
    if (items) return linq(items, name, args, f);
    if (name === 'Equals') return equals(target, args[0]);
    return unsupported(`method '${name}' of ${target.typeName}`, f);
  }
  if (typeof target === 'string') return stringMethod(target, name, args, f);
  if (Array.isArray(target) || target instanceof Uint8Array) return listMethod(target, name, args, f);
  if (typeof target === 'number') {
    if (name === 'ToString') return formatValue(target, str(args[0]));
    if (name === 'Equals') return target === args[0];
    if (name === 'CompareTo') return Math.sign(target - num(args[0], f));
  }
  if (typeof target === 'boolean' && name === 'Equals') return target === args[0];
  if (target instanceof Lambda && name === 'Invoke') return invoke(target, args, f);
  return unsupported(`method '${name}' of ${typeName(target)}`, f);
}

function comparison(arg: unknown): boolean {
  return arg === 'OrdinalIgnoreCase' || arg === 'InvariantCultureIgnoreCase' || arg === 'CurrentCultureIgnoreCase' || arg === true;
}

function stringMethod(s: string, name: string, args: unknown[], f: Frame): unknown {
  const a0 = args[0];
  switch (name) {
    case 'ToLower':
    case 'ToLowerInvariant':
      chargeString(s.length);
      return s.toLowerCase();
    case 'ToUpper':
    case 'ToUpperInvariant':
      chargeString(s.length);
      return s.toUpperCase();
    case 'Trim':
    case 'TrimStart':
    case 'TrimEnd': {
      const chars = args.length ? (args.flatMap((x) => (Array.isArray(x) ? x : [x])) as unknown[]).map(str) : null;
      const isTrim = (c: string): boolean => (chars ? chars.includes(c) : /\s/.test(c));
      let a = 0;
      let b = s.length;
      if (name !== 'TrimEnd') while (a < b && isTrim(s[a]!)) a++;
      if (name !== 'TrimStart') while (b > a && isTrim(s[b - 1]!)) b--;
      return s.slice(a, b);
    }
    case 'Split': {
      let options = 'None';
      let count = Infinity;
      const seps: string[] = [];
      for (const x of args) {
        if (x === 'RemoveEmptyEntries' || x === 'TrimEntries' || x === 'None') options = x;
        else if (typeof x === 'number') count = x;
        else if (Array.isArray(x)) seps.push(...x.map(str));
        else if (typeof x === 'string') seps.push(x);
        else if (x !== null) unsupported(`Split separator of ${typeName(x)}`, f);
      }
      let parts: string[] = [];
      chargeString(s.length);
      if (seps.length === 0) parts = s.split(/\s/);
      else if (seps.length === 1 && seps[0] !== '' && count === Infinity) parts = s.split(seps[0]!);
      else {
        charge(Math.ceil((s.length * seps.length) / 16));
        let cur = '';
        for (let i = 0; i < s.length; ) {
          const sep = parts.length < count - 1 ? seps.find((x) => x.length && s.startsWith(x, i)) : undefined;
          if (sep !== undefined) {
            parts.push(cur);
            cur = '';
            i += sep.length;
          } else cur += s[i++];
        }
        parts.push(cur);
      }
      chargeArray(parts.length);
      if (options === 'TrimEntries') parts = parts.map((p) => p.trim());
      if (options === 'RemoveEmptyEntries') parts = parts.filter((p) => p !== '');
      return parts;
    }
    case 'StartsWith':
      return comparison(args[1]) ? s.toLowerCase().startsWith(str(a0).toLowerCase()) : s.startsWith(str(a0));
    case 'EndsWith':
      return comparison(args[1]) ? s.toLowerCase().endsWith(str(a0).toLowerCase()) : s.endsWith(str(a0));
    case 'Contains':
      return comparison(args[1]) ? s.toLowerCase().includes(str(a0).toLowerCase()) : s.includes(str(a0));
    case 'IndexOf':
    case 'LastIndexOf': {
      const ic = comparison(args[args.length - 1]);
      const hay = ic ? s.toLowerCase() : s;
      const needle = ic ? str(a0).toLowerCase() : str(a0);
      if (name === 'IndexOf') return typeof args[1] === 'number' ? hay.indexOf(needle, args[1]) : hay.indexOf(needle);
      return hay.lastIndexOf(needle);
    }
    case 'Substring': {
      const start = num(a0, f);
      const len = args.length > 1 ? num(args[1], f) : s.length - start;
      if (start < 0 || len < 0 || start + len > s.length) throw new CsException('ArgumentOutOfRangeException', 'Index and length must refer to a location within the string.');
      return s.substr(start, len);
    }
    case 'Replace': {
      const from = str(a0);
      if (from === '') throw new CsException('ArgumentException', 'String cannot be of zero length.');
      const to = args[1] === null ? '' : str(args[1]);
      chargeString(s.length);
      const pieces = s.split(from);
      chargeString(s.length + (pieces.length - 1) * (to.length - from.length));
      return pieces.join(to);
    }
    case 'Equals':
      return comparison(args[1]) ? typeof a0 === 'string' && s.toLowerCase() === a0.toLowerCase() : s === a0;
    case 'CompareTo':
      return s < str(a0) ? -1 : s > str(a0) ? 1 : 0;
    case 'PadLeft':
    case 'PadRight': {
      const width = num(a0, f);
      // "'totalWidth' cannot be less than zero" (String.PadLeft/PadRight)
      // https://github.com/microsoft/referencesource/blob/master/mscorlib/system/string.cs
      if (width < 0) throw new CsException('ArgumentOutOfRangeException', "Non-negative number required. (Parameter 'totalWidth')");
      chargeString(width);
      const pad = args.length > 1 ? str(args[1]) : ' ';
      return name === 'PadLeft' ? s.padStart(width, pad) : s.padEnd(width, pad);
    }
    case 'Insert':
      chargeString(s.length + str(args[1]).length);
      return s.slice(0, num(a0, f)) + str(args[1]) + s.slice(num(a0, f));
    case 'Remove':
      return args.length > 1 ? s.slice(0, num(a0, f)) + s.slice(num(a0, f) + num(args[1], f)) : s.slice(0, num(a0, f));
    case 'ToCharArray':
      chargeArray(s.length);
      return [...s];
    case 'AsJwt':
      return JwtValue.decode(s);
    case 'AsBasic': {
      // "Basic base64(user:password)" or the bare base64 part
      const m = /^(?:Basic\s+)?([A-Za-z0-9+/]+={0,2})$/i.exec(s.trim());
      if (!m) return null;
      const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
      const i = decoded.indexOf(':');
      return i < 0 ? null : new CsRecord('BasicAuthCredentials', { UserId: decoded.slice(0, i), Password: decoded.slice(i + 1) });
    }
    case 'GetHashCode':
      return hashCode(s);
    case 'Normalize':
      return s.normalize();
    case 'ToString':
      return s;
  }
  chargeArray(s.length);
  return linq([...s], name, args, f);
}

/** new Random(seed): a deterministic sequence (mulberry32; not .NET's sequence). */
function seeded(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A stable 32-bit hash (string.GetHashCode's role: seeding Random, bucketing). */
function hashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

function listMethod(list: unknown[] | Uint8Array, name: string, args: unknown[], f: Frame): unknown {
  if (Array.isArray(list)) {
    if (name === 'Add') {
      list.push(args[0]);
      return undefined;
    }
    if (name === 'AddRange') {
      const more = enumerate(args[0], f);
      chargeArray(list.length + more.length);
      for (const x of more) list.push(x);
      return undefined;
    }
    if (name === 'IndexOf') return list.findIndex((x) => equals(x, args[0]));
    // only these hand back the sequence itself (a copy is a new list); the rest never change it
    if (name !== 'ToArray' && name !== 'ToList' && name !== 'AsEnumerable') return linq(list, name, args, f);
  }
  chargeArray(list.length);
  return linq([...list], name, args, f);
}

function linq(items: unknown[], name: string, args: unknown[], f: Frame): unknown {
  const fn = args[0];
  // every LINQ operator walks its source once at least
  chargeArray(items.length);
  // the common predicates as plain loops (no closures per call)
  if (name === 'Any' && fn !== undefined) {
    for (let i = 0; i < items.length; i++) if (truthy(invoke(fn, [items[i], i], f), f)) return true;
    return false;
  }
  if (name === 'Contains') {
    const ic = comparison(args[1]) && typeof fn === 'string';
    for (const x of items) if (ic && typeof x === 'string' ? x.toLowerCase() === (fn as string).toLowerCase() : equals(x, fn)) return true;
    return false;
  }
  const pred = (x: unknown, i: number): boolean => truthy(invoke(fn, [x, i], f), f);
  const pick = (x: unknown): unknown => (fn instanceof Lambda ? invoke(fn, [x], f) : x);
  switch (name) {
    case 'Any':
      return fn === undefined ? items.length > 0 : items.some(pred);
    case 'All':
      return items.every(pred);
    case 'Select':
      return items.map((x, i) => invoke(fn, [x, i], f));
    case 'SelectMany': {
      const out: unknown[] = [];
      for (const x of items) {
        const more = enumerate(invoke(fn, [x], f), f);
        chargeArray(out.length + more.length);
        for (const y of more) out.push(y);
      }
      return out;
    }
    case 'Where':
      return items.filter(pred);
    case 'Count':
      return fn === undefined ? items.length : items.filter(pred).length;
    case 'First':
    case 'FirstOrDefault':
    case 'Last':
    case 'LastOrDefault':
    case 'Single':
    case 'SingleOrDefault': {
      const matches = fn === undefined ? items : items.filter(pred);
      const orDefault = name.endsWith('OrDefault');
      if (matches.length === 0) {
        if (orDefault) return null;
        throw new CsException('InvalidOperationException', 'Sequence contains no matching element');
      }
      if (name.startsWith('Single') && matches.length > 1) throw new CsException('InvalidOperationException', 'Sequence contains more than one matching element');
      return name.startsWith('Last') ? matches[matches.length - 1] : matches[0];
    }
    case 'Contains':
      return items.some((x) => (comparison(args[1]) && typeof x === 'string' && typeof fn === 'string' ? x.toLowerCase() === fn.toLowerCase() : equals(x, fn)));
    case 'ToArray':
    case 'ToList':
    case 'AsEnumerable':
      return items;
    case 'Skip':
      return items.slice(num(fn, f));
    case 'Take':
      return items.slice(0, num(fn, f));
    case 'Reverse':
      return [...items].reverse();
    case 'Distinct':
      return distinct(items);
    case 'Concat': {
      const other = enumerate(fn, f);
      chargeArray(items.length + other.length);
      return [...items, ...other];
    }
    case 'Union':
    case 'Intersect':
    case 'Except': {
      // set operations: distinct items of this sequence (and, for Union, of the other), in order
      const other = enumerate(fn, f);
      chargeArray(items.length + other.length);
      if (name === 'Union') return distinct([...items, ...other]);
      const inOther = new Set(other.map(equalityKey));
      return distinct(items.filter((x) => inOther.has(equalityKey(x)) === (name === 'Intersect')));
    }
    case 'OrderBy':
    case 'OrderByDescending': {
      // the sort's comparisons: n log n
      charge(Math.ceil(items.length * Math.log2(items.length + 1)));
      const keyed = items.map((x) => ({ x, k: pick(x) }));
      keyed.sort((a, b) => compare(a.k, b.k, f));
      if (name === 'OrderByDescending') keyed.reverse();
      return keyed.map((e) => e.x);
    }
    case 'Sum':
      return items.reduce<number>((acc, x) => acc + num(pick(x), f), 0);
    case 'Max':
    case 'Min': {
      if (items.length === 0) throw new CsException('InvalidOperationException', 'Sequence contains no elements');
      const vals = items.map(pick);
      return vals.reduce((a, b) => (compare(a, b, f) * (name === 'Max' ? 1 : -1) >= 0 ? a : b));
    }
    case 'ElementAt':
      return getIndex(items, [fn], f);
    case 'Join':
      break;
  }
  return unsupported(`method '${name}' of a sequence`, f);
}

/** The items in the order `==` sees them as one: values by value, everything else by reference. */
function distinct(items: unknown[]): unknown[] {
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

/** A key equal (SameValueZero) for two values exactly when {@link equals} holds for them. */
function equalityKey(v: unknown): unknown {
  v = prim(v);
  if (v === undefined) return null;
  if (v instanceof CsDateTime) return `\u0000DateTime:${v.ms}`;
  if (v instanceof CsTimeSpan) return `\u0000TimeSpan:${v.ms}`;
  if (v instanceof CsGuid) return `\u0000Guid:${v.value}`;
  return v;
}

function enumerate(v: unknown, f: Frame): unknown[] {
  if (Array.isArray(v)) return v;
  if (typeof v === 'string') {
    chargeArray(v.length);
    return [...v];
  }
  if (v instanceof Uint8Array) {
    chargeArray(v.length);
    return [...v];
  }
  if (v instanceof HostObject) {
    const items = v.enumerate();
    if (items) return items;
  }
  return unsupported(`enumeration of ${typeName(v)}`, f);
}

// ---- statics --------------------------------------------------------------------------------

const baseNames = new Map<string, string>();
function baseName(type: string): string {
  let b = baseNames.get(type);
  if (b === undefined) baseNames.set(type, (b = stripNamespace(type)));
  return b;
}

function stripNamespace(type: string): string {
  return type.replace(/^System\.(Text\.(RegularExpressions\.)?|Net\.)?/, '').replace(/^Newtonsoft\.Json\./, '');
}

function staticMember(type: string, name: string, f: Frame): unknown {
  const t = baseName(type);
  switch (`${t}.${name}`) {
    case 'DateTime.UtcNow':
    case 'DateTime.Now':
    case 'DateTimeOffset.UtcNow':
    case 'DateTimeOffset.Now':
      return new CsDateTime(f.host.now());
    case 'DateTime.Today':
      return new CsDateTime(f.host.now() - (f.host.now() % 86400000));
    case 'DateTime.MinValue':
      return new CsDateTime(-62135596800000);
    case 'DateTime.MaxValue':
      return new CsDateTime(253402300799999);
    case 'TimeSpan.Zero':
      return new CsTimeSpan(0);
    case 'string.Empty':
    case 'String.Empty':
      return '';
    case 'Encoding.UTF8':
      return new Encoding('utf-8');
    case 'Encoding.ASCII':
      return new Encoding('ascii');
    case 'Encoding.Unicode':
      return new Encoding('utf-16le');
    case 'Guid.Empty':
      return new CsGuid('00000000-0000-0000-0000-000000000000');
    case 'int.MaxValue':
    case 'Int32.MaxValue':
      return 2147483647;
    case 'int.MinValue':
    case 'Int32.MinValue':
      return -2147483648;
    case 'Math.PI':
      return Math.PI;
    case 'Formatting.None':
    case 'Formatting.Indented':
      return name;
  }
  if (t === 'StringComparison' || t === 'StringSplitOptions') return name;
  return unsupported(`static member ${type}.${name}`, f);
}

/** A value as Newtonsoft would serialize it: JSON, lists, dictionaries, headers, dates, primitives. */
function serializable(v: unknown, f: Frame): Json {
  step();
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (v instanceof JToken) return v.value;
  if (Array.isArray(v)) return v.map((x) => serializable(x, f));
  if (v instanceof CsDictionary) return jsonFrom([...v.map].map(([k, x]) => [k, serializable(x, f)]));
  if (v instanceof MultiDict) return jsonFrom(v.entries());
  if (v instanceof CsDateTime) return new Date(v.ms).toISOString().replace('.000Z', 'Z');
  if (v instanceof CsRecord && v.typeName === '<anonymous>') return jsonFrom(v.members().map(([k, x]) => [k, serializable(x, f)]));
  return unsupported(`JsonConvert.SerializeObject of ${typeName(v)}`, f);
}

function jsonFrom(entries: [string, Json][]): Json {
  const o = jsonObject();
  for (const [k, v] of entries) setJson(o, k, v);
  return o;
}

function staticCall(type: string, name: string, args: unknown[], typeArgs: string[], f: Frame): unknown {
  const t = baseName(type);
  const a0 = args[0];
  switch (`${t}.${name}`) {
    case 'string.Join':
    case 'String.Join': {
      const items = args.length === 2 ? enumerate(args[1], f) : args.slice(1);
      return joined(items.map(str), str(a0));
    }
    case 'string.Concat':
    case 'String.Concat':
      return joined((args.length === 1 && Array.isArray(a0) ? a0 : args).map(str), '');
    case 'string.Format':
    case 'String.Format':
      return csFormat(str(a0), args.length === 2 && Array.isArray(args[1]) ? args[1] : args.slice(1));
    case 'string.IsNullOrEmpty':
    case 'String.IsNullOrEmpty':
      return a0 === null || a0 === undefined || a0 === '';
    case 'string.IsNullOrWhiteSpace':
    case 'String.IsNullOrWhiteSpace':
      return a0 === null || a0 === undefined || str(a0).trim() === '';
    case 'string.Equals':
    case 'String.Equals':
      return comparison(args[2]) ? str(a0).toLowerCase() === str(args[1]).toLowerCase() : a0 === args[1];
    case 'string.Compare':
    case 'String.Compare': {
      const [x, y] = comparison(args[2]) ? [str(a0).toLowerCase(), str(args[1]).toLowerCase()] : [str(a0), str(args[1])];
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 'Convert.ToBase64String':
      if (!(a0 instanceof Uint8Array)) throw new CsException('ArgumentException', 'ToBase64String expects a byte[].');
      chargeString(Math.ceil(a0.length / 3) * 4);
      return Buffer.from(a0).toString('base64');
    case 'Convert.FromBase64String': {
      const s = str(a0).replace(/\s/g, '');
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) throw new CsException('FormatException', 'The input is not a valid Base-64 string.');
      chargeString(s.length);
      return new Uint8Array(Buffer.from(s, 'base64'));
    }
    case 'Convert.ToInt32':
    case 'Convert.ToInt64':
    case 'int.Parse':
    case 'Int32.Parse':
    case 'long.Parse':
    case 'Int64.Parse': {
      if (typeof a0 === 'number') return Math.round(a0);
      const s = str(a0).trim();
      if (!/^[+-]?\d+$/.test(s)) throw new CsException('FormatException', 'Input string was not in a correct format.');
      return Number(s);
    }
    case 'Convert.ToDouble':
    case 'double.Parse':
    case 'Double.Parse': {
      const n = Number(str(a0).trim());
      if (Number.isNaN(n) || str(a0).trim() === '') throw new CsException('FormatException', 'Input string was not in a correct format.');
      return n;
    }
    case 'Convert.ToString':
      return str(a0);
    case 'Convert.ToBoolean':
    case 'bool.Parse':
    case 'Boolean.Parse': {
      if (typeof a0 === 'boolean') return a0;
      const s = str(a0).trim().toLowerCase();
      if (s !== 'true' && s !== 'false') throw new CsException('FormatException', 'String was not recognized as a valid Boolean.');
      return s === 'true';
    }
    case 'DateTime.Parse':
    case 'DateTimeOffset.Parse': {
      const ms = Date.parse(str(a0));
      if (Number.isNaN(ms)) throw new CsException('FormatException', 'String was not recognized as a valid DateTime.');
      return new CsDateTime(ms);
    }
    case 'DateTimeOffset.FromUnixTimeSeconds':
      return new CsDateTime(num(a0, f) * 1000);
    case 'TimeSpan.FromMilliseconds':
      return new CsTimeSpan(num(a0, f));
    case 'TimeSpan.FromSeconds':
      return new CsTimeSpan(num(a0, f) * 1000);
    case 'TimeSpan.FromMinutes':
      return new CsTimeSpan(num(a0, f) * 60000);
    case 'TimeSpan.FromHours':
      return new CsTimeSpan(num(a0, f) * 3600000);
    case 'TimeSpan.FromDays':
      return new CsTimeSpan(num(a0, f) * 86400000);
    case 'Guid.NewGuid':
      return new CsGuid(randomUUID());
    case 'Guid.Parse': {
      const s = str(a0).trim().toLowerCase();
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(s)) throw new CsException('FormatException', 'Unrecognized Guid format.');
      return new CsGuid(s);
    }
    case 'Math.Min':
      return Math.min(num(a0, f), num(args[1], f));
    case 'Math.Max':
      return Math.max(num(a0, f), num(args[1], f));
    case 'Math.Abs':
      return Math.abs(num(a0, f));
    case 'Math.Floor':
      return Math.floor(num(a0, f));
    case 'Math.Ceiling':
      return Math.ceil(num(a0, f));
    case 'Math.Round':
      return args.length > 1 ? Number(num(a0, f).toFixed(num(args[1], f))) : bankersRound(num(a0, f));
    case 'Math.Pow':
      return Math.pow(num(a0, f), num(args[1], f));
    case 'JObject.Parse':
    case 'JArray.Parse':
    case 'JToken.Parse':
      return parseJson(str(a0));
    case 'JsonConvert.SerializeObject':
      return jsonText(serializable(a0, f), args[1] === 'Indented');
    case 'JsonConvert.DeserializeObject': {
      const parsed = parseJson(str(a0));
      const want = typeArgs[0] ? baseName(typeArgs[0]) : undefined;
      if (want === undefined || want === 'object' || want === 'JToken' || want === parsed.typeName) return parsed.typeName === 'JValue' ? parsed.value : parsed;
      if (want === 'JObject' || want === 'JArray') throw new CsException('InvalidCastException', `Unable to cast ${parsed.typeName} to ${want}.`);
      return unsupported(`JsonConvert.DeserializeObject<${typeArgs[0]}>`, f);
    }
    case 'JObject.FromObject':
    case 'JToken.FromObject':
      return new JToken(toJson(a0));
    case 'Uri.EscapeDataString':
      return encodeURIComponent(str(a0)).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
    case 'Uri.UnescapeDataString':
      return decodeURIComponent(str(a0));
    case 'WebUtility.UrlEncode':
      return encodeURIComponent(str(a0)).replace(/%20/g, '+');
    case 'WebUtility.UrlDecode':
      return decodeURIComponent(str(a0).replace(/\+/g, ' '));
    case 'WebUtility.HtmlEncode':
      return str(a0).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
    // System.Linq.Enumerable's static sources; their elements are charged before they exist
    // https://github.com/microsoft/referencesource/blob/master/System.Core/System/Linq/Enumerable.cs
    case 'Enumerable.Range': {
      const start = num(a0, f);
      const count = num(args[1], f);
      if (count < 0 || start + count - 1 > 2147483647) throw new CsException('ArgumentOutOfRangeException', "Specified argument was out of the range of valid values. (Parameter 'count')");
      chargeArray(count);
      return Array.from({ length: count }, (_, i) => start + i);
    }
    case 'Enumerable.Repeat': {
      const count = num(args[1], f);
      if (count < 0) throw new CsException('ArgumentOutOfRangeException', "Specified argument was out of the range of valid values. (Parameter 'count')");
      chargeArray(count);
      return new Array<unknown>(count).fill(a0);
    }
    case 'Enumerable.Empty':
      return [];
    case 'char.IsDigit':
    case 'Char.IsDigit':
      return /^[0-9]$/.test(str(a0));
    case 'char.IsLetter':
    case 'Char.IsLetter':
      return /^\p{L}$/u.test(str(a0));
  }
  void typeArgs;
  return unsupported(`static method ${type}.${name}`, f);
}

/** The pieces joined with `sep`, the result's size charged first. */
function joined(pieces: string[], sep: string): string {
  let size = Math.max(0, pieces.length - 1) * sep.length;
  for (const p of pieces) size += p.length;
  chargeString(size);
  return pieces.join(sep);
}

function bankersRound(n: number): number {
  const r = Math.round(n);
  return Math.abs(n % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** `string.Format` / composite format: `{0}`, `{1:format}`, `{{`/`}}`. */
export function csFormat(format: string, args: unknown[]): string {
  return format.replace(/\{\{|\}\}|\{(\d+)(?:,(-?\d+))?(?::([^}]*))?\}/g, (m, idx: string | undefined, align: string | undefined, fmt: string | undefined) => {
    if (m === '{{') return '{';
    if (m === '}}') return '}';
    const i = Number(idx);
    if (i >= args.length) throw new CsException('FormatException', 'Index (zero based) must be greater than or equal to zero and less than the size of the argument list.');
    let s = fmt !== undefined ? formatValue(args[i], fmt) : str(args[i]);
    if (align) {
      const w = Number(align);
      chargeString(Math.abs(w));
      s = w < 0 ? s.padEnd(-w) : s.padStart(w);
    }
    return s;
  });
}

function formatValue(v: unknown, format: string): string {
  if (v instanceof CsDateTime) return formatDate(v.ms, format);
  if (typeof v === 'number') {
    if (format === '' ) return str(v);
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

function construct(type: TypeRef | null, args: unknown[], init: unknown[] | null, f: Frame): unknown {
  if (type === null) return init ?? [];
  const name = baseName(type.name);
  if (type.array > 0) {
    if (init) return name === 'byte' ? new Uint8Array(init.map((x) => num(x, f))) : init;
    const n = num(args[0], f);
    if (!Number.isInteger(n) || n < 0) throw new CsException('OverflowException', 'Arithmetic operation resulted in an overflow.');
    chargeArray(n);
    if (name === 'byte') return new Uint8Array(n);
    return new Array<unknown>(n).fill(name === 'string' ? null : 0);
  }
  switch (name) {
    case 'Random':
      return new CsRandom(args.length && typeof args[0] === 'number' ? seeded(args[0]) : () => f.host.random());
    case 'JObject': {
      const o = jsonObject();
      for (const a of [...args, ...(init ?? [])].flatMap((x) => (Array.isArray(x) ? x : [x]))) {
        step();
        if (a instanceof JProperty) setJson(o, a.name, a.value);
        else if (a instanceof JToken && a.typeName === 'JObject') for (const [k, v] of Object.entries(a.value as Record<string, Json>)) setJson(o, k, v);
        else if (a !== undefined) unsupported(`new JObject(${typeName(a)})`, f);
      }
      return new JToken(o);
    }
    case 'JArray':
      return new JToken([...args, ...(init ?? [])].flatMap((x) => (Array.isArray(x) ? x : [x])).map(toJson));
    case 'JProperty':
      return new JProperty(str(args[0]), toJson(args[1]));
    case 'JValue':
      return new JToken(toJson(args[0]));
    case 'List':
    case 'HashSet': {
      // new List<T>(capacity) starts empty
      const from = args[0] !== undefined && typeof args[0] !== 'number' ? enumerate(args[0], f) : [];
      chargeArray(from.length + (init?.length ?? 0));
      return [...from, ...(init ?? [])];
    }
    case 'Dictionary': {
      const d = new CsDictionary(typeToString(type));
      for (const p of init ?? []) {
        if (!Array.isArray(p) || p.length !== 2) unsupported('dictionary initializer entry', f);
        d.map.set(str((p as unknown[])[0]), (p as unknown[])[1]);
      }
      return d;
    }
    case '$pair':
      return args;
    case '$member':
      return args;
    case '$anonymous':
      return new CsRecord('<anonymous>', Object.fromEntries((init ?? []).map((m) => m as [string, unknown])));
    case 'DateTime':
      return new CsDateTime(Date.UTC(num(args[0], f), num(args[1], f) - 1, num(args[2], f), num(args[3] ?? 0, f), num(args[4] ?? 0, f), num(args[5] ?? 0, f)));
    case 'TimeSpan':
      if (args.length === 3) return new CsTimeSpan((num(args[0], f) * 3600 + num(args[1], f) * 60 + num(args[2], f)) * 1000);
      if (args.length === 4) return new CsTimeSpan((num(args[0], f) * 86400 + num(args[1], f) * 3600 + num(args[2], f) * 60 + num(args[3], f)) * 1000);
      break;
    case 'Exception':
    case 'InvalidOperationException':
    case 'ArgumentException':
      return new CsExceptionValue(args.length ? str(args[0]) : 'Exception of type System.Exception was thrown.');
    case 'DateTimeOffset':
      // the emulator's DateTime is UTC already: DateTimeOffset(DateTime) is the same instant
      if (args.length === 1 && args[0] instanceof CsDateTime) return args[0];
      break;
    case 'HMACSHA1':
    case 'HMACSHA256':
    case 'HMACSHA384':
    case 'HMACSHA512':
      if (!(args[0] instanceof Uint8Array)) throw new CsException('ArgumentNullException', "Value cannot be null. (Parameter 'key')");
      return new CsHmac(name.slice(4).toLowerCase() as 'sha1' | 'sha256' | 'sha384' | 'sha512', args[0]);
    case 'string': {
      if (Array.isArray(args[0])) return joined((args[0] as unknown[]).map(str), '');
      // new string(char, int): "count" below zero is ArgumentOutOfRangeException
      const count = num(args[1], f);
      if (!Number.isInteger(count) || count < 0) throw new CsException('ArgumentOutOfRangeException', "Non-negative number required. (Parameter 'count')");
      chargeString(count);
      return str(args[0]).repeat(count);
    }
  }
  return unsupported(`new ${typeToString(type)}(...)`, f);
}

// ---- operators, conversions -----------------------------------------------------------------

function binary(op: string, le: Expr, re: Expr, env: Env, f: Frame): unknown {
  if (op === '&&') return truthy(ev(le, env, f), f) && truthy(ev(re, env, f), f);
  if (op === '||') return truthy(ev(le, env, f), f) || truthy(ev(re, env, f), f);
  if (op === '??') {
    const l = ev(le, env, f);
    return l === null || l === undefined ? ev(re, env, f) : l;
  }
  const l = ev(le, env, f);
  const r = ev(re, env, f);
  f.pos = re.pos;
  return binaryValues(op, l, r, f);
}

/** A binary operator (not &&, ||, ??) on evaluated operands. */
function binaryValues(op: string, l: unknown, r: unknown, f: Frame): unknown {
  switch (op) {
    case '==':
      return equals(l, r);
    case '!=':
      return !equals(l, r);
    case '<':
      return nullableCompare(l, r, f, (c) => c < 0);
    case '>':
      return nullableCompare(l, r, f, (c) => c > 0);
    case '<=':
      return nullableCompare(l, r, f, (c) => c <= 0);
    case '>=':
      return nullableCompare(l, r, f, (c) => c >= 0);
    case '&':
    case '|':
    case '^':
      if (typeof l === 'boolean' && typeof r === 'boolean') return op === '&' ? l && r : op === '|' ? l || r : l !== r;
      return op === '&' ? num(l, f) & num(r, f) : op === '|' ? num(l, f) | num(r, f) : num(l, f) ^ num(r, f);
  }
  return arith(op, l, r, f);
}

function nullableCompare(l: unknown, r: unknown, f: Frame, test: (c: number) => boolean): boolean {
  if (l === null || r === null || l === undefined || r === undefined) return false;
  return test(compare(l, r, f));
}

function arith(op: string, l: unknown, r: unknown, f: Frame): unknown {
  if (op === '+') {
    if (typeof l === 'string' || typeof r === 'string') {
      const a = str(l);
      const b = str(r);
      chargeString(a.length + b.length);
      return a + b;
    }
    if (l instanceof CsDateTime && r instanceof CsTimeSpan) return new CsDateTime(l.ms + r.ms);
    if (l instanceof CsTimeSpan && r instanceof CsTimeSpan) return new CsTimeSpan(l.ms + r.ms);
    if (l === null || r === null) return null;
    return num(l, f) + num(r, f);
  }
  if (op === '-') {
    if (l instanceof CsDateTime && r instanceof CsDateTime) return new CsTimeSpan(l.ms - r.ms);
    if (l instanceof CsDateTime && r instanceof CsTimeSpan) return new CsDateTime(l.ms - r.ms);
    if (l instanceof CsTimeSpan && r instanceof CsTimeSpan) return new CsTimeSpan(l.ms - r.ms);
    if (l === null || r === null) return null;
    return num(l, f) - num(r, f);
  }
  const a = num(l, f);
  const b = num(r, f);
  switch (op) {
    case '*':
      return a * b;
    case '/':
      if (Number.isInteger(a) && Number.isInteger(b)) {
        if (b === 0) throw new CsException('DivideByZeroException', 'Attempted to divide by zero.');
        return Math.trunc(a / b);
      }
      return a / b;
    case '%':
      if (b === 0 && Number.isInteger(a)) throw new CsException('DivideByZeroException', 'Attempted to divide by zero.');
      return a % b;
    case '<<':
      return Number(BigInt.asIntN(64, BigInt(Math.trunc(a)) << BigInt(b & 63)));
    case '>>':
      return Number(BigInt.asIntN(64, BigInt(Math.trunc(a)) >> BigInt(b & 63)));
  }
  return unsupported(`operator ${op}`, f);
}

function prim(v: unknown): unknown {
  return v instanceof JToken ? unwrapJson(v) : v;
}

export function equals(a: unknown, b: unknown): boolean {
  a = prim(a);
  b = prim(b);
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  if (a === b) return true;
  if (a instanceof HostObject) return a.csEquals(b);
  return false;
}

function compare(a: unknown, b: unknown, f: Frame): number {
  a = prim(a);
  b = prim(b);
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (a instanceof HostObject) {
    const c = a.compareTo(b);
    if (c !== undefined) return c;
  }
  throw new ExpressionError('EXPR_RUNTIME', `cannot compare ${typeName(a)} with ${typeName(b)}`, f.pos);
}

function num(v: unknown, _f: Frame): number {
  v = prim(v);
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.length === 1) return v.charCodeAt(0);
  throw new CsException('InvalidCastException', `expected a number, not ${typeName(v)}`);
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
  if (v instanceof Lambda) return 'lambda';
  if (v instanceof StaticType) return v.name;
  return 'object';
}

const CASTABLE = new Set([
  'string', 'String', 'int', 'long', 'Int32', 'Int64', 'double', 'float', 'decimal', 'bool', 'Boolean', 'object', 'Jwt', 'JObject', 'JArray',
  'JToken', 'JValue', 'DateTime', 'TimeSpan', 'IEnumerable', 'IList', 'List', 'char', 'byte', 'Guid', 'IReadOnlyDictionary', 'Dictionary',
  'IResponse', 'IRequest', 'IMessageBody',
]);

function isType(v: unknown, t: TypeRef, f: Frame): boolean {
  const name = baseName(t.name);
  if (!CASTABLE.has(name)) unsupported(`type test against ${typeToString(t)}`, f);
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
    default:
      return false;
  }
}

function cast(v: unknown, t: TypeRef, f: Frame): unknown {
  const name = baseName(t.name);
  if (!CASTABLE.has(name)) unsupported(`cast to ${typeToString(t)}`, f);
  if (v === null || v === undefined) {
    if (!t.nullable && t.array === 0 && ['int', 'long', 'Int32', 'Int64', 'double', 'float', 'decimal', 'bool', 'Boolean', 'char', 'byte', 'DateTime', 'TimeSpan'].includes(name)) {
      throw new CsException('InvalidCastException', `Null object cannot be converted to a value type (${name}).`);
    }
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
  if (isType(v, t, f)) return v;
  if (typeof v === 'number' && ['int', 'long', 'Int32', 'Int64', 'double', 'float', 'decimal', 'byte', 'char'].includes(name)) {
    return name === 'char' ? String.fromCharCode(v) : ['double', 'float', 'decimal'].includes(name) ? v : Math.trunc(v);
  }
  if (typeof v === 'string' && v.length === 1 && ['int', 'long', 'byte'].includes(name)) return v.charCodeAt(0);
  if (name === 'IEnumerable' && v instanceof HostObject && v.enumerate()) return v.enumerate();
  if ((name === 'IEnumerable' || name === 'IList') && typeof v === 'string') return [...v];
  throw new CsException('InvalidCastException', `Unable to cast object of type '${typeName(v)}' to type '${typeToString(t)}'.`);
}

// re-exported for the element runtime (GetValueOrDefault<T> conversions)
export { convertTo };
