/** The syntax tree of the expression subset. `pos` is an offset in the expression's code. */

/** A type as written: `string`, `Jwt`, `string[]`, `Dictionary<string, string>`, `int?`. */
export interface TypeRef {
  name: string;
  args: TypeRef[];
  array: number;
  nullable: boolean;
}

export interface Arg {
  name?: string;
  value: Expr;
}

export type Expr =
  | { k: 'lit'; v: unknown; pos: number }
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
  | { k: 'lambda'; params: string[]; body: Expr | Stmt; pos: number }
  | { k: 'new'; type: TypeRef | null; args: Arg[]; init: Expr[] | null; pos: number }
  | { k: 'typeName'; type: TypeRef; pos: number }
  | { k: 'assign'; op: string; target: Expr; value: Expr; pos: number };

export type Stmt =
  | { k: 'decl'; names: { name: string; init: Expr | null }[]; pos: number }
  | { k: 'expr'; x: Expr; pos: number }
  | { k: 'if'; c: Expr; then: Stmt; else: Stmt | null; pos: number }
  | { k: 'return'; x: Expr | null; pos: number }
  | { k: 'block'; body: Stmt[]; pos: number }
  | { k: 'foreach'; name: string; iter: Expr; body: Stmt; pos: number }
  | { k: 'for'; init: Stmt | null; c: Expr | null; update: Expr[]; body: Stmt; pos: number }
  | { k: 'while'; c: Expr; body: Stmt; pos: number }
  | { k: 'break'; pos: number }
  | { k: 'continue'; pos: number }
  | { k: 'throw'; x: Expr | null; pos: number }
  | { k: 'try'; body: Stmt; catches: CatchClause[]; fin: Stmt | null; pos: number };

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
