// Generates policies/csharp/library/generated/framework.ts: the public signatures of the .NET
// Framework 4.8 types APIM allows in policy expressions, read from the .NET Framework reference
// source (github.com/microsoft/referencesource) and from Newtonsoft.Json's source
// (github.com/JamesNK/Newtonsoft.Json). The sources are not part of this repository: pass the git
// directories of the two snapshots (e.g. those `fetch` brings to /work/.mirror/…).
//
//   npx tsx scripts/csharp-types/generate.ts --referencesource <git dir> --newtonsoft <git dir> [--check]
//
// The reference source is read at its HEAD (.NET Framework 4.8), Newtonsoft.Json at NEWTONSOFT_REF.
//
// --check compares instead of writing (exit 1 when the checked-in file differs).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ParamSig } from '../../policies/csharp/library/types.js';
import { DESKTOP_SYMBOLS, csprojSymbols, extractTypes, preprocess, type ExtractedType } from './extract.js';
import { SOURCES, SUPPLEMENTS, type SourceFile } from './sources.js';

export const OUT = fileURLToPath(new URL('../../policies/csharp/library/generated/framework.ts', import.meta.url));

export interface Repo {
  gitDir: string;
  commit: string;
  url: string;
}

function git(gitDir: string, ...args: string[]): string {
  return execFileSync('git', ['--git-dir', gitDir, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

/** A snapshot at `ref` (a commit, tag or HEAD). */
export function openRepo(gitDir: string, url: string, ref = 'HEAD'): Repo {
  return { gitDir, commit: git(gitDir, 'rev-parse', `${ref}^{commit}`).trim(), url };
}

/** Newtonsoft.Json is read at its latest release tag, not its main branch (a prerelease). */
export const NEWTONSOFT_REF = '13.0.4';

function readSource(repo: Repo, path: string): string {
  return git(repo.gitDir, 'show', `${repo.commit}:${path}`);
}

/** Extracts the wanted types of every source file, in SOURCES order. */
export function generate(repos: Record<SourceFile['repo'], Repo>): ExtractedType[] {
  const out: ExtractedType[] = [];
  const seen = new Map<string, ExtractedType>();
  // Newtonsoft.Json: the symbols of its net45 build, read from its project file (APIM runs on .NET
  // Framework, which loads the net45 assembly)
  const symbols = {
    referencesource: DESKTOP_SYMBOLS,
    newtonsoft: csprojSymbols(readSource(repos.newtonsoft, 'Src/Newtonsoft.Json/Newtonsoft.Json.csproj'), 'net45'),
  };
  for (const file of SOURCES) {
    const repo = repos[file.repo];
    const text = preprocess(readSource(repo, file.path), symbols[file.repo]);
    const wanted = new Set(file.types);
    const types = extractTypes(text, {
      source: `${repo.url}/blob/${repo.commit}/${file.path}`,
      want: (name) => wanted.has(name),
    });
    for (const name of file.types) {
      const t = types.find((x) => x.fullName === name);
      if (t === undefined) {
        throw new Error(`${file.path}: type ${name} not found (found: ${types.map((x) => x.fullName).join(', ')})`);
      }
      const earlier = seen.get(name);
      if (earlier !== undefined) {
        // partial class: merge the members in file order
        earlier.constructors.push(...t.constructors);
        earlier.methods.push(...t.methods);
        earlier.properties.push(...t.properties);
        earlier.fields.push(...t.fields);
        if (t.interfaces !== undefined) earlier.interfaces = [...new Set([...(earlier.interfaces ?? []), ...t.interfaces])];
        continue;
      }
      seen.set(name, t);
      out.push(t);
    }
  }
  for (const s of SUPPLEMENTS) {
    const t = seen.get(s.type);
    if (t === undefined) throw new Error(`supplement for ${s.type}: type not generated`);
    if (t.methods.some((m) => m.name === s.method.name)) throw new Error(`supplement ${s.type}.${s.method.name}: already in the source`);
    t.methods.push(s.method);
  }
  const valueTypes = new Set(VALUE_KEYWORDS);
  for (const t of out) {
    if (t.kind === 'struct' || t.kind === 'enum') valueTypes.add(simpleName(t.fullName));
  }
  const fromNewtonsoft = new Set(SOURCES.filter((f) => f.repo === 'newtonsoft').flatMap((f) => f.types));
  return out.map((t) => (fromNewtonsoft.has(t.fullName) ? mapTypeTexts(t, (x) => stripNullableReferences(x, (n) => valueTypes.has(n))) : t));
}

function simpleName(fullName: string): string {
  const noArgs = fullName.replace(/<.*$/, '');
  return noArgs.slice(noArgs.lastIndexOf('.') + 1);
}

const VALUE_KEYWORDS = ['bool', 'byte', 'sbyte', 'char', 'short', 'ushort', 'int', 'uint', 'long', 'ulong', 'float', 'double', 'decimal'];

/** Newtonsoft.Json's source is annotated for C# 8 nullable reference types (`JToken?`); the
 *  assembly APIM compiles against is plain C# 7, where `?` exists only on value types. */
export function stripNullableReferences(text: string, isValueType: (simpleName: string) => boolean): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== '?') {
      out += c;
      continue;
    }
    // the type the '?' follows: an identifier, or a generic type closed by '>'
    let j = out.length - 1;
    if (out[j] === ']') continue; // array: a reference type
    if (out[j] === '>') {
      let depth = 0;
      for (; j >= 0; j--) {
        if (out[j] === '>') depth++;
        else if (out[j] === '<' && --depth === 0) break;
      }
      j--;
    }
    let k = j;
    while (k >= 0 && /[A-Za-z0-9_]/.test(out[k]!)) k--;
    const name = out.slice(k + 1, j + 1);
    if (isValueType(name)) out += c;
  }
  return out;
}

