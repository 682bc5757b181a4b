/**
 * The syntax tree of policy expressions (C# 7.3). `pos` is an offset in the expression's code.
 *
 * Node kinds added with the C# front end (issue 9), for the runtime to implement:
 * - Arg `mod`: `out` / `ref` / `in` argument; an `out` argument's value is an `id` (an existing
 *   variable) or a `declVar`. The callee assigns it.
 * - Expr `declVar`: `out var x` / `out string x` / `out _` (type null = `var`; name `_` = discard):
 *   declares `name` in the enclosing scope (C# 7 "out variables"), assigned by the callee.
 * - Expr `throw`: a throw expression (C# 7), `x ?? throw new ArgumentException("…")`.
 * - Expr `default`: `default(T)` / `default` (C# 7.1 literal, type null: the target type's).
 * - Expr `memberInit` / `indexInit`: entries of an object initializer inside `new T { … }.init`:
 *   `Name = value` sets a member, `["key"] = value` calls the indexer setter. Collection
 *   initializer entries stay plain expressions (or `$pair` for `{ key, value }`), as before.
 * - Expr `lit.ltype`: the literal's C# type; `'a'` (char) and `"a"` (string) differ only there.
 * - Expr `is` with type `var`: the C# 7 var pattern, always true, binds `bind`.
 * - Expr `member` (Resolved): set by the static checker on `call`, `index`, `member` and `new`
 *   nodes to the resolved member key (`System.String::Split(char[])`), see TABLE.md; it also
 *   sets `ctype` (the static C# type as text) on every checked expression node.
 * - Stmt `decl.type` / `foreach.type`: the declared type as written (`var` for var).
 * - Stmt `switch`: C# 7 switch statement; each section's labels are `case <constant>`,
 *   `case <Type> <name>` (type pattern, name may be `_`), `case var x` and `default`, each label
 *   with an optional `when` filter. Sections do not fall through (C# requires break/return/…).
 * - Stmt `localFunc`: a local function (C# 7) declared in a block; visible in the whole block.
 *   An expression-bodied one (`=> x`) has a body `{ return x; }`.
 * - Stmt `using`: `using (var r = …) body` / `using (expr) body`; disposes at the end.
 * - Stmt `do`: `do body while (c);`.
 */

/** A type as written: `string`, `Jwt`, `string[]`, `Dictionary<string, string>`, `int?`. */
export interface TypeRef {
  name: string;
  args: TypeRef[];
  array: number;
  nullable: boolean;
}

/** The C# type of a literal (absent on `null` and on literals the parser synthesises). */
export type LiteralType = 'string' | 'char' | 'bool' | 'int' | 'uint' | 'long' | 'ulong' | 'float' | 'double' | 'decimal';

export interface Arg {
  name?: string;
  value: Expr;
  /** `out` / `ref` / `in` argument modifier */
  mod?: 'out' | 'ref' | 'in';
}

/** What the static checker records on a node (`policies/csharp/check/`). */
export interface Resolved {
  /** the resolved member key (TABLE.md): calls, indexers, properties, constructors */
  member?: string;
  /** the static C# type of the expression, as C# source (`string`, `IEnumerable<char>`) */
  ctype?: string;
}

export type Expr = Resolved & (
  | { k: 'lit'; v: unknown; ltype?: LiteralType; pos: number }
  | { k: 'interp'; parts: (string | { expr: Expr; format?: string })[]; pos: number }
  | { k: 'id'; name: string; pos: number }
  | { k: 'member'; obj: Expr; name: string; nullCond: boolean; pos: number }
  | { k: 'call'; callee: Expr; args: Arg[]; typeArgs: TypeRef[]; pos: number }
  | { k: 'index'; obj: Expr; args: Expr[]; nullCond: boolean; pos: number }
  | { k: 'unary'; op: string; x: Expr; pos: number }
  | { k: 'incdec'; op: '++' | '--'; prefix: boolean; x: Expr; pos: number }
  | { k: 'binary'; op: string; l: Expr; r: Expr; pos: number }
  | { k: 'cond'; c: Expr; a: Expr; b: Expr; pos: number }
  | { k: 'cast'; type: TypeRef; x: Expr; pos: number }
  | { k: 'is'; x: Expr; type: TypeRef; bind?: string; pos: number }
  | { k: 'as'; x: Expr; type: TypeRef; pos: number }
  | { k: 'lambda'; params: string[]; paramTypes?: (TypeRef | null)[]; body: Expr | Stmt; pos: number }
  | { k: 'new'; type: TypeRef | null; args: Arg[]; init: Expr[] | null; pos: number }
  | { k: 'typeName'; type: TypeRef; pos: number }
  | { k: 'assign'; op: string; target: Expr; value: Expr; pos: number }
  | { k: 'declVar'; type: TypeRef | null; name: string; pos: number }
  | { k: 'throw'; x: Expr; pos: number }
  | { k: 'default'; type: TypeRef | null; pos: number }
  | { k: 'memberInit'; name: string; value: Expr; pos: number }
  | { k: 'indexInit'; args: Expr[]; value: Expr; pos: number }
);

export type Stmt =
  | { k: 'decl'; type?: TypeRef; names: { name: string; init: Expr | null }[]; pos: number }
  | { k: 'expr'; x: Expr; pos: number }
  | { k: 'if'; c: Expr; then: Stmt; else: Stmt | null; pos: number }
  | { k: 'return'; x: Expr | null; pos: number }
  | { k: 'block'; body: Stmt[]; pos: number }
  | { k: 'foreach'; type?: TypeRef; name: string; iter: Expr; body: Stmt; pos: number }
  | { k: 'for'; init: Stmt | null; c: Expr | null; update: Expr[]; body: Stmt; pos: number }
  | { k: 'while'; c: Expr; body: Stmt; pos: number }
  | { k: 'break'; pos: number }
  | { k: 'continue'; pos: number }
  | { k: 'throw'; x: Expr | null; pos: number }
  | { k: 'try'; body: Stmt; catches: CatchClause[]; fin: Stmt | null; pos: number }
  | { k: 'switch'; x: Expr; sections: SwitchSection[]; pos: number }
  | { k: 'localFunc'; name: string; returns: TypeRef; params: LocalParam[]; body: Stmt; pos: number }
  | { k: 'using'; resource: Stmt; body: Stmt; pos: number }
  | { k: 'do'; body: Stmt; c: Expr; pos: number };

export interface LocalParam {
  name: string;
  type: TypeRef;
  mod?: 'out' | 'ref' | 'in' | 'params';
}

/** One `case …:`/`default:` group of a switch statement and its statements. */
export interface SwitchSection {
  labels: SwitchLabel[];
  body: Stmt[];
}

export type SwitchLabel =
  | { k: 'default'; pos: number }
  | { k: 'const'; value: Expr; when: Expr | null; pos: number }
  | { k: 'type'; type: TypeRef; name: string | null; when: Expr | null; pos: number };

/** `catch (Type name) when (filter) { … }`; `catch { … }` has neither type nor name. */
export interface CatchClause {
  type: string | null;
  name: string | null;
  filter: Expr | null;
  body: Stmt;
}

export function typeToString(t: TypeRef): string {
  let s = t.name;
  if (t.args.length) s += `<${t.args.map(typeToString).join(', ')}>`;
  if (t.nullable) s += '?';
  for (let i = 0; i < t.array; i++) s += '[]';
  return s;
}
