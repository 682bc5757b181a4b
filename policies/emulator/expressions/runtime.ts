/**
 * The runtime: compiles a parsed (and checked) expression into closures once — expressions and
 * statements alike, one implementation per node kind — and runs them per request against a host
 * (`context`, a clock, a random source). It never reaches JS properties directly: members come
 * from the library tables (library/) or from host objects listing their own members, and every
 * unit of work is charged to the run's budget (budget.ts).
 */
import { walkExpr, walkStmt, type Node } from '../../csharp/walk.js';
import { ExpressionError } from '../errors.js';
import { typeToString, type Arg, type CatchClause, type Expr, type Stmt, type SwitchSection, type TypeRef } from './ast.js';
import { LimitExceeded, chargeArray, chargeString, withBudget, step } from './budget.js';
import {
  CsDelegate, CsExceptionValue, Ref, StaticType, Unsupported, baseName, cast, compare, defaultValue, distinct, enumerate, equals, formatValue, isType, joined, num,
  str, truthy, typeName, unsupported,
} from './core.js';
import type { EvalHost } from './host.js';
import { JProperty, JToken, jsonObject, setJson, toJson, type Json } from './json.js';
import { JwtValue } from './jwt-value.js';
import { CsRegex } from './library/regex.js';
import {
  ENUMERABLE, LIST, MEMBERS, STRING, STRING_EXTENSIONS, STRING_STATIC_EQUALS, findMethod, findProperty, fullNameOf, hashCode, staticLibraries,
  type MemberImpl, type Runtime,
} from './library/index.js';
import { CsDateTime, CsDictionary, CsException, CsGuid, CsHmac, CsRandom, CsRecord, CsTimeSpan, HostObject, NO_MEMBER } from './values.js';

export type { EvalHost } from './host.js';

/** Lambda and local-function calls nested deeper than this stop the run (C# would overflow its stack). */
const MAX_CALL_DEPTH = 256;

/** Calls nested deeper than MAX_CALL_DEPTH (where .NET would end the process with a StackOverflowException). */
class CallDepthExceeded extends LimitExceeded {
  constructor() {
    super('InsufficientExecutionStackException', `The expression nested calls too deeply (call depth limit of ${MAX_CALL_DEPTH}).`);
  }
}

/** One run: the host, the position for messages, the call depth. */
class Frame implements Runtime {
  pos: number;
  depth = 0;
  constructor(
    readonly host: EvalHost,
    pos: number,
  ) {
    this.pos = pos;
  }
  call(fn: unknown, args: readonly unknown[]): unknown {
    return invoke(fn, args, this);
  }
}

const MISSING: unique symbol = Symbol('missing');

/** Variables of one scope held in arrays (scanned) before a map is made: a map lookup costs more than a few comparisons. */
const ENV_LISTED = 6;

class Env {
  // the first two variables in fields (a lambda's parameter, a foreach item and a local of its body),
  // the next ENV_LISTED in two arrays (names are interned: compared by identity), more in a map
  private name0: string | null = null;
  private value0: unknown = undefined;
  private name1: string | null = null;
  private value1: unknown = undefined;
  private names: string[] | null = null;
  private values: unknown[] | null = null;
  private vars: Map<string, unknown> | null = null;
  constructor(readonly parent: Env | null) {}
  /** The variable's value, or MISSING. */
  get(name: string): unknown {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    for (let e: Env | null = this; e !== null; e = e.parent) {
      if (e.name0 === name) return e.value0;
      if (e.name1 === name) return e.value1;
      const names = e.names;
      if (names !== null) {
        for (let i = 0; i < names.length; i++) if (names[i] === name) return e.values![i];
        const vars = e.vars;
        if (vars !== null) {
          const v = vars.get(name);
          if (v !== undefined || vars.has(name)) return v;
        }
      }
    }
    return MISSING;
  }
  declare(name: string, value: unknown): void {
    if (this.name0 === null || this.name0 === name) {
      this.name0 = name;
      this.value0 = value;
    } else if (this.name1 === null || this.name1 === name) {
      this.name1 = name;
      this.value1 = value;
    } else {
      const names = (this.names ??= []);
      const at = names.indexOf(name);
      if (at >= 0) this.values![at] = value;
      else if (names.length < ENV_LISTED) {
        names.push(name);
        (this.values ??= []).push(value);
      } else (this.vars ??= new Map()).set(name, value);
    }
  }
  assign(name: string, value: unknown): boolean {
    if (this.name0 === name) {
      this.value0 = value;
      return true;
    }
    if (this.name1 === name) {
      this.value1 = value;
      return true;
    }
    const names = this.names;
    if (names !== null) {
      for (let i = 0; i < names.length; i++) {
        if (names[i] === name) {
          this.values![i] = value;
          return true;
        }
      }
      if (this.vars !== null && this.vars.has(name)) {
        this.vars.set(name, value);
        return true;
      }
    }
    return this.parent ? this.parent.assign(name, value) : false;
  }
}

type Thunk = (env: Env, f: Frame) => unknown;
type Completion = undefined | { type: 'return'; value: unknown } | { type: 'break' } | { type: 'continue' };
type Exec = (env: Env, f: Frame) => Completion;

const BREAK: Completion = { type: 'break' };
const CONTINUE: Completion = { type: 'continue' };

/** A lambda or local function closed over its scope. */
class Lambda extends CsDelegate {
  constructor(
    readonly params: readonly string[],
    readonly env: Env,
    readonly run: Thunk | null,
    readonly exec: Exec | null,
  ) {
    super();
  }
}

function invoke(fn: unknown, args: readonly unknown[], f: Frame): unknown {
  if (!(fn instanceof Lambda)) throw new CsException('InvalidCastException', `expected a lambda, got ${typeName(fn)}`);
  step();
  if (f.depth >= MAX_CALL_DEPTH) throw new CallDepthExceeded();
  const env = new Env(fn.env);
  const params = fn.params;
  for (let i = 0; i < params.length; i++) env.declare(params[i]!, args[i]);
  f.depth++;
  try {
    if (fn.run !== null) return fn.run(env, f);
    const r = fn.exec!(env, f);
    return r?.type === 'return' ? r.value : undefined;
  } finally {
    f.depth--;
  }
}

