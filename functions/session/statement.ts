/**
 * A statement is SQL text split around its values, built with the `sql` tag. Each driver turns
 * it into its own wire form — `$1` placeholders (pg extended protocol), literals escaped by the
 * driver (`client.escapeLiteral`, pg simple protocol), or `@a0` inputs (mssql) — so a value is
 * always bound or escaped by a driver, never pasted into SQL by hand.
 */
export type SqlType = 'text' | 'int' | 'bigint';

export interface SqlParam {
  readonly type: SqlType;
  readonly value: string | number | null;
}

export interface Statement {
  /** the SQL text around the values: parts.length === params.length + 1 */
  readonly parts: readonly string[];
  readonly params: readonly SqlParam[];
  /**
   * Safe to run again when its first attempt failed with an unknown outcome (a timeout, a reset,
   * a lost connection after the batch was sent): a read, or a write made idempotent. Absent: the
   * driver never repeats it once it may have reached the server.
   */
  readonly repeatable?: true;
}

export const text = (value: string | null): SqlParam => ({ type: 'text', value });
export const int = (value: number | null): SqlParam => {
  if (value !== null && !Number.isSafeInteger(value)) throw new TypeError('int: not a safe integer');
  return { type: 'int', value };
};
export const bigint = (value: number | string | null): SqlParam => {
  if (value !== null && !/^-?\d{1,19}$/.test(String(value))) throw new TypeError('bigint: not an integer');
  return { type: 'bigint', value };
};

/** `sql\`select ... where id = ${bigint(id)}\`` — only SqlParam values are accepted. */
export function sql(strings: TemplateStringsArray, ...params: SqlParam[]): Statement {
  for (const p of params) {
    // a bare string or number can never become SQL text, even through a cast
    if (typeof p !== 'object' || p === null || !(p.type in placeholderTypes)) throw new TypeError('sql: every value must be text(), int() or bigint()');
  }
  return { parts: [...strings], params };
}
const placeholderTypes: Record<SqlType, true> = { text: true, int: true, bigint: true };

/** Joins the parts with a placeholder for each parameter. */
export function renderStatement(statement: Statement, placeholder: (index: number, param: SqlParam) => string): string {
  let out = statement.parts[0] ?? '';
  for (let i = 0; i < statement.params.length; i++) {
    out += placeholder(i, statement.params[i] as SqlParam) + (statement.parts[i + 1] ?? '');
  }
  return out;
}

/** Marks a statement safe to repeat after an unknown outcome (a read, or an idempotent write). */
export function repeatable(statement: Statement): Statement {
  return { ...statement, repeatable: true };
}
