// Renders docs/csharp-types.md from the type table (policies/csharp/library), so the reference is
// never written twice. `npm run docs:csharp-types` writes it; `--check` exits 1 when it is stale
// (test/scripts/csharp-types-docs.test.ts runs the same check).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ALLOW_LIST_URL, CONTEXT_URL, TYPES } from '../../policies/csharp/library/index.js';
import type { MethodSig, ParamSig, TypeSig } from '../../policies/csharp/library/types.js';

export const DOC = fileURLToPath(new URL('../../docs/csharp-types.md', import.meta.url));

const param = (p: ParamSig): string =>
  `${p.modifier !== undefined ? `${p.modifier} ` : ''}${p.type} ${p.name}${p.default !== undefined ? ` = ${p.default}` : ''}`;

function method(m: MethodSig): string {
  const tp = m.typeParams !== undefined ? `<${m.typeParams.join(', ')}>` : '';
  return `${m.static ? 'static ' : ''}${m.returns} ${m.name}${tp}(${m.params.map(param).join(', ')})`;
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces as hyphens. */
function anchor(heading: string): string {
  return heading.toLowerCase().replace(/[^a-z0-9 _-]/g, '').replace(/ /g, '-');
}

function heading(t: TypeSig): string {
  return `${t.fullName}${t.alias !== undefined ? ` (\`${t.alias}\`)` : ''}`;
}

function memberLines(t: TypeSig, allowed: (name: string) => boolean): string[] {
  const lines: string[] = [];
  const ctorName = t.fullName.replace(/<.*$/, '').split('.').pop()!;
  if (allowed('.ctor')) for (const c of t.constructors) lines.push(`new ${ctorName}(${c.map(param).join(', ')})`);
  for (const f of t.fields) if (allowed(f.name)) lines.push(`${f.static ? 'static ' : ''}${f.readonly ? 'readonly ' : ''}${f.type} ${f.name}`);
  for (const p of t.properties) {
    if (!allowed(p.name)) continue;
    const name = p.name === 'this' ? `this[${(p.indexParams ?? []).map(param).join(', ')}]` : p.name;
    lines.push(`${p.static ? 'static ' : ''}${p.type} ${name} { get;${p.settable ? ' set;' : ''} }`);
  }
  for (const m of t.methods) if (allowed(m.name)) lines.push(method(m));
  return lines;
}

function section(t: TypeSig): string[] {
  const out: string[] = [];
  const members = t.apim.members;
  const none = members !== undefined && members.length === 0;
  const title = heading(t);
  out.push(`### ${title}`, '');
  const facts = [`${t.kind}`];
  if (t.base !== undefined && t.base !== 'object') facts.push(`base \`${t.base}\``);
  if (t.interfaces !== undefined && t.interfaces.length > 0) facts.push(`implements ${t.interfaces.map((i) => `\`${i}\``).join(', ')}`);
  out.push(`${facts.join(' · ')} · [signatures](${t.source})`, '');
  if (t.enumMembers !== undefined) {
    const shown = t.enumMembers.filter((e) => members === undefined || members.includes(e));
    if (t.enumMembers.length === 0) {
      out.push('Values: not documented on the page (none is allowed).', '');
      return out;
    }
    out.push(none ? 'APIM: named in signatures only; none of its values is allowed.' : `Values: ${shown.map((e) => `\`${e}\``).join(', ')}${shown.length < t.enumMembers.length ? ` (of ${t.enumMembers.length}; the others are not allowed)` : ''}`, '');
    return out;
  }
  if (none) {
    out.push('APIM: named in signatures only; none of its members is allowed.', '');
    return out;
  }
  if (members !== undefined) {
    const all = new Set<string>();
    if (t.constructors.length > 0) all.add('.ctor');
    for (const x of [...t.fields, ...t.properties, ...t.methods]) all.add(x.name);
    const left = [...all].filter((n) => !members.includes(n));
    out.push(`APIM allows only: ${members.map((m) => `\`${m === '.ctor' ? '(constructor)' : m === 'this' ? 'this[…]' : m}\``).join(', ')}.${left.length > 0 ? ` Not allowed: ${left.map((m) => `\`${m === '.ctor' ? '(constructor)' : m === 'this' ? 'this[…]' : m}\``).join(', ')}.` : ''}`, '');
  }
  const lines = memberLines(t, (n) => members === undefined || members.includes(n));
  if (lines.length > 0) out.push('```csharp', ...lines, '```', '');
  return out;
}

/** The number of type arguments of a generic name whose '<' is at `i` (0 when none). */
function arityAt(text: string, i: number): number {
  if (text[i] !== '<') return 0;
  let depth = 0;
  let arity = 1;
  for (let k = i; k < text.length; k++) {
    if (text[k] === '<') depth++;
    else if (text[k] === '>' && --depth === 0) break;
    else if (text[k] === ',' && depth === 1) arity++;
  }
  return arity;
}