// ---- entry points -----------------------------------------------------------------------------

/** The expression compiled to closures once; the returned function evaluates it per request. */
export function compileExpr(expr: Expr): (host: EvalHost) => unknown {
  const t = withBound(declaredNames((visit) => walkExpr(expr, visit)), () => compile(expr));
  const pos = expr.pos;
  return (host) => {
    const f = new Frame(host, pos);
    try {
      return withBudget(t, new Env(null), f);
    } catch (err) {
      throw wrapError(err, f);
    }
  };
}

/** A statement block compiled once; its `return` value is the result. */
export function compileBlock(body: Stmt[]): (host: EvalHost) => unknown {
  const run = withBound(
    declaredNames((visit) => body.forEach((s) => walkStmt(s, visit))),
    () => compileStatements(body),
  );
  const pos = body[0]?.pos ?? 0;
  const block = (env: Env, f: Frame): unknown => {
    const r = run(env, f);
    if (r?.type === 'return') return r.value;
    if (r !== undefined) throw new ExpressionError('EXPR_SYNTAX', `'${r.type}' outside a loop`, f.pos);
    throw new CsException('InvalidOperationException', 'The expression block ended without a return statement.');
  };
  return (host) => {
    const f = new Frame(host, pos);
    try {
      return withBudget(block, new Env(null), f);
    } catch (err) {
      throw wrapError(err, f);
    }
  };
}

// ---- names known at compile time --------------------------------------------------------------

/**
 * Every name the expression being compiled binds anywhere (locals, parameters, loop and pattern
 * variables, local functions, catch variables). A name outside it can never be a local, so `context`
 * and static type names skip the scope walk. Set while one expression compiles (compiling is synchronous).
 */
let bound: ReadonlySet<string> = new Set();

function withBound<T>(names: ReadonlySet<string>, body: () => T): T {
  const saved = bound;
  bound = names;
  try {
    return body();
  } finally {
    bound = saved;
  }
}

function declaredNames(walk: (visit: (n: Node) => void) => void): Set<string> {
  const names = new Set<string>([CAUGHT]);
  walk((n) => {
    if ('stmt' in n) {
      const s = n.stmt;
      if (s.k === 'decl') for (const d of s.names) names.add(d.name);
      else if (s.k === 'foreach') names.add(s.name);
      else if (s.k === 'localFunc') {
        names.add(s.name);
        for (const p of s.params) names.add(p.name);
      } else if (s.k === 'try') {
        for (const c of s.catches) if (c.name !== null) names.add(c.name);
      } else if (s.k === 'switch') {
        for (const sec of s.sections) for (const l of sec.labels) if (l.k === 'type' && l.name !== null) names.add(l.name);
      }
      return;
    }
    const e = n.expr;
    if (e.k === 'declVar') names.add(e.name);
    else if (e.k === 'is' && e.bind !== undefined) names.add(e.bind);
    else if (e.k === 'lambda') for (const p of e.params) names.add(p);
  });
  return names;
}

/**
 * Whether running `s` can declare a name in the scope it runs in (a declaration, a local function,
 * an `out var` or a pattern variable anywhere inside it, counted generously). A statement that
 * cannot runs in its parent's scope: no new scope object per run.
 */
function declaresNames(s: Stmt): boolean {
  let found = false;
  walkStmt(s, (n) => {
    if ('stmt' in n) {
      if (n.stmt.k === 'decl' || n.stmt.k === 'localFunc' || n.stmt.k === 'using') found = true;
    } else if (n.expr.k === 'declVar' || (n.expr.k === 'is' && n.expr.bind !== undefined)) found = true;
  });
  return found;
}

function wrapError(err: unknown, f: Frame): Error {
  if (err instanceof ExpressionError) return err;
  if (err instanceof Unsupported) return new ExpressionError('EXPR_UNSUPPORTED', err.message, f.pos);
  if (err instanceof CsException) return new ExpressionError('EXPR_RUNTIME', `${err.exceptionType}: ${err.message}`, f.pos);
  if (err instanceof RangeError) return new ExpressionError('EXPR_RUNTIME', `${err.message}`, f.pos);
  return err instanceof Error ? err : new Error(String(err));
}

// ---- expressions ------------------------------------------------------------------------------

/**
 * The same text as an internalized string. Names sliced out of the expression's code are not
 * internalized, so every lookup compared them character by character; an internalized name
 * compares by identity.
 */
function intern(s: string): string {
  return Object.keys({ [s]: 0 })[0] ?? s;
}

function compileAll(xs: readonly Expr[]): Thunk[] {
  return xs.map(compile);
}

/** The arguments of a call without any: one frozen empty array (no library method changes its arguments). */
const NO_ARGS: unknown[] = Object.freeze([]) as unknown as unknown[];

function evalAll(ts: readonly Thunk[], env: Env, f: Frame): unknown[] {
  if (ts.length === 0) return NO_ARGS;
  return evalAllFresh(ts, env, f);
}

/** A new array of the values (a constructor may keep it: a collection initializer's items, a pair). */
function evalAllFresh(ts: readonly Thunk[], env: Env, f: Frame): unknown[] {
  const out = new Array<unknown>(ts.length);
  for (let i = 0; i < ts.length; i++) out[i] = ts[i]!(env, f);
  return out;
}

/** Names an expression can use as a static type without a namespace the library knows. */
const EXTRA_STATIC = new Set(['Random', 'HMACSHA1', 'HMACSHA256', 'HMACSHA384', 'HMACSHA512']);

