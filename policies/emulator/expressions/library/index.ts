/**
 * The runtime's library: every type's member implementations (one table per type family), found
 * by the type as an expression names it (`string`, `System.String`, `Regex`), by a value's
 * runtime type, or by the member key the static checker resolved (TABLE.md).
 */
import { ARRAY, ENUMERABLE, LIST } from './linq.js';
import { BOOLEAN, CONVERT, DOUBLE, ENCODING, GUIDS, INT32, INT64, MATH, STRING_COMPARISON, STRING_SPLIT_OPTIONS, URI, WEBUTILITY } from './convert.js';
import { DATETIME, DATETIMEOFFSET, TIMESPAN } from './datetime.js';
import { FORMATTING, JARRAY, JOBJECT, JSONCONVERT, JTOKEN, JTOKEN_TYPE } from './json.js';
import { REGEX, REGEX_OPTIONS_TYPE } from './regex.js';
import { CHAR, STRING, STRING_EXTENSIONS } from './string.js';
import type { MemberImpl, TypeLibrary } from './types.js';

export type { Impl, MemberImpl, Runtime, TypeLibrary } from './types.js';
export { ARRAY, ENUMERABLE, LIST } from './linq.js';
export { STRING, STRING_EXTENSIONS, STRING_STATIC_EQUALS, hashCode } from './string.js';

export const LIBRARIES: readonly TypeLibrary[] = [
  STRING, STRING_EXTENSIONS, CHAR, ENUMERABLE, LIST, ARRAY, INT32, INT64, DOUBLE, BOOLEAN, CONVERT, MATH, GUIDS, ENCODING, URI, WEBUTILITY,
  STRING_COMPARISON, STRING_SPLIT_OPTIONS, DATETIME, DATETIMEOFFSET, TIMESPAN, JOBJECT, JARRAY, JTOKEN, JTOKEN_TYPE, JSONCONVERT, FORMATTING, REGEX, REGEX_OPTIONS_TYPE,
];

/** C# keyword aliases of the library's types. */
const ALIASES: Record<string, string> = {
  string: 'System.String',
  char: 'System.Char',
  int: 'System.Int32',
  long: 'System.Int64',
  double: 'System.Double',
  bool: 'System.Boolean',
};

/** A type as an expression may name it: alias, simple name, or full name (namespace included). */
const byTypeName = new Map<string, TypeLibrary[]>();
for (const lib of LIBRARIES) {
  const full = lib.type.replace(/<.*$/, '');
  for (const name of new Set([full, full.slice(full.lastIndexOf('.') + 1)])) {
    const list = byTypeName.get(name) ?? [];
    list.push(lib);
    byTypeName.set(name, list);
  }
}
for (const [alias, full] of Object.entries(ALIASES)) byTypeName.set(alias, byTypeName.get(full) ?? []);

/** The libraries of the static type an expression names (`string.Join`, `System.Text.Encoding.UTF8`), or undefined. */
export function staticLibraries(name: string): readonly TypeLibrary[] | undefined {
  return byTypeName.get(name);
}

/** The full name the library knows the type by. */
export function fullNameOf(name: string): string | undefined {
  return byTypeName.get(name)?.[0]?.type;
}

export function findMethod(libs: readonly TypeLibrary[], name: string): MemberImpl | undefined {
  for (const lib of libs) {
    const m = lib.methods !== undefined && Object.hasOwn(lib.methods, name) ? lib.methods[name] : undefined;
    if (m !== undefined) return m;
  }
  return undefined;
}

export function findProperty(libs: readonly TypeLibrary[], name: string): MemberImpl | undefined {
  for (const lib of libs) {
    const m = lib.properties !== undefined && Object.hasOwn(lib.properties, name) ? lib.properties[name] : undefined;
    if (m !== undefined) return m;
  }
  return undefined;
}

/** Every member key the emulator runs (`System.String::Split(char[])`, `System.String::Length`) → its implementation. */
export const MEMBERS: ReadonlyMap<string, MemberImpl> = (() => {
  const out = new Map<string, MemberImpl>();
  for (const lib of LIBRARIES) {
    for (const table of [lib.methods, lib.properties]) {
      for (const [name, member] of Object.entries(table ?? {})) for (const o of member.overloads) out.set(`${lib.type}::${name}${o}`, member);
    }
  }
  return out;
})();

/** Names of the members that change an object in place, for a call the checker has not resolved. */
export const IN_PLACE_NAMES: ReadonlySet<string> = new Set(
  LIBRARIES.flatMap((lib) => Object.entries(lib.methods ?? {}).filter(([, m]) => m.inPlace === true).map(([name]) => name)),
);

/** Whether a resolved member changes its receiver or an argument in place (unknown keys: when its name is one that does). */
export function changesInPlace(memberKey: string): boolean {
  const m = MEMBERS.get(memberKey);
  if (m !== undefined) return m.inPlace === true;
  const name = /::([^(]+)/.exec(memberKey)?.[1] ?? '';
  return IN_PLACE_NAMES.has(name);
}