/** Simple names used in the signatures of allowed members that no type in the table has. */
export function outsideNames(types: readonly TypeSig[]): string[] {
  // known names with their arity: 'List`1', 'String`0'
  const known = new Set<string>(['void`0', 'MulticastDelegate`0']);
  for (const t of types) {
    for (const [, name, args] of t.fullName.matchAll(/([A-Za-z_][A-Za-z0-9_]*)(<[^<>]*>)?/g)) {
      known.add(`${name!}\`${args === undefined ? 0 : args.split(',').length}`);
    }
    if (t.alias !== undefined) known.add(`${t.alias}\`0`);
  }
  const out = new Set<string>();
  for (const t of types) {
    if (t.apim.members !== undefined && t.apim.members.length === 0) continue;
    const texts: [string, readonly string[]][] = [];
    const scope = t.typeParams ?? [];
    for (const c of t.constructors) for (const p of c) texts.push([p.type, scope]);
    for (const m of t.methods) {
      const s = [...scope, ...(m.typeParams ?? [])];
      texts.push([m.returns, s]);
      for (const p of m.params) texts.push([p.type, s]);
    }
    for (const p of t.properties) {
      texts.push([p.type, scope]);
      for (const q of p.indexParams ?? []) texts.push([q.type, scope]);
    }
    for (const f of t.fields) texts.push([f.type, scope]);
    for (const [text, s] of texts) {
      for (const m of text.matchAll(/[A-Za-z_][A-Za-z0-9_]*/g)) {
        const id = m[0];
        if (s.includes(id) || known.has(`${id}\`${arityAt(text, m.index + id.length)}`)) continue;
        out.add(id);
      }
    }
  }
  return [...out].sort();
}