function mapTypeTexts(t: ExtractedType, f: (s: string) => string): ExtractedType {
  const params = (ps: ParamSig[]): ParamSig[] => ps.map((p) => ({ ...p, type: f(p.type) }));
  const r: ExtractedType = {
    ...t,
    constructors: t.constructors.map(params),
    methods: t.methods.map((m) => ({ ...m, params: params(m.params), returns: f(m.returns) })),
    properties: t.properties.map((p) => (p.indexParams === undefined ? { ...p, type: f(p.type) } : { ...p, type: f(p.type), indexParams: params(p.indexParams) })),
    fields: t.fields.map((x) => ({ ...x, type: f(x.type) })),
  };
  if (t.base !== undefined) r.base = f(t.base);
  if (t.interfaces !== undefined) r.interfaces = t.interfaces.map(f);
  return r;
}

/** The generated module's text. */
export function render(types: readonly ExtractedType[]): string {
  const lines = [
    '// GENERATED by scripts/csharp-types/generate.ts from the .NET Framework reference source and',
    "// Newtonsoft.Json's source (each type's `source` is the file it was read from). Do not edit.",
    "import type { ExtractedType } from '../extracted.js';",
    '',
    'export const FRAMEWORK_TYPES: readonly ExtractedType[] = [',
  ];
  for (const t of types) lines.push(`  ${JSON.stringify(t)},`);
  lines.push('];', '');
  return lines.join('\n');
}

function main(argv: readonly string[]): number {
  const arg = (name: string, fallback: string): string => {
    const i = argv.indexOf(name);
    return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : fallback;
  };
  const repos = {
    referencesource: openRepo(arg('--referencesource', '/work/.mirror/microsoft+referencesource/repo'), 'https://github.com/microsoft/referencesource'),
    newtonsoft: openRepo(arg('--newtonsoft', '/work/.mirror/JamesNK+Newtonsoft.Json/repo'), 'https://github.com/JamesNK/Newtonsoft.Json', NEWTONSOFT_REF),
  };
  const text = render(generate(repos));
  if (argv.includes('--check')) {
    const current = readFileSync(OUT, 'utf8');
    if (current !== text) {
      console.error(`${OUT} is not current: run npx tsx scripts/csharp-types/generate.ts`);
      return 1;
    }
    return 0;
  }
  writeFileSync(OUT, text);
  console.log(`wrote ${OUT}`);
  return 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));