/** One node compiled to a closure (each sets `f.pos`, so a failure names where it happened). */
function compile(e: Expr): Thunk {
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
      const statics = staticLibraries(name) !== undefined || EXTRA_STATIC.has(name) ? staticType(name) : null;
      // never a local: no scope walk
      if (!bound.has(name) && (name === 'context' || statics !== null)) {
        if (statics !== null && name !== 'context') {
          return (_env, f) => {
            f.pos = pos;
            return statics;
          };
        }
        return (_env, f) => {
          f.pos = pos;
          return f.host.context;
        };
      }
      return (env, f) => {
        f.pos = pos;
        const local = env.get(name);
        if (local !== MISSING) return local;
        if (name === 'context') return f.host.context;
        if (statics !== null) return statics;
        throw new ExpressionError('EXPR_UNSUPPORTED', `unknown name '${name}'`, pos);
      };
    }
    case 'typeName': {
      const t = staticType(e.type.name);
      return (_env, f) => {
        f.pos = pos;
        return t;
      };
    }
    case 'member': {
      const obj = compile(e.obj);
      const name = intern(e.name);
      const nullCond = e.nullCond;
      const owner = staticReceiver(e.obj);
      if (owner !== null) {
        // a static member (`JTokenType.Array`, `string.Empty`, `DateTime.UtcNow`): a primitive is a
        // constant once read (as getMember keeps it), so later reads skip the lookup
        let known: unknown = MISSING;
        return (_env, f) => {
          f.pos = pos;
          if (known !== MISSING) return known;
          const v = getMember(owner, name, f);
          if (v !== null && typeof v !== 'object') known = v;
          return v;
        };
      }
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
      const obj = compile(e.obj);
      const args = compileAll(e.args);
      const nullCond = e.nullCond;
      if (args.length === 1) {
        // one key (`Variables["jwt"]`, `parts[1]`): no argument array
        const key = args[0]!;
        return (env, f) => {
          f.pos = pos;
          const o = obj(env, f);
          if (o === null || o === undefined) {
            if (nullCond) return null;
            throw new CsException('NullReferenceException', 'Object reference not set to an instance of an object (indexing).');
          }
          const k = key(env, f);
          f.pos = pos;
          return getIndex(o, k);
        };
      }
      return (env, f) => {
        f.pos = pos;
        const o = obj(env, f);
        if (o === null || o === undefined) {
          if (nullCond) return null;
          throw new CsException('NullReferenceException', 'Object reference not set to an instance of an object (indexing).');
        }
        const a = evalAll(args, env, f);
        f.pos = pos;
        return getIndex(o, a[0]);
      };
    }
    case 'call':
      return compileCall(e);
    case 'unary': {
      const x = compile(e.x);
      const op = e.op;
      return (env, f) => {
        f.pos = pos;
        const v = x(env, f);
        switch (op) {
          case '!':
            return !truthy(v);
          case '-':
            return -num(v);
          case '+':
            return num(v);
          default:
            return ~num(v);
        }
      };
    }
    case 'incdec': {
      const x = compile(e.x);
      const store = compileStore(e.x);
      const delta = e.op === '++' ? 1 : -1;
      const prefix = e.prefix;
      return (env, f) => {
        f.pos = pos;
        const old = num(x(env, f));
        store(env, f, old + delta);
        return prefix ? old + delta : old;
      };
    }
    case 'binary':
      return compileBinary(e.op, compile(e.l), compile(e.r), pos, e.r.pos);
    case 'cond': {
      const c = compile(e.c);
      const a = compile(e.a);
      const b = compile(e.b);
      return (env, f) => {
        f.pos = pos;
        return truthy(c(env, f)) ? a(env, f) : b(env, f);
      };
    }
    case 'cast': {
      const x = compile(e.x);
      const type = e.type;
      const name = baseName(type.name);
      // the common casts, decided without the general path (same answers: see cast)
      const isJwt = type.array === 0 && name === 'Jwt';
      const isString = type.array === 0 && (name === 'string' || name === 'String');
      return (env, f) => {
        f.pos = pos;
        const v = x(env, f);
        if ((isJwt && v instanceof JwtValue) || (isString && typeof v === 'string')) return v;
        return cast(v, type);
      };
    }
    case 'is': {
      const x = compile(e.x);
      const type = e.type;
      const bind = e.bind !== undefined && e.bind !== '_' ? e.bind : undefined;
      // C# 7 `is var x` matches everything, null included
      const isVar = type.name === 'var';
      return (env, f) => {
        f.pos = pos;
        const v = x(env, f);
        const ok = isVar || isType(v, type);
        if (ok && bind !== undefined) env.declare(bind, v);
        return ok;
      };
    }
    case 'as': {
      const x = compile(e.x);
      const type = e.type;
      return (env, f) => {
        f.pos = pos;
        const v = x(env, f);
        return isType(v, type) ? v : null;
      };
    }
    case 'lambda': {
      const params = e.params.map(intern);
      const body = e.body;
      const run = isStmt(body) ? null : compile(body);
      const exec = isStmt(body) ? compileStmt(body) : null;
      return (env, f) => {
        f.pos = pos;
        return new Lambda(params, env, run, exec);
      };
    }
    case 'interp': {
      const parts = e.parts.map((p) => (typeof p === 'string' ? p : { t: compile(p.expr), format: p.format }));
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
    case 'new':
      return compileNew(e);
    case 'assign': {
      const value = compile(e.value);
      const store = compileStore(e.target);
      const op = e.op;
      if (op === '=') {
        return (env, f) => {
          f.pos = pos;
          const v = value(env, f);
          store(env, f, v);
          return v;
        };
      }
      const cur = compile(e.target);
      return (env, f) => {
        f.pos = pos;
        const c = cur(env, f);
        if (op === '??=' && c !== null && c !== undefined) return c;
        const v = op === '??=' ? value(env, f) : arith(op[0]!, c, value(env, f));
        store(env, f, v);
        return v;
      };
    }
    case 'declVar':
      // only as an out argument (compileCall); elsewhere the parser does not produce it
      return () => unsupported("'out var' outside an argument");
    case 'throw': {
      const x = compile(e.x);
      return (env, f) => {
        f.pos = pos;
        throwValue(x(env, f));
      };
    }
    case 'default': {
      const v = defaultValue(e.type ?? (e.ctype !== undefined ? { name: e.ctype, args: [], array: 0, nullable: e.ctype.endsWith('?') } : null));
      return (_env, f) => {
        f.pos = pos;
        return v;
      };
    }
    case 'memberInit':
    case 'indexInit':
      // only inside `new T { … }` (compileNew)
      return () => unsupported('an initializer entry outside an initializer');
  }
}

