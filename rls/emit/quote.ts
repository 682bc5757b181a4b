/**
 * The only places a spec value enters SQL text. Identifiers are quoted, strings are literals
 * escaped here; nothing else in the emitters concatenates a spec value.
 */

function noNul(s: string): string {
  if (s.includes('\u0000')) throw new TypeError('a SQL identifier or literal must not contain NUL');
  return s;
}

/** PostgreSQL identifier: `"name"` with `"` doubled. */
export function pgIdent(name: string): string {
  return `"${noNul(name).replace(/"/g, '""')}"`;
}

/** PostgreSQL string literal: `'text'` with `'` doubled; `E'...'` with `\` doubled when a backslash occurs (like `format('%L')`). */
export function pgString(value: string): string {
  const body = noNul(value).replace(/'/g, "''");
  return value.includes('\\') ? `E'${body.replace(/\\/g, '\\\\')}'` : `'${body}'`;
}

/** Dollar-quotes a DO-block body with a tag that does not occur in it. */
export function pgDollarQuote(body: string): string {
  let tag = '$apim_rls$';
  for (let i = 0; body.includes(tag); i++) tag = `$apim_rls_${i}$`;
  return `${tag}${body}${tag}`;
}

/** T-SQL identifier: `[name]` with `]` doubled. */
export function msIdent(name: string): string {
  return `[${noNul(name).replace(/]/g, ']]')}]`;
}

/** T-SQL Unicode string literal: `N'text'` with `'` doubled. */
export function msString(value: string): string {
  return `N'${noNul(value).replace(/'/g, "''")}'`;
}

/** T-SQL GUID literal `'xxxxxxxx-...'` (validated: only hex digits and dashes). */
export function msGuid(value: string): string {
  if (!/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(value)) throw new TypeError('not a GUID');
  return `'${value}'`;
}
