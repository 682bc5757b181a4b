/** Composition: string concatenation, comparisons, and / or / not. */
import { csharp, operand, type Expr, type Operand } from './expr.js';

/** String concatenation: `concat('Bearer ', requestHeader('x'))` → `@("Bearer " + (...))`. */
export function concat(...parts: Operand<string>[]): Expr<string> {
  if (parts.length === 0) return csharp('""');
  return csharp(parts.map((p) => operand(p)).join(' + '));
}

type Comparable = string | number | boolean;

function compare<T extends Comparable>(op: string, a: Operand<T>, b: Operand<T>): Expr<boolean> {
  return csharp(`${operand(a)} ${op} ${operand(b)}`);
}

export const eq = <T extends Comparable>(a: Operand<T>, b: Operand<T>): Expr<boolean> => compare('==', a, b);
export const ne = <T extends Comparable>(a: Operand<T>, b: Operand<T>): Expr<boolean> => compare('!=', a, b);
export const lt = (a: Operand<number>, b: Operand<number>): Expr<boolean> => compare('<', a, b);
export const le = (a: Operand<number>, b: Operand<number>): Expr<boolean> => compare('<=', a, b);
export const gt = (a: Operand<number>, b: Operand<number>): Expr<boolean> => compare('>', a, b);
export const ge = (a: Operand<number>, b: Operand<number>): Expr<boolean> => compare('>=', a, b);

/** Logical and of at least two conditions. */
export function and(...conds: [Operand<boolean>, Operand<boolean>, ...Operand<boolean>[]]): Expr<boolean> {
  return csharp(conds.map((c) => operand(c)).join(' && '));
}

/** Logical or of at least two conditions. */
export function or(...conds: [Operand<boolean>, Operand<boolean>, ...Operand<boolean>[]]): Expr<boolean> {
  return csharp(conds.map((c) => operand(c)).join(' || '));
}

export function not(cond: Operand<boolean>): Expr<boolean> {
  return csharp(`!${operand(cond)}`);
}

/** `string.IsNullOrEmpty(x)`. */
export function isEmpty(value: Operand<string>): Expr<boolean> {
  return csharp(`string.IsNullOrEmpty(${operand(value)})`);
}