/** The static type an expression names when that is known at compile time (a type name no local can shadow), else null. */
function staticReceiver(e: Expr): StaticType | null {
  if (e.k === 'typeName') return staticType(e.type.name);
  if (e.k === 'id' && e.name !== 'context' && !bound.has(e.name) && (staticLibraries(e.name) !== undefined || EXTRA_STATIC.has(e.name))) return staticType(intern(e.name));
  return null;
}

function isStmt(x: Expr | Stmt): x is Stmt {
  return x.k === 'block';
}

function throwValue(v: unknown): never {
  if (v instanceof CsExceptionValue) throw new CsException(v.exceptionType, v.message);
  if (v === null || v === undefined) throw new CsException('NullReferenceException', 'Object reference not set to an instance of an object.');
  throw new CsException('Exception', 'Exception of type System.Exception was thrown.');
}

const staticTypes = new Map<string, StaticType>();
function staticType(name: string): StaticType {
  let t = staticTypes.get(name);
  if (!t) staticTypes.set(name, (t = new StaticType(name, fullNameOf(name))));
  return t;
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
    if (dotted && dotted.includes('.') && !dotted.startsWith('context.') && staticLibraries(dotted) !== undefined) {
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

// ---- operators --------------------------------------------------------------------------------

function compileBinary(op: string, l: Thunk, r: Thunk, pos: number, rpos: number): Thunk {
  if (op === '&&') {
    return (env, f) => {
      f.pos = pos;
      return truthy(l(env, f)) && truthy(r(env, f));
    };
  }
  if (op === '||') {
    return (env, f) => {
      f.pos = pos;
      return truthy(l(env, f)) || truthy(r(env, f));
    };
  }
  if (op === '??') {
    return (env, f) => {
      f.pos = pos;
      const a = l(env, f);
      return a === null || a === undefined ? r(env, f) : a;
    };
  }
  // the operator chosen once, here
  const apply = op === '==' ? equals : op === '!=' ? notEquals : (a: unknown, b: unknown) => binaryValues(op, a, b);
  return (env, f) => {
    f.pos = pos;
    const a = l(env, f);
    const b = r(env, f);
    f.pos = rpos;
    return apply(a, b);
  };
}

function notEquals(l: unknown, r: unknown): boolean {
  return !equals(l, r);
}

const isLess = (c: number): boolean => c < 0;
const isGreater = (c: number): boolean => c > 0;
const isAtMost = (c: number): boolean => c <= 0;
const isAtLeast = (c: number): boolean => c >= 0;

/** A binary operator (not &&, ||, ??) on evaluated operands. */
function binaryValues(op: string, l: unknown, r: unknown): unknown {
  switch (op) {
    case '==':
      return equals(l, r);
    case '!=':
      return !equals(l, r);
    case '<':
      return nullableCompare(l, r, isLess);
    case '>':
      return nullableCompare(l, r, isGreater);
    case '<=':
      return nullableCompare(l, r, isAtMost);
    case '>=':
      return nullableCompare(l, r, isAtLeast);
    case '&':
    case '|':
    case '^':
      if (typeof l === 'boolean' && typeof r === 'boolean') return op === '&' ? l && r : op === '|' ? l || r : l !== r;
      return op === '&' ? num(l) & num(r) : op === '|' ? num(l) | num(r) : num(l) ^ num(r);
  }
  return arith(op, l, r);
}

function nullableCompare(l: unknown, r: unknown, test: (c: number) => boolean): boolean {
  if (l === null || r === null || l === undefined || r === undefined) return false;
  return test(compare(l, r));
}

function arith(op: string, l: unknown, r: unknown): unknown {
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
    return num(l) + num(r);
  }
  if (op === '-') {
    if (l instanceof CsDateTime && r instanceof CsDateTime) return new CsTimeSpan(l.ms - r.ms);
    if (l instanceof CsDateTime && r instanceof CsTimeSpan) return new CsDateTime(l.ms - r.ms);
    if (l instanceof CsTimeSpan && r instanceof CsTimeSpan) return new CsTimeSpan(l.ms - r.ms);
    if (l === null || r === null) return null;
    return num(l) - num(r);
  }
  const a = num(l);
  const b = num(r);
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
  return unsupported(`operator ${op}`);
}

// ---- assignment -------------------------------------------------------------------------------

type Store = (env: Env, f: Frame, value: unknown) => void;

/** Where an assignment, `++`/`--` or an out argument writes. */
function compileStore(target: Expr): Store {
  if (target.k === 'id') {
    const name = intern(target.name);
    return (env, _f, value) => {
      if (!env.assign(name, value)) throw new ExpressionError('EXPR_SYNTAX', `assignment to undeclared name '${name}'`, target.pos);
    };
  }
  if (target.k === 'declVar') {
    const name = target.name;
    return (env, _f, value) => {
      if (name !== '_') env.declare(name, value);
    };
  }
  if (target.k === 'index') {
    const obj = compile(target.obj);
    const key = compile(target.args[0]!);
    return (env, f, value) => setIndex(obj(env, f), key(env, f), value);
  }
  return () => unsupported('assignment to a member');
}

function setIndex(obj: unknown, key: unknown, value: unknown): void {
  if (obj === null || obj === undefined) throw new CsException('NullReferenceException', 'Object reference not set to an instance of an object (indexing).');
  if (Array.isArray(obj) || obj instanceof Uint8Array) {
    const i = num(key);
    if (!Number.isInteger(i) || i < 0 || i >= obj.length) throw new CsException('IndexOutOfRangeException', 'Index was outside the bounds of the array.');
    obj[i] = value as never;
    return;
  }
  if (obj instanceof HostObject && obj.setIndex(key, value)) return;
  unsupported(`assignment through an indexer of ${typeName(obj)}`);
}

// ---- members and calls ------------------------------------------------------------------------

function getMember(obj: unknown, name: string, f: Frame): unknown {
  // the kinds are disjoint: the cheapest and most common tests first
  if (typeof obj === 'string') {
    if (name === 'Length') return obj.length;
    return unsupported(`member '${name}' of ${typeName(obj)}`);
  }
  if (obj instanceof HostObject) {
    const v = obj.getMember(name);
    if (v !== NO_MEMBER) return v;
    if (name === 'Count' || name === 'Length') {
      const items = obj.enumerate();
      if (items) return items.length;
    }
    return unsupported(`member '${name}' of ${obj.typeName}`);
  }
  if (obj instanceof StaticType) {
    const known = obj.constants.get(name);
    if (known !== undefined) return known;
    const libs = staticLibraries(obj.name);
    const p = libs && findProperty(libs, name);
    if (!p) return unsupported(`static member ${obj.name}.${name}`);
    const v = p.run(undefined, [], f, []);
    // primitives are constants (objects such as DateTime.UtcNow are built per read)
    if (v !== null && typeof v !== 'object') obj.constants.set(name, v);
    return v;
  }
  if (Array.isArray(obj) || obj instanceof Uint8Array) {
    if (name === 'Length' || name === 'Count') return obj.length;
  }
  return unsupported(`member '${name}' of ${typeName(obj)}`);
}

function getIndex(obj: unknown, key: unknown): unknown {
  if (typeof obj === 'string') {
    const i = num(key);
    if (i < 0 || i >= obj.length) throw new CsException('IndexOutOfRangeException', 'Index was outside the bounds of the array.');
    return obj[i];
  }
  // a host object (`context.Variables["jwt"]`) before the array kinds: disjoint, and its test is the shorter
  if (obj instanceof HostObject) {
    const v = obj.getIndex(key);
    if (v !== NO_MEMBER) return v;
    return unsupported(`indexer of ${typeName(obj)}`);
  }
  if (Array.isArray(obj) || obj instanceof Uint8Array) {
    const i = num(key);
    if (!Number.isInteger(i) || i < 0 || i >= obj.length) throw new CsException('IndexOutOfRangeException', 'Index was outside the bounds of the array.');
    return obj[i];
  }
  return unsupported(`indexer of ${typeName(obj)}`);
}

const NO_NAMED: Record<string, unknown> = Object.freeze(Object.create(null) as Record<string, unknown>);

/** An argument: its value, or for `out`/`ref` the Ref the callee fills and where it goes after. */
interface CompiledArg {
  value: Thunk;
  name: string | undefined;
  ref: { store: Store; out: boolean } | null;
}

function compileArgs(args: readonly Arg[]): CompiledArg[] {
  return args.map((a) => {
    const ref = a.mod === 'out' || a.mod === 'ref' ? { store: compileStore(a.value), out: a.mod === 'out' } : null;
    return { value: ref && ref.out ? () => undefined : compile(a.value), name: a.name !== undefined ? intern(a.name) : undefined, ref };
  });
}

function compileCall(e: Extract<Expr, { k: 'call' }>): Thunk {
  const pos = e.pos;
  const callee = e.callee;
  const typeArgs = e.typeArgs.map(typeToString);
  const args = compileArgs(e.args);
  const plain = args.every((a) => a.name === undefined && a.ref === null);
  const thunks = args.map((a) => a.value);
  if (callee.k !== 'member') {
    // a lambda or local function held in a variable
    const fn = compile(callee);
    return (env, f) => {
      f.pos = pos;
      const target = fn(env, f);
      const values = evalAll(thunks, env, f);
      f.pos = pos;
      if (target instanceof Lambda) return invoke(target, values, f);
      return unsupported(`call of ${typeName(target)}`);
    };
  }
  const target = compile(callee.obj);
  const name = intern(callee.name);
  const nullCond = callee.nullCond;
  // the member the checker resolved, when the library runs it: looked up once, here
  const keyed: MemberImpl | undefined = e.member !== undefined ? MEMBERS.get(e.member) : undefined;
  if (plain && keyed !== undefined && staticReceiver(callee.obj) !== null) {
    // a static method the checker resolved (`JObject.Parse`, `Convert.FromBase64String`): no receiver
    return (env, f) => {
      f.pos = pos;
      const values = evalAll(thunks, env, f);
      f.pos = pos;
      return keyed.run(undefined, values, f, typeArgs);
    };
  }
  if (plain) {
    return (env, f) => {
      f.pos = pos;
      const t = target(env, f);
      const values = evalAll(thunks, env, f);
      f.pos = pos;
      if (t === null || t === undefined) {
        if (nullCond) return null;
        throw new CsException('NullReferenceException', `Object reference not set to an instance of an object (calling '${name}').`);
      }
      // a static member's receiver is the type itself: the implementation gets none
      if (keyed !== undefined) return keyed.run(receiver(t), values, f, typeArgs);
      return callMethod(t, name, values, typeArgs, NO_NAMED, f);
    };
  }
  return (env, f) => {
    f.pos = pos;
    const t = target(env, f);
    const positional: unknown[] = [];
    const refs: [Ref, Store][] = [];
    // no prototype: a named argument is called whatever the expression says (`__proto__:` too)
    let named = NO_NAMED;
    for (const a of args) {
      let v = a.value(env, f);
      if (a.ref !== null) {
        const r = new Ref(v);
        refs.push([r, a.ref.store]);
        v = r;
      }
      if (a.name !== undefined) {
        if (named === NO_NAMED) named = Object.create(null) as Record<string, unknown>;
        named[a.name] = v;
      } else positional.push(v);
    }
    f.pos = pos;
    if (t === null || t === undefined) {
      if (nullCond) return null;
      throw new CsException('NullReferenceException', `Object reference not set to an instance of an object (calling '${name}').`);
    }
    const result = keyed !== undefined ? keyed.run(receiver(t), positional, f, typeArgs) : callMethod(t, name, positional, typeArgs, named, f);
    for (const [r, store] of refs) store(env, f, r.value);
    return result;
  };
}

/** The receiver a library member gets: none for a static type (`string.Join`), else the value (a primitive skips the instanceof). */
function receiver(t: unknown): unknown {
  return typeof t === 'object' && t instanceof StaticType ? undefined : t;
}

function callMethod(target: unknown, name: string, args: unknown[], typeArgs: string[], named: Record<string, unknown>, f: Frame): unknown {
  // a host object (the common receiver) is tested first: it is never a static type
  if (target instanceof HostObject) return callHostMethod(target, name, args, typeArgs, named, f);
  if (target instanceof StaticType) {
    const libs = staticLibraries(target.name);
    if (name === 'Equals' && target.fullName === 'System.String') return STRING_STATIC_EQUALS(undefined, args, f, typeArgs);
    const m = libs && findMethod(libs, name);
    if (m) return m.run(undefined, args, f, typeArgs);
    return unsupported(`static method ${target.name}.${name}`);
  }
  if (name === 'ToString' && args.length === 0) return str(target);
  if (name === 'GetType') unsupported('GetType()');
  if (name === 'GetHashCode' && args.length === 0) return hashCode(str(target));
  if (typeof target === 'string') {
    const m = findMethod(STRING_LIBS, name);
    if (m) return m.run(target, args, f, typeArgs);
    return unsupported(`method '${name}' of string`);
  }
  if (Array.isArray(target) || target instanceof Uint8Array) {
    const m = findMethod(Array.isArray(target) ? LIST_LIBS : ENUMERABLE_ONLY, name);
    if (m) return m.run(target, args, f, typeArgs);
    return unsupported(`method '${name}' of ${typeName(target)}`);
  }
  if (typeof target === 'number') {
    if (name === 'ToString') return formatValue(target, str(args[0]));
    if (name === 'Equals') return target === args[0];
    if (name === 'CompareTo') return Math.sign(target - num(args[0]));
  }
  if (typeof target === 'boolean' && name === 'Equals') return target === args[0];
  if (target instanceof Lambda && name === 'Invoke') return invoke(target, args, f);
  return unsupported(`method '${name}' of ${typeName(target)}`);
}

/** callMethod on a host object: ToString, GetType and GetHashCode first, as for any value, then the object's own methods. */
function callHostMethod(target: HostObject, name: string, args: unknown[], typeArgs: string[], named: Record<string, unknown>, f: Frame): unknown {
  if (name === 'ToString' && args.length === 0 && !(target instanceof CsGuid) && !(target instanceof JToken)) return str(target);
  if (name === 'GetType') unsupported('GetType()');
  if (name === 'GetHashCode' && args.length === 0) return hashCode(str(target));
  const v = target.callMethod(name, args, typeArgs, named);
  if (v !== NO_MEMBER) return v;
  const items = target.enumerate();
  if (items) {
    const m = findMethod(ENUMERABLE_ONLY, name);
    if (m) return m.run(items, args, f, typeArgs);
  }
  if (name === 'Equals') return equals(target, args[0]);
  return unsupported(`method '${name}' of ${target.typeName}`);
}

const ENUMERABLE_ONLY = [ENUMERABLE];
const STRING_LIBS = [STRING, STRING_EXTENSIONS, ENUMERABLE];
const LIST_LIBS = [LIST, ENUMERABLE];

// ---- construction -----------------------------------------------------------------------------

function compileNew(e: Extract<Expr, { k: 'new' }>): Thunk {
  const pos = e.pos;
  const type = e.type;
  const args = compileAll(e.args.map((a) => a.value));
  const entries = e.init ?? [];
  // an object initializer (`Name = v`, `["k"] = v`) sets members of the new object; a
  // collection initializer's items are its contents
  const setters = entries.filter((x) => x.k === 'memberInit' || x.k === 'indexInit').map((x) => {
    if (x.k === 'indexInit') {
      const key = compile(x.args[0]!);
      const value = compile(x.value);
      return (obj: unknown, env: Env, f: Frame) => setIndex(obj, key(env, f), value(env, f));
    }
    return () => unsupported(`object initializer member '${(x as { name: string }).name}'`);
  });
  const items = e.init === null ? null : compileAll(entries.filter((x) => x.k !== 'memberInit' && x.k !== 'indexInit'));
  return (env, f) => {
    f.pos = pos;
    const a = evalAllFresh(args, env, f);
    const init = items === null ? null : evalAllFresh(items, env, f);
    f.pos = pos;
    const obj = construct(type, a, init, f);
    for (const set of setters) set(obj, env, f);
    return obj;
  };
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

function construct(type: TypeRef | null, args: unknown[], init: unknown[] | null, f: Frame): unknown {
  if (type === null) return init ?? [];
  const name = baseName(type.name);
  if (type.array > 0) {
    if (init) return name === 'byte' ? new Uint8Array(init.map(num)) : init;
    const n = num(args[0]);
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
        else if (a !== undefined) unsupported(`new JObject(${typeName(a)})`);
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
      const from = args[0] !== undefined && typeof args[0] !== 'number' ? enumerate(args[0]) : [];
      chargeArray(from.length + (init?.length ?? 0));
      const all = [...from, ...(init ?? [])];
      return name === 'HashSet' ? distinct(all) : all;
    }
    case 'Dictionary': {
      const d = new CsDictionary(typeToString(type));
      for (const p of init ?? []) {
        if (!Array.isArray(p) || p.length !== 2) unsupported('dictionary initializer entry');
        d.map.set(str((p as unknown[])[0]), (p as unknown[])[1]);
      }
      return d;
    }
    case '$pair':
    case '$member':
      return args;
    case '$anonymous':
      return new CsRecord('<anonymous>', Object.fromEntries((init ?? []).map((m) => m as [string, unknown])));
    case 'DateTime':
      return new CsDateTime(Date.UTC(num(args[0]), num(args[1]) - 1, num(args[2]), num(args[3] ?? 0), num(args[4] ?? 0), num(args[5] ?? 0)));
    case 'TimeSpan':
      if (args.length === 3) return new CsTimeSpan((num(args[0]) * 3600 + num(args[1]) * 60 + num(args[2])) * 1000);
      if (args.length === 4) return new CsTimeSpan((num(args[0]) * 86400 + num(args[1]) * 3600 + num(args[2]) * 60 + num(args[3])) * 1000);
      break;
    case 'Exception':
    case 'InvalidOperationException':
    case 'ArgumentException':
    case 'ArgumentNullException':
    case 'FormatException':
    case 'NotSupportedException':
      return new CsExceptionValue(args.length ? str(args[0]) : `Exception of type System.${name} was thrown.`, name);
    case 'DateTimeOffset':
      // the emulator's DateTime is UTC already: DateTimeOffset(DateTime) is the same instant
      if (args.length === 1 && args[0] instanceof CsDateTime) return args[0];
      break;
    case 'Regex':
      return new CsRegex(str(args[0]), args[1] === undefined ? 0 : num(args[1]));
    case 'HMACSHA1':
    case 'HMACSHA256':
    case 'HMACSHA384':
    case 'HMACSHA512':
      if (!(args[0] instanceof Uint8Array)) throw new CsException('ArgumentNullException', "Value cannot be null. (Parameter 'key')");
      return new CsHmac(name.slice(4).toLowerCase() as 'sha1' | 'sha256' | 'sha384' | 'sha512', args[0]);
    case 'string':
    case 'String': {
      if (Array.isArray(args[0])) return joined((args[0] as unknown[]).map(str), '');
      // new string(char, int): a negative count is ArgumentOutOfRangeException
      const count = num(args[1]);
      if (!Number.isInteger(count) || count < 0) throw new CsException('ArgumentOutOfRangeException', 'Count cannot be less than zero.\r\nParameter name: count');
      chargeString(count);
      return str(args[0]).repeat(count);
    }
  }
  return unsupported(`new ${typeToString(type)}(...)`);
}

// ---- statements -------------------------------------------------------------------------------

/** A statement list as one closure: local functions are declared first (visible in the whole block). */
function compileStatements(body: readonly Stmt[]): Exec {
  const funcs = body.filter((s): s is Extract<Stmt, { k: 'localFunc' }> => s.k === 'localFunc').map((s) => ({ name: s.name, params: s.params.map((p) => intern(p.name)), exec: compileStmt(s.body) }));
  const stmts = body.filter((s) => s.k !== 'localFunc').map(compileStmt);
  const run: Exec = (env, f) => {
    for (let i = 0; i < stmts.length; i++) {
      const r = stmts[i]!(env, f);
      if (r !== undefined) return r;
    }
    return undefined;
  };
  if (funcs.length === 0) return run;
  return (env, f) => {
    for (const fn of funcs) env.declare(fn.name, new Lambda(fn.params, env, null, fn.exec));
    return run(env, f);
  };
}

function compileStmt(s: Stmt): Exec {
  const pos = s.pos;
  switch (s.k) {
    case 'decl': {
      const names = s.names.map((d) => ({ name: intern(d.name), init: d.init ? compile(d.init) : null }));
      return (env, f) => {
        f.pos = pos;
        step();
        for (const d of names) env.declare(d.name, d.init ? d.init(env, f) : null);
        return undefined;
      };
    }
    case 'expr': {
      const x = compile(s.x);
      return (env, f) => {
        f.pos = pos;
        step();
        x(env, f);
        return undefined;
      };
    }
    case 'return': {
      const x = s.x ? compile(s.x) : null;
      return (env, f) => {
        f.pos = pos;
        step();
        return { type: 'return', value: x ? x(env, f) : undefined };
      };
    }
    case 'if': {
      const c = compile(s.c);
      // each branch in a scope of its own, made per run only when the branch can declare a name
      const then = scoped(s.then);
      const otherwise = s.else ? scoped(s.else) : null;
      return (env, f) => {
        f.pos = pos;
        step();
        if (truthy(c(env, f))) return then(env, f);
        return otherwise ? otherwise(env, f) : undefined;
      };
    }
    case 'block': {
      const body = compileStatements(s.body);
      if (!declaresNames(s)) {
        return (env, f) => {
          step();
          return body(env, f);
        };
      }
      return (env, f) => {
        step();
        return body(new Env(env), f);
      };
    }
    case 'foreach': {
      const iter = compile(s.iter);
      const name = intern(s.name);
      // a block body runs in the iteration's own scope (the loop variable's): one scope per iteration
      const body = s.body.k === 'block' ? blockIn(s.body) : compileStmt(s.body);
      return (env, f) => {
        f.pos = pos;
        step();
        for (const item of enumerate(iter(env, f))) {
          step();
          const inner = new Env(env);
          inner.declare(name, item);
          const r = body(inner, f);
          if (r === BREAK) break;
          if (r !== undefined && r !== CONTINUE) return r;
        }
        return undefined;
      };
    }
    case 'for': {
      const init = s.init ? compileStmt(s.init) : null;
      const c = s.c ? compile(s.c) : null;
      const update = compileAll(s.update);
      const body = compileStmt(s.body);
      return (env, f) => {
        f.pos = pos;
        step();
        const loop = new Env(env);
        if (init) init(loop, f);
        while (c === null || truthy(c(loop, f))) {
          step();
          const r = body(new Env(loop), f);
          if (r === BREAK) break;
          if (r !== undefined && r !== CONTINUE) return r;
          for (const u of update) u(loop, f);
        }
        return undefined;
      };
    }
    case 'while':
    case 'do': {
      const c = compile(s.c);
      const body = compileStmt(s.body);
      const first = s.k === 'do';
      return (env, f) => {
        f.pos = pos;
        step();
        for (let go = first || truthy(c(env, f)); go; go = truthy(c(env, f))) {
          step();
          const r = body(new Env(env), f);
          if (r === BREAK) break;
          if (r !== undefined && r !== CONTINUE) return r;
        }
        return undefined;
      };
    }
    case 'break':
      return () => BREAK;
    case 'continue':
      return () => CONTINUE;
    case 'throw': {
      const x = s.x ? compile(s.x) : null;
      return (env, f) => {
        f.pos = pos;
        step();
        if (x === null) {
          // `throw;` in a catch rethrows what it caught
          const caught = env.get(CAUGHT);
          if (caught !== MISSING) throw caught;
          throw new CsException('Exception', 'Exception of type System.Exception was thrown.');
        }
        return throwValue(x(env, f));
      };
    }
    case 'try':
      return compileTry(s.body, s.catches, s.fin);
    case 'switch':
      return compileSwitch(s.x, s.sections, pos);
    case 'localFunc': {
      // declared by the enclosing block (compileStatements); a lone one is declared where it stands
      const params = s.params.map((p) => intern(p.name));
      const exec = compileStmt(s.body);
      return (env) => {
        env.declare(s.name, new Lambda(params, env, null, exec));
        return undefined;
      };
    }
    case 'using': {
      const resource = compileStmt(s.resource);
      const body = compileStmt(s.body);
      const names = s.resource.k === 'decl' ? s.resource.names.map((d) => d.name) : [];
      return (env, f) => {
        f.pos = pos;
        const inner = new Env(env);
        resource(inner, f);
        try {
          return body(inner, f);
        } finally {
          for (const n of names) {
            const v = inner.get(n);
            if (v instanceof HostObject) v.callMethod('Dispose', [], [], NO_NAMED);
          }
        }
      };
    }
  }
}

/** A statement run in a new scope, made per run only when the statement can declare a name. */
function scoped(s: Stmt): Exec {
  const run = compileStmt(s);
  // a block makes its own scope when it needs one
  if (s.k === 'block' || !declaresNames(s)) return run;
  return (env, f) => run(new Env(env), f);
}

/** A block run in a scope its caller made for it (charged as a block). */
function blockIn(s: Extract<Stmt, { k: 'block' }>): Exec {
  const body = compileStatements(s.body);
  return (env, f) => {
    step();
    return body(env, f);
  };
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
  ['NotSupportedException', 'SystemException'],
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

function compileTry(body: Stmt, catches: readonly CatchClause[], fin: Stmt | null): Exec {
  const run = compileStmt(body);
  const clauses = catches.map((c) => ({ type: c.type, name: c.name, filter: c.filter ? compile(c.filter) : null, body: compileStmt(c.body) }));
  const finish = fin ? compileStmt(fin) : null;
  return (env, f) => {
    try {
      return run(new Env(env), f);
    } catch (err) {
      const ex = catchable(err);
      if (ex === null) throw err;
      for (const clause of clauses) {
        if (clause.type !== null && !isA(ex.exceptionType, clause.type)) continue;
        const inner = new Env(env);
        inner.declare(CAUGHT, err);
        if (clause.name !== null) inner.declare(clause.name, new CsExceptionValue(ex.message, ex.exceptionType));
        if (clause.filter !== null && !truthy(clause.filter(inner, f))) continue;
        return clause.body(inner, f);
      }
      throw err;
    } finally {
      if (finish !== null) finish(new Env(env), f);
    }
  };
}

/**
 * A C# 7 switch statement: the first label that matches in source order (a constant by `==`, a
 * type pattern by its type — `case var x` and `case object x`… bind the value — each with its
 * `when`), else `default:` wherever it stands. Sections do not fall through; `break` leaves the
 * switch, `continue` and `return` go on to the enclosing statement.
 */
function compileSwitch(subject: Expr, sections: readonly SwitchSection[], pos: number): Exec {
  const x = compile(subject);
  const compiled = sections.map((sec) => ({
    labels: sec.labels.map((l) =>
      l.k === 'default'
        ? { k: 'default' as const }
        : l.k === 'const'
          ? { k: 'const' as const, value: compile(l.value), when: l.when ? compile(l.when) : null }
          : { k: 'type' as const, type: l.type, name: l.name !== null && l.name !== '_' ? l.name : null, when: l.when ? compile(l.when) : null },
    ),
    body: compileStatements(sec.body),
  }));
  return (env, f) => {
    f.pos = pos;
    step();
    const v = x(env, f);
    let chosen: { body: Exec; env: Env } | null = null;
    let fallback: Exec | null = null;
    search: for (const sec of compiled) {
      for (const l of sec.labels) {
        if (l.k === 'default') {
          fallback = sec.body;
          continue;
        }
        const inner = new Env(env);
        if (l.k === 'const') {
          if (!equals(v, l.value(inner, f))) continue;
        } else {
          if (!(l.type.name === 'var' || isType(v, l.type))) continue;
          if (l.name !== null) inner.declare(l.name, v);
        }
        if (l.when !== null && !truthy(l.when(inner, f))) continue;
        chosen = { body: sec.body, env: inner };
        break search;
      }
    }
    if (chosen === null && fallback !== null) chosen = { body: fallback, env: new Env(env) };
    if (chosen === null) return undefined;
    const r = chosen.body(chosen.env, f);
    return r === BREAK ? undefined : r;
  };
}
