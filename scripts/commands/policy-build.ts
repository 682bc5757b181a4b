/**
 * `apim-rls policy build [--out DIR] [--raw]`: writes this product's policy modules
 * (policies/product) as XML files, one per policy (`<out>/<name>.xml`), and prints what it wrote.
 * Well-formed XML by default (what publishing with `format: xml` sends); `--raw` writes APIM's
 * raw export form. `--named-values FILE` (a JSON list of names, or an object keyed by name) checks
 * that every `{{named value}}` the policies reference exists: a missing one is a finding (exit 1)
 * and nothing is written.
 */
import type { Command } from 'commander';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CliError, ExitCode } from '../exit-codes.js';
import { productPolicies, type PolicyScope } from '../../policies/product/index.js';
import { emitPolicy } from '../../policies/model/text.js';
import { listNamedValues } from '../../policies/model/values.js';

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
  for (const p of productPolicies()) {
    const path = join(outDir, `${p.name}.xml`);
    const text = emitPolicy(p.document, { form: options.form });
    try {
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

export function registerPolicyBuild(program: Command): void {
  program
    .command('build')
    .description("write this product's policies (policies/product) as XML files, one per policy")
    .option('--out <dir>', 'output directory', 'dist/policies')
    .option('--raw', "write APIM's raw form (expressions verbatim) instead of well-formed XML")
    .option('--named-values <file>', 'JSON list (or object keyed by name) of the named values that exist; a missing reference exits 1')
    .action((flags: { out: string; raw?: boolean; namedValues?: string }) => {
      if (flags.namedValues !== undefined) {
        const missing = missingNamedValues(readNamedValueNames(flags.namedValues));
        if (missing.length > 0) {
          for (const m of missing) process.stderr.write(`missing named value ${m}\n`);
          throw new CliError(`${missing.length} named value(s) referenced but not defined; nothing written`, ExitCode.Findings);
        }
      }
      const built = buildPolicies({ outDir: flags.out, form: flags.raw ? 'raw' : 'xml' });
      for (const b of built) {
        const nv = b.namedValues.length > 0 ? `; named values: ${b.namedValues.join(', ')}` : '';
        process.stdout.write(`wrote ${b.path} (${b.scope}${nv})\n`);
      }
    });
}
