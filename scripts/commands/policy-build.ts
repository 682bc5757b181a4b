/**
 * `apim-rls policy build [--out DIR] [--raw]`: writes this product's policy modules
 * (policies/product) as XML files, one per policy (`<out>/<name>.xml`), and prints what it wrote.
 * Well-formed XML by default (what publishing with `format: xml` sends); `--raw` writes APIM's
 * raw export form. `--named-values FILE` (a JSON list of names, or an object keyed by name) checks
 * that every `{{named value}}` the policies reference exists: a missing one is a finding (exit 1)
 * and nothing is written. `--layout apiops` writes into an estate folder in Azure/apiops's layout
 * instead (`policy.xml`, `apis/<id>/policy.xml`, …; raw form, as APIOps extracts), next to a
 * team's hand-written policies, for `apim-rls publish DIR` (docs/estate-publish.md).
 */
import type { Command } from 'commander';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CliError, ExitCode } from '../exit-codes.js';
import type { CommandIo } from '../io.js';
import { productPolicies, type PolicyScope } from '../../policies/product/index.js';
import { emitPolicy } from '../../policies/model/text.js';
import { listNamedValues } from '../../policies/model/values.js';
import { LAYOUT } from '../publish/estate/layout.js';
import { idProblem } from '../publish/estate/resource.js';

export interface BuiltPolicy {
  name: string;
  scope: PolicyScope;
  path: string;
  /** `{{named values}}` the policy references (they must exist in the APIM instance). */
  namedValues: string[];
}

export interface BuildPoliciesOptions {
  outDir: string;
  form: 'xml' | 'raw';
  /** `flat` (default): `<out>/<name>.xml`; `apiops`: the estate folder layout (scripts/publish/estate/layout.ts). */
  layout?: 'flat' | 'apiops';
  /** apiops layout: the resource id of a policy by name (`orders-api` → `orders`; an operation `api/operation`). */
  ids?: Record<string, string>;
}

/**
 * Where a product policy goes in the APIOps layout. The id is `ids[name]`, else the name (an
 * api-scope name loses a trailing `-api`: `orders-api` → `orders`).
 */
export function apiopsPath(p: { name: string; scope: PolicyScope; document: { kind: string } }, ids: Record<string, string> = {}): string {
  const id = ids[p.name] ?? (p.scope === 'api' ? p.name.replace(/-api$/, '') : p.name);
  const check = (label: string, v: string, kind: 'api' | 'operation' | 'product' | 'fragment'): string => {
    const problem = idProblem(label, v, kind);
    if (problem) throw new CliError(`policy ${p.name}: ${problem}`, ExitCode.BadInput);
    return v;
  };
  if (p.document.kind === 'fragment') return [LAYOUT.fragments, check('fragment', id, 'fragment'), LAYOUT.policyFile].join('/');
  switch (p.scope) {
    case 'global':
      return LAYOUT.policyFile;
    case 'product':
      return [LAYOUT.products, check('product', id, 'product'), LAYOUT.policyFile].join('/');
    case 'api':
      return [LAYOUT.apis, check('api', id, 'api'), LAYOUT.policyFile].join('/');
    case 'operation': {
      const [api, op, ...rest] = id.split('/');
      if (api === undefined || op === undefined || rest.length > 0) throw new CliError(`policy ${p.name}: an operation policy needs --id ${p.name}=API/OPERATION`, ExitCode.BadInput);
      return [LAYOUT.apis, check('api', api, 'api'), LAYOUT.operations, check('operation', op, 'operation'), LAYOUT.policyFile].join('/');
    }
    default:
      throw new CliError(`policy ${p.name}: the ${p.scope} scope has no place in the APIOps layout (use --workspace with publish)`, ExitCode.BadInput);
  }
}

