// Joins the generated signatures (generated/framework.ts) and the `context` surface (context.ts)
// with APIM's allow-list (allow-list.ts) into the one table of types, and finds a type by name.
import { ALLOW_LIST, ALLOW_LIST_URL, ALL, type Allowed } from './allow-list.js';
import { CONTEXT_TYPES } from './context.js';
import type { ExtractedType } from './extracted.js';
import { FRAMEWORK_TYPES } from './generated/framework.js';
import { SUPPORT_TYPES } from './support.js';
import type { MethodSig, TypeSig } from './types.js';

/** Every member name of a type ('.ctor' for its constructors). */
export function memberNames(t: ExtractedType): string[] {
  const names = new Set<string>();
  if (t.constructors.length > 0) names.add('.ctor');
  for (const m of t.methods) names.add(m.name);
  for (const p of t.properties) names.add(p.name);
  for (const f of t.fields) names.add(f.name);
  for (const e of t.enumMembers ?? []) names.add(e);
  return [...names];
}

function allowed(t: ExtractedType, a: Allowed): TypeSig['apim'] {
  if (a === ALL) return { source: ALLOW_LIST_URL };
  if ('except' in a) {
    if (a.except.length === 0) return { source: ALLOW_LIST_URL };
    const except = new Set(a.except);
    return { source: ALLOW_LIST_URL, members: memberNames(t).filter((n) => !except.has(n)) };
  }
  // The page names an indexer by its metadata name, Item; the table writes it as 'this'.
  // Operators: the page's member lists name methods, properties and fields, never an operator,
  // and its silence is read as "the operators of a listed type follow the type": what they do
  // is what listed members do (DateTime's `-`/`+` are Subtract/Add, its `<`/`==` compare Ticks),
  // so allowing them allows nothing the row does not.
  const listed = (a as readonly string[]).map((n) => (n === 'Item' ? 'this' : n));
  const operators = [...new Set(t.methods.filter((m) => m.name.startsWith('op_')).map((m) => m.name))];
  return { source: ALLOW_LIST_URL, members: [...new Set([...listed, ...operators, ...objectOverrides(t)])] };
}

/** System.Object's allowed virtuals with their signatures (support.ts allows them on object). */
const OBJECT_VIRTUALS: Readonly<Record<string, string>> = { ToString: 'ToString()', Equals: 'Equals(object)', GetHashCode: 'GetHashCode()' };

/** Names of a type whose every overload is an override of an allowed System.Object virtual
 *  (Enum.Equals(object), DateTime.GetHashCode()). C# member lookup drops override declarations,
 *  so a call of one binds to System.Object's member, which is allowed: the name is allowed here too
 *  (a type that adds its own overload, such as DateTime.Equals(DateTime), keeps the page's list). */
function objectOverrides(t: ExtractedType): string[] {
  return Object.entries(OBJECT_VIRTUALS)
    .filter(([name, text]) => {
      const overloads = t.methods.filter((m) => m.name === name);
      return overloads.length > 0 && overloads.every((m) => !m.static && overloadText(m) === text);
    })
    .map(([name]) => name);
}

/** 'Create()', 'Split(char[], int)': a method's name and parameter types. */
export function overloadText(m: MethodSig): string {
  return `${m.name}(${m.params.map((p) => p.type).join(', ')})`;
}

/** The type without the single overloads the page excludes ("All except parameterless Create()"). */
function withoutOverloads(t: ExtractedType, a: Allowed): ExtractedType {
  if (a === ALL || !('except' in a) || a.exceptOverloads === undefined) return t;
  const drop = new Set(a.exceptOverloads);
  const methods = t.methods.filter((m) => !drop.has(overloadText(m)));
  if (methods.length !== t.methods.length - drop.size) {
    throw new Error(`${t.fullName}: the overloads ${[...drop].join(', ')} are not all in the generated signatures`);
  }
  return { ...t, methods };
}

function build(): TypeSig[] {
  const listed = new Map(ALLOW_LIST.map(([name, a]) => [name, a]));
  const out: TypeSig[] = [];
  for (const t of FRAMEWORK_TYPES) {
    const a = listed.get(t.fullName);
    const support = SUPPORT_TYPES.get(t.fullName);
    const outer = out.find((o) => t.fullName.startsWith(`${o.fullName}.`));
    if (a !== undefined) out.push({ ...withoutOverloads(t, a), apim: allowed(t, a) });
    else if (support !== undefined) {
      const members = support.members === undefined ? undefined : [...new Set([...support.members, ...objectOverrides(t)])];
      out.push({ ...t, apim: members === undefined ? support : { ...support, members } });
    }
    else if (outer !== undefined && outer.apim.members === undefined) out.push({ ...t, apim: { source: ALLOW_LIST_URL } });
    else throw new Error(`${t.fullName} is generated but neither on APIM's allow-list nor a support type`);
  }
  out.push(...CONTEXT_TYPES);
  return out;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** The table, built once at start-up and deep-frozen: every consumer shares it, none can change it. */
export const TYPES: readonly TypeSig[] = deepFreeze(build());

/** 'List<T>' → ['List', 1]; 'String' → ['String', 0]. */
function nameAndArity(name: string): [string, number] {
  const lt = name.indexOf('<');
  if (lt < 0) return [name, 0];
  let depth = 0;
  let arity = 1;
  for (let i = lt; i < name.length; i++) {
    const c = name[i];
    if (c === '<') depth++;
    else if (c === '>') depth--;
    else if (c === ',' && depth === 1) arity++;
  }
  return [name.slice(0, lt), arity];
}

/** The suffixes a type is found by: 'System.TimeZoneInfo.AdjustmentRule' → also
 *  'TimeZoneInfo.AdjustmentRule', 'AdjustmentRule' (generic arguments stripped, arity kept). */
function keysOf(fullName: string): string[] {
  // split at dots outside <>
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of fullName) {
    if (c === '<') depth++;
    else if (c === '>') depth--;
    if (c === '.' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += c;
  }
  parts.push(cur);
  const keys: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const suffix = parts.slice(i).map((p) => {
      const [n, a] = nameAndArity(p);
      return a === 0 ? n : `${n}\`${a}`;
    });
    keys.push(suffix.join('.'));
  }
  return keys;
}

function normalise(name: string): string {
  return name
    .replace(/^global::/, '')
    .split(/\.(?![^<]*>)/)
    .map((p) => {
      const [n, a] = nameAndArity(p.trim());
      return a === 0 ? n : `${n}\`${a}`;
    })
    .join('.');
}

const INDEX: ReadonlyMap<string, TypeSig> = (() => {
  const byKey = new Map<string, TypeSig>();
  // full names first, so they win over a shorter suffix of another type
  for (const t of TYPES) byKey.set(normalise(t.fullName), t);
  for (const t of TYPES) if (t.alias !== undefined) byKey.set(t.alias, t);
  for (const t of TYPES) for (const k of keysOf(t.fullName)) if (!byKey.has(k)) byKey.set(k, t);
  return byKey;
})();

/** A type by full name ('System.String', 'System.Collections.Generic.List<T>'), by its last
 *  segment(s) ('String', 'List<string>', 'TimeZoneInfo.AdjustmentRule') or by its C# alias
 *  ('string'). Generic arguments count by arity only: 'List<int>' finds List<T>; 'Nullable'
 *  finds the static class System.Nullable, 'Nullable<int>' the struct. */
export function findType(name: string): TypeSig | undefined {
  return INDEX.get(normalise(name));
}
