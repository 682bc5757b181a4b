/** Visits every node of a parsed expression (expressions and statements), parents first. */
import type { Expr, Stmt } from './ast.js';

export type Node = { expr: Expr } | { stmt: Stmt };

export function walkExpr(e: Expr, visit: (n: Node) => void): void {
  visit({ expr: e });
  const x = (c: Expr | null | undefined): void => {
    if (c) walkExpr(c, visit);
  };
  switch (e.k) {
    case 'interp':
      for (const p of e.parts) if (typeof p !== 'string') x(p.expr);
      return;
    case 'member':
      return x(e.obj);
    case 'call':
      x(e.callee);
      for (const a of e.args) x(a.value);
      return;
    case 'index':
      x(e.obj);
      for (const a of e.args) x(a);
      return;
    case 'unary':
    case 'incdec':
    case 'cast':
    case 'is':
    case 'as':
    case 'throw':
      return x(e.x);
    case 'binary':
      x(e.l);
      return x(e.r);
    case 'cond':
      x(e.c);
      x(e.a);
      return x(e.b);
    case 'lambda':
      if (isStmt(e.body)) return walkStmt(e.body, visit);
      return x(e.body as Expr);
    case 'new':
      for (const a of e.args) x(a.value);
      for (const i of e.init ?? []) x(i);
      return;
    case 'assign':
      x(e.target);
      return x(e.value);
    case 'memberInit':
      return x(e.value);
    case 'indexInit':
      for (const a of e.args) x(a);
      return x(e.value);
    default:
      return;
  }
}

/** A lambda's body: a block statement (`x => { … }`) or an expression (`x => x.Trim()`). */
export function isStmt(n: Expr | Stmt): n is Stmt {
  return n.k === 'block';
}

export function walkStmt(s: Stmt, visit: (n: Node) => void): void {
  visit({ stmt: s });
  const x = (c: Expr | null | undefined): void => {
    if (c) walkExpr(c, visit);
  };
  const st = (c: Stmt | null | undefined): void => {
    if (c) walkStmt(c, visit);
  };
  switch (s.k) {
    case 'decl':
      for (const d of s.names) x(d.init);
      return;
    case 'expr':
      return x(s.x);
    case 'if':
      x(s.c);
      st(s.then);
      return st(s.else);
    case 'return':
    case 'throw':
      return x(s.x);
    case 'block':
      for (const b of s.body) st(b);
      return;
    case 'foreach':
      x(s.iter);
      return st(s.body);
    case 'for':
      st(s.init);
      x(s.c);
      for (const u of s.update) x(u);
      return st(s.body);
    case 'while':
      x(s.c);
      return st(s.body);
    case 'do':
      st(s.body);
      return x(s.c);
    case 'try':
      st(s.body);
      for (const c of s.catches) {
        x(c.filter);
        st(c.body);
      }
      return st(s.fin);
    case 'switch':
      x(s.x);
      for (const sec of s.sections) {
        for (const l of sec.labels) {
          if (l.k === 'const') x(l.value);
          if (l.k !== 'default') x(l.when);
        }
        for (const b of sec.body) st(b);
      }
      return;
    case 'localFunc':
      return st(s.body);
    case 'using':
      st(s.resource);
      return st(s.body);
    default:
      return;
  }
}
