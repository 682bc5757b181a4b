/**
 * Whether an expression can change an object in place (a list, dictionary or JSON a variable
 * holds) — what the overlap's purity test asks of every expression of a step: such a step never
 * runs ahead of validate-jwt's signature check, since putting the run back cannot undo it.
 *
 * It can when it assigns through an indexer (`a[i] = …`, `a[i] += …`, `a[i]++`), or calls a
 * member the library marks `inPlace` (List.Add, JObject.Remove, Array.Sort…): by the member key
 * the checker resolved, or — for a call it has not resolved — by the name of any such member.
 */
import type { Expr } from './ast.js';
import { checkParsed } from '../../csharp/check/index.js';
import { walkExpr, walkStmt, type Node } from '../../csharp/walk.js';
import { changesInPlace, IN_PLACE_NAMES } from './library/index.js';
import { parseExpression } from './parse.js';

function writesInPlace(e: Expr): boolean {
  switch (e.k) {
    case 'assign':
    case 'incdec': {
      const target = e.k === 'assign' ? e.target : e.x;
      return target.k === 'index';
    }
    case 'call':
      if (e.member !== undefined) return changesInPlace(e.member);
      return e.callee.k === 'member' && IN_PLACE_NAMES.has(e.callee.name);
    default:
      return false;
  }
}

/** For expression code (`@(…)`/`@{…}`); code that does not parse counts as changing (it never runs anyway). */
export function expressionChangesInPlace(code: string): boolean {
  let parsed;
  try {
    parsed = parseExpression(code);
  } catch {
    return true;
  }
  try {
    // resolves each call's member key where it can (a refusal is reported when the element compiles)
    checkParsed(parsed);
  } catch {
    // unresolved calls are judged by name
  }
  let found = false;
  const visit = (n: Node): void => {
    if (!found && 'expr' in n && writesInPlace(n.expr)) found = true;
  };
  if (parsed.block) for (const s of parsed.body) walkStmt(s, visit);
  else walkExpr(parsed.expr, visit);
  return found;
}
