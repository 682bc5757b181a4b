/**
 * `apim-rls policy build [--out DIR] [--raw]`: writes this product's policy modules
 * (policies/product) as XML files, one per policy (`<out>/<name>.xml`), and prints what it wrote.
 * Well-formed XML by default (what publishing with `format: xml` sends); `--raw` writes APIM's
 * raw export form.
 */
import type { Command } from 'commander';
import { mkdirSync, writeFileSync } from 'node:fs';
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

export function registerPolicyBuild(program: Command): void {
  program
    .command('build')
    .description("write this product's policies (policies/product) as XML files, one per policy")
    .option('--out <dir>', 'output directory', 'dist/policies')
    .option('--raw', "write APIM's raw form (expressions verbatim) instead of well-formed XML")
    .action((flags: { out: string; raw?: boolean }) => {
      const built = buildPolicies({ outDir: flags.out, form: flags.raw ? 'raw' : 'xml' });
      for (const b of built) {
        const nv = b.namedValues.length > 0 ? `; named values: ${b.namedValues.join(', ')}` : '';
        process.stdout.write(`wrote ${b.path} (${b.scope}${nv})\n`);
      }
    });
}
