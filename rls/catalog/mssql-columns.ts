/**
 * Azure SQL: the protected columns' types as the catalog holds them, compared with the types the
 * predicate functions declare (`msColumnType`: the spec's stated type, or the key's). `rls apply`
 * refuses a mismatch before it changes anything, because a predicate parameter narrower than its
 * column would cut the value on the way in (two tenants sharing a prefix would match), and one of
 * another type would convert it. sys.columns.max_length is in bytes (nvarchar: 2 per character,
 * -1 for max): https://learn.microsoft.com/sql/relational-databases/system-catalog-views/sys-columns-transact-sql
 */
import type { Executor } from '../db/types.js';
import { msColumnType } from '../emit/mssql.js';
import { RlsError, type RlsIssue } from '../errors.js';
import type { RlsSpec } from '../spec/schema.js';

export interface MssqlColumnRow {
  schema_name: string;
  table_name: string;
  column_name: string;
  /** TYPE_NAME(user_type_id); null when the column does not exist */
  type_name: string | null;
  max_length: number | null;
}

interface ProtectedColumn {
  path: string;
  schema: string;
  table: string;
  column: string;
  expected: string;
}

export function protectedColumns(spec: RlsSpec): ProtectedColumn[] {
  return spec.tables.flatMap((t, i) =>
    [['tenant', t.tenant] as const, ...(t.owner ? [['owner', t.owner] as const] : [])].map(([which, ref]) => ({
      path: `tables.${i}.${which}`,
      schema: t.schema,
      table: t.name,
      column: ref.column,
      expected: msColumnType(spec, ref),
    })),
  );
}

/** One query, every name a bound parameter. */
export function mssqlColumnsQuery(spec: RlsSpec): { sql: string; params: string[] } {
  const cols = protectedColumns(spec);
  const params: string[] = [];
  const values = cols.map(({ schema, table, column }) => {
    params.push(schema, table, column);
    return `(@p${params.length - 2}, @p${params.length - 1}, @p${params.length})`;
  });
  const sql = `SELECT v.[schema_name], v.[table_name], v.[column_name], TYPE_NAME(c.user_type_id) AS [type_name], c.max_length
  FROM (VALUES ${values.join(', ')}) AS v([schema_name], [table_name], [column_name])
  LEFT JOIN sys.columns AS c ON c.object_id = OBJECT_ID(QUOTENAME(v.[schema_name]) + N'.' + QUOTENAME(v.[table_name])) AND c.name = v.[column_name];`;
  return { sql, params };
}

function rendered(row: MssqlColumnRow | undefined): string | null {
  if (!row?.type_name) return null;
  const t = row.type_name.toLowerCase();
  if (t === 'nvarchar' || t === 'nchar') return `${t}(${row.max_length === -1 ? 'max' : (row.max_length ?? 0) / 2})`;
  if (t === 'varchar' || t === 'char') return `${t}(${row.max_length === -1 ? 'max' : row.max_length})`;
  return t;
}

/** The mismatches between the catalog and the predicate parameters (empty: all as declared). */
export function columnTypeIssues(spec: RlsSpec, rows: readonly MssqlColumnRow[]): RlsIssue[] {
  const issues: RlsIssue[] = [];
  for (const c of protectedColumns(spec)) {
    const row = rows.find((r) => r.schema_name === c.schema && r.table_name === c.table && r.column_name === c.column);
    const actual = rendered(row);
    if (actual === null) issues.push({ path: c.path, reason: `column ${c.schema}.${c.table}.${c.column} does not exist in the database` });
    else if (actual !== c.expected) {
      issues.push({ path: c.path, reason: `column ${c.schema}.${c.table}.${c.column} is ${actual} in the database, but the predicate parameter would be ${c.expected}: state the column's type in the spec (and give its session key the same type and length)` });
    }
  }
  return issues;
}

/** Reads the catalog and throws RLS_SPEC_INVALID on any mismatch. */
export async function checkMssqlColumnTypes(db: Executor, spec: RlsSpec): Promise<void> {
  const { sql, params } = mssqlColumnsQuery(spec);
  const { rows } = await db.query<MssqlColumnRow>(sql, params);
  const issues = columnTypeIssues(spec, rows);
  if (issues.length > 0) {
    throw new RlsError('RLS_SPEC_INVALID', `the protected columns do not match the spec; nothing was applied:\n${issues.map((i) => `  ${i.path}: ${i.reason}`).join('\n')}`, issues);
  }
}