/** The whole document. */
export function renderDocs(types: readonly TypeSig[]): string {
  const framework = types.filter((t) => t.source !== CONTEXT_URL);
  const context = types.filter((t) => t.source === CONTEXT_URL);
  const listed = framework.filter((t) => t.apim.members === undefined || t.apim.members.length > 0);
  const support = framework.filter((t) => t.apim.members !== undefined && t.apim.members.length === 0);
  const sourceOf = (prefix: string): string => {
    const t = framework.find((x) => x.source.startsWith(prefix));
    return t === undefined ? '' : t.source.replace(/^(https:\/\/github\.com\/[^/]+\/[^/]+\/blob\/[0-9a-f]+)\/.*$/, '$1');
  };
  const out: string[] = [
    '# APIM policy expressions: the C# type table',
    '',
    '<!-- GENERATED by scripts/csharp-types/docs.ts from policies/csharp/library (npm run docs:csharp-types). Do not edit. -->',
    '',
    'APIM compiles policy expressions as C# 7 over an allow-list of .NET Framework types and members',
    `([the policy-expressions page](${ALLOW_LIST_URL})). The checker (\`policies/csharp/check/\`) types every expression`,
    'against this table before the emulator runs it, so a member that APIM would refuse when the policy is saved',
    'is refused here too, naming the type and member; a wrong overload names the overloads that exist.',
    '',
    'Where the table comes from:',
    '',
    `- **Signatures**: generated (\`scripts/csharp-types/generate.ts\`) from the [.NET Framework 4.8 reference source](${sourceOf('https://github.com/microsoft/referencesource')})`,
    `  and from [Newtonsoft.Json's source](${sourceOf('https://github.com/JamesNK/Newtonsoft.Json')}); each type links to the file it was read from.`,
    '  Every public constructor, field, property, indexer (`this[…]`), method and operator (as `op_…` methods, the names',
    '  .NET gives them) with every overload, `params`/`out`/`ref`/`this` parameters and optional-parameter defaults.',
    '  Members taking pointers (unsafe code, which APIM cannot compile) are left out. Newtonsoft.Json\'s C# 8 nullable',
    '  annotations (`JToken?`) are dropped: APIM compiles C# 7, where `?` exists on value types only.',
    '  `Enumerable.Append`/`Prepend` (.NET Framework 4.7.1+) are added by hand: the reference source predates them.',
    '  Newtonsoft.Json is read as its `net45` build (the symbols of that target in its project file). APIM does not',
    '  document which Newtonsoft.Json version its gateway loads; the table is read at release 13.0.4, so a member',
    '  newer than APIM\'s copy is accepted here and refused there — a known gap.',
    `- **What APIM allows**: [the page's allow-list](${ALLOW_LIST_URL}) (version of 01/15/2026), row by row`,
    '  (`policies/csharp/library/allow-list.ts`). A row that lists members allows only those.',
    `- **\`context\`**: [the page's "Context variable" section](${CONTEXT_URL}) (\`policies/csharp/library/context.ts\`).`,
    '',
    'How the page is read where it is silent or ambiguous (the stricter reading, except where Microsoft\'s own',
    'policy snippets show APIM accepting more):',
    '',
    '- Types the page does not list but that appear in allowed signatures (delegates such as `Func<T, TResult>`,',
    '  `IGrouping<TKey, TElement>`, `DayOfWeek`, `NumberStyles`, …) are in the table so that signatures resolve,',
    '  with **no members allowed** (section "Named in signatures only").',
    '- `System.Object`: `ToString`, `Equals`, `GetHashCode` are allowed — the page\'s own `(1+1).ToString()` binds to',
    '  `Object.ToString` (C# member lookup skips overrides); `GetType` is not (`System.Type` is not listed).',
    '- A type whose `ToString`, `Equals` or `GetHashCode` is only the override of `Object`\'s (`ToString()`,',
    '  `Equals(object)`, `GetHashCode()`) allows that name too, whatever its row lists: C# binds such a call to',
    '  `System.Object`\'s member. A type with an overload of its own (`DateTime.Equals(DateTime)`) keeps the row\'s list.',
    '- The row `System.Nullable` covers the static class and `Nullable<T>` (`HasValue`, `Value`, …): the page types',
    '  context members as `int?`/`DateTime?`. The row `System.Tuple` is the static class only, not `Tuple<T1, …>`.',
    '- Nested types of an allowed type (`Dictionary<TKey, TValue>.KeyCollection`, `List<T>.Enumerator`) share its',
    '  allowance: they are the types of its allowed members.',
    '- "All except parameterless `Create()`" (`SymmetricAlgorithm`): that one overload is removed from the table.',
    '- Operators (`op_Subtraction`, `op_LessThan`, … — what C# compiles `-` and `<` to) follow their type: the page\'s',
    '  member lists never name an operator, and a listed type\'s operators do what its listed members do (DateTime\'s',
    '  `-`/`+` are `Subtract`/`Add`, its `<`/`==` compare `Ticks`), so `DateTime - DateTime` and `a < b` are allowed.',
    '- `GetValueOrDefault` on headers, query and claims takes an optional `defaultValue`, and `context.Variables` has',
    '  a non-generic `GetValueOrDefault(name)` returning `object`, and `MatchedParameters` has',
    '  `GetValueOrDefault(name, defaultValue)`: the page lists two-argument forms on headers, query, claims and',
    '  variables only, but [Microsoft\'s policy snippets](https://github.com/Azure/api-management-policy-snippets) call these.',
    '- `IMessageBody.As<T>` accepts only the page\'s list of `T`: `string`, `byte[]`, `JObject`, `JToken`, `JArray`,',
    '  `XNode`, `XElement`, `XDocument`.',
    '- The names `IContext`, `IRequest`, `IResponse`, `IDeployment`, … and `PolicyExpressionExtensions`',
    '  are ours: the page names only some of the interfaces, and C# code never writes these names.',
    '',
    'Not in the table at all (so an expression naming them is refused): every type the page does not list and no',
    'allowed signature names — `System.IO.File`, `System.Environment`, `System.Type`, `System.Net.Http.HttpClient`,',
    '`System.Diagnostics.Process`, `System.Threading.Thread`, reflection, … — and the types that allowed signatures',
    'name but the page does not list ([the last section](#named-in-signatures-outside-the-table)).',
    '',
    'Regenerating: fetch the two snapshots (`github:microsoft/referencesource`, `github:JamesNK/Newtonsoft.Json`), then',
    '`npx tsx scripts/csharp-types/generate.ts --referencesource <git dir> --newtonsoft <git dir>` (writes',
    '`policies/csharp/library/generated/framework.ts`; `--check` only compares) and `npm run docs:csharp-types`.',
    'The tests fail when this document is stale, and, where the snapshots are present, when the generated table is.',
    '',
    '## Contents',
    '',
    `- [\`context\`](#context) (${context.length} types)`,
    `- [Allowed .NET Framework and Newtonsoft.Json types](#allowed-types) (${listed.length} types)`,
    `- [Named in signatures only](#named-in-signatures-only) (${support.length} types)`,
    '- [Named in signatures, outside the table](#named-in-signatures-outside-the-table)',
    '',
    '## `context`',
    '',
    'The implicitly provided `context` variable is an `IContext`. All members are read-only.',
    '',
  ];
  for (const t of context) out.push(...section(t));
  out.push('## Allowed types', '');
  out.push(listed.map((t) => `[${t.fullName}](#${anchor(heading(t))})`).join(' · '), '');
  for (const t of listed) out.push(...section(t));
  out.push('## Named in signatures only', '');
  out.push('These types appear in the signatures of allowed members, but the page does not list them: a value of one',
    'can be passed on or compared with `null`, and none of its own members can be called.', '');
  out.push(...support.map((t) => `- ${t.fullName}${t.enumMembers !== undefined ? ' (enum)' : ''} — [signatures](${t.source})`), '');
  out.push('## Named in signatures, outside the table', '');
  out.push('Allowed members name these types in their signatures, but APIM\'s page lists none of them, so they are not',
    'in the table: an overload taking one cannot be called (no value of it can be made except `null`), and one',
    'returning one gives a value whose members are refused.', '');
  out.push(outsideNames(types).map((n) => `\`${n}\``).join(', '), '');
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}

function main(argv: readonly string[]): number {
  const text = renderDocs(TYPES);
  if (argv.includes('--check')) {
    if (readFileSync(DOC, 'utf8') !== text) {
      console.error(`${DOC} is not current: run npm run docs:csharp-types`);
      return 1;
    }
    return 0;
  }
  writeFileSync(DOC, text);
  console.log(`wrote ${DOC}`);
  return 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));