/** Writes every product policy; returns what was written. Exported for tests. */
export function buildPolicies(options: BuildPoliciesOptions): BuiltPolicy[] {
  const outDir = resolve(options.outDir);
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (err) {
    throw new CliError(`cannot create ${outDir}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, ExitCode.RuntimeFailure);
  }
  const built: BuiltPolicy[] = [];
  const apiops = options.layout === 'apiops';
  // every path first: a bad id writes nothing
  const planned = productPolicies().map((p) => ({ p, path: join(outDir, apiops ? apiopsPath(p, options.ids) : `${p.name}.xml`) }));
  for (const { p, path } of planned) {
    // APIOps keeps policies in the raw form APIM exports
    const text = emitPolicy(p.document, { form: apiops ? 'raw' : options.form });
    try {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text.endsWith('\n') ? text : `${text}\n`);
    } catch (err) {
      throw new CliError(`cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, ExitCode.RuntimeFailure);
    }
    built.push({ name: p.name, scope: p.scope, path, namedValues: listNamedValues(p.document).sort() });
  }
  return built;
}

/** Reads a named-values file: a JSON array of names, or an object whose keys are the names. Exported for tests. */
export function readNamedValueNames(file: string): Set<string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, ExitCode.BadInput);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new CliError(`${file} is not JSON: ${(err as Error).message}`, ExitCode.BadInput);
  }
  const names = Array.isArray(data) ? data : typeof data === 'object' && data !== null ? Object.keys(data) : null;
  if (names === null || !names.every((n) => typeof n === 'string')) {
    throw new CliError(`${file} must hold a JSON list of named-value names or an object keyed by name`, ExitCode.BadInput);
  }
  return new Set(names as string[]);
}

/** `{{names}}` referenced by the product policies and missing from `available`, as "policy: name". */
export function missingNamedValues(available: ReadonlySet<string>): string[] {
  return productPolicies().flatMap((p) => listNamedValues(p.document).filter((n) => !available.has(n)).sort().map((n) => `${p.name}: {{${n}}}`));
}

export function registerPolicyBuild(program: Command, io: CommandIo): void {
  program
    .command('build')
    .description("write this product's policies (policies/product) as XML files, one per policy")
    .option('--out <dir>', 'output directory', 'dist/policies')
    .option('--raw', "write APIM's raw form (expressions verbatim) instead of well-formed XML")
    .option('--named-values <file>', 'JSON list (or object keyed by name) of the named values that exist; a missing reference exits 1')
    .option('--layout <layout>', "flat (<out>/<name>.xml) or apiops (an estate folder in Azure/apiops's layout, raw form)", 'flat')
    .option('--id <name=id>', 'apiops layout: the resource id of policy NAME (api, product, fragment; API/OPERATION for an operation); repeatable', (v: string, prev: string[] = []) => [...prev, v])
    .action((flags: { out: string; raw?: boolean; namedValues?: string; layout: string; id?: string[] }) => {
      if (flags.layout !== 'flat' && flags.layout !== 'apiops') throw new CliError(`--layout must be flat or apiops, not '${flags.layout}'`, ExitCode.BadInput);
      const ids: Record<string, string> = {};
      for (const pair of flags.id ?? []) {
        const at = pair.indexOf('=');
        if (at <= 0 || at === pair.length - 1) throw new CliError(`--id takes NAME=ID, not '${pair}'`, ExitCode.BadInput);
        ids[pair.slice(0, at)] = pair.slice(at + 1);
      }
      if (flags.namedValues !== undefined) {
        const missing = missingNamedValues(readNamedValueNames(flags.namedValues));
        if (missing.length > 0) {
          for (const m of missing) io.stderr(`missing named value ${m}\n`);
          throw new CliError(`${missing.length} named value(s) referenced but not defined; nothing written`, ExitCode.Findings);
        }
      }
      const built = buildPolicies({ outDir: flags.out, form: flags.raw ? 'raw' : 'xml', layout: flags.layout, ids });
      for (const b of built) {
        const nv = b.namedValues.length > 0 ? `; named values: ${b.namedValues.join(', ')}` : '';
        io.stdout(`wrote ${b.path} (${b.scope}${nv})\n`);
      }
    });
}
