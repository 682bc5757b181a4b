/**
 * `apim-rls chain check --policy FILE [--scope FILE ...] [--fragment ID=FILE ...]
 * [--named-value NAME=VALUE ... | --named-values FILE] --spec FILE [--settings local.settings.json]
 * [--claim-map FILE] [--db URL] [--format text|json] [--prove]`: checks that the policy, the
 * backend's settings and claim map, and the RLS spec agree (docs/chain.md). Exit codes as
 * `policy lint`: 1 when an error-level finding exists, 2 for bad input, 3 when the database
 * cannot be reached (`--db`), 0 otherwise.
 */
import { Option, type Command } from 'commander';
import { ordersClaimMap } from '../../functions/identity/claim-map.js';
import { checkChain, type ChainFinding, type ChainInput } from '../chain/check/index.js';
import { loadChainSpec, loadClaimMap, loadNamedValues, loadPolicy, loadSettingsFile } from '../chain/load.js';
import { pairs, repeatable } from './flags.js';
import { CliError, ExitCode } from '../exit-codes.js';
import type { CliEnv, CommandIo } from '../io.js';

export interface ChainCheckFlags {
  policy: string;
  scope?: string[];
  fragment?: string[];
  namedValue?: string[];
  namedValues?: string;
  spec: string;
  settings?: string;
  claimMap?: string;
  db?: string;
  format: 'text' | 'json';
  prove?: boolean;
  /** the verify cases for --prove */
  cases?: string;
}

/** The app settings from the environment: only the backend's own (APIM_RLS_*), as the entry would read them. */
function settingsFromEnv(env: CliEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[0].startsWith('APIM_RLS_') && typeof e[1] === 'string'));
}

/** Reads every input named by the flags (exit 2 on the first that cannot be read). */
export async function loadChainInput(flags: ChainCheckFlags, env: CliEnv): Promise<ChainInput> {
  const policy = loadPolicy(flags.policy);
  const scopes = (flags.scope ?? []).map((f) => loadPolicy(f));
  const fragments = Object.fromEntries(pairs(flags.fragment, '--fragment').map(([id, f]) => [id, loadPolicy(f, 'fragment')]));
  const namedValues = { ...(flags.namedValues !== undefined ? loadNamedValues(flags.namedValues) : {}), ...Object.fromEntries(pairs(flags.namedValue, '--named-value')) };
  const spec = await loadChainSpec(flags.spec);
  const input: ChainInput = { policy, scopes, fragments, namedValues, spec, specFile: flags.spec, settings: {} };
  if (flags.settings !== undefined) {
    const loaded = loadSettingsFile(flags.settings);
    input.settings = loaded.settings;
    input.settingsFile = flags.settings;
    input.settingsLines = loaded.lines;
  } else {
    input.settings = settingsFromEnv(env);
  }
  input.claimMap = flags.claimMap !== undefined ? await loadClaimMap(flags.claimMap) : ordersClaimMap;
  return input;
}

/** `rls drift` against the database, each difference a CHAIN901 finding. */
async function driftFindings(url: string, input: ChainInput, env: CliEnv): Promise<ChainFinding[]> {
  const [{ withDatabase }, { driftSpec }, { RlsError }] = await Promise.all([import('./rls.js'), import('../../rls/drift.js'), import('../../rls/errors.js')]);
  try {
    const changes = await withDatabase(url, (db) => driftSpec(db, input.spec), { env, existing: true });
    return changes.map((c) => ({
      id: 'CHAIN901',
      severity: 'error' as const,
      message: `${c.kind} ${c.object}${c.actual !== undefined ? `; actual: ${c.actual}` : ''}${c.expected !== undefined ? `; expected: ${c.expected}` : ''}`,
      location: { ...(input.specFile !== undefined ? { file: input.specFile } : {}), path: c.object },
    }));
  } catch (err) {
    if (err instanceof RlsError) throw new CliError(err.message, err.code === 'RLS_DB_UNREACHABLE' ? ExitCode.RuntimeFailure : ExitCode.BadInput, err.code);
    const e = err as { code?: unknown; message?: unknown };
    throw new CliError(`database error${typeof e.code === 'string' ? ` (${e.code})` : ''}: ${typeof e.message === 'string' ? e.message : String(err)}`, ExitCode.RuntimeFailure, 'RLS_DB_ERROR');
  }
}

export interface ChainSummary {
  errors: number;
  warnings: number;
  infos: number;
}

export function summarise(findings: readonly ChainFinding[]): ChainSummary {
  const count = (s: ChainFinding['severity']) => findings.filter((f) => f.severity === s).length;
  return { errors: count('error'), warnings: count('warning'), infos: count('info') };
}

/** `file:line:column: severity ID message [path]`, one line per finding, then the summary line (as `policy lint`). */
export function formatText(findings: readonly ChainFinding[]): string {
  const lines = findings.map((f) => {
    const l = f.location;
    const at = l.file === undefined ? '(chain)' : l.line !== undefined ? `${l.file}:${l.line}:${l.column ?? 1}` : l.file;
    return `${at}: ${f.severity} ${f.id} ${f.message}${l.path !== undefined ? ` [${l.path}]` : ''}`;
  });
  const s = summarise(findings);
  lines.push(`${s.errors} error(s), ${s.warnings} warning(s), ${s.infos} info in the chain`);
  return `${lines.join('\n')}\n`;
}

export function registerChain(program: Command, io: CommandIo): void {
  const chain = program.command('chain').description('check that the APIM policy, the backend settings and claim map, and the RLS spec agree').exitOverride();
  chain
    .command('check')
    .description('static check of the identity chain: policy ↔ backend ↔ RLS spec (and the database with --db)')
    .requiredOption('--policy <file>', 'the policy XML (built or hand-written; the most specific scope)')
    .option('--scope <file>', 'an enclosing scope policy, outermost first (global, product, API); repeat the flag for each', repeatable)
    .option('--fragment <id=file>', 'a policy fragment for include-fragment; repeatable', repeatable)
    .option('--named-value <name=value>', 'a named value for {{name}} references; repeatable', repeatable)
    .option('--named-values <file>', 'a JSON object of named values {"name": "value"} (--named-value wins)')
    .requiredOption('--spec <file>', 'the RLS spec (.ts, .json, .yaml)')
    .option('--settings <file>', "the backend's local.settings.json (its Values); default: the APIM_RLS_* environment")
    .option('--claim-map <file>', "the backend's claim map (.ts exporting default or claimMap, .json); default: the one the Functions app runs with")
    .option('--db <url>', 'also compare the database catalog with the spec (rls drift): postgres://…, pglite:DIR, mssql://SERVER/DATABASE')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--prove', "also run every verify case end to end (token → policy → handlers → database) and compare with rls verify")
    .option('--cases <file>', 'the verify cases for --prove (as rls verify --cases: .ts, .json, .yaml)')
    .exitOverride()
    .action(async (flags: ChainCheckFlags) => {
      if (flags.prove === true && flags.cases === undefined) throw new CliError('--prove needs the verify cases: --cases FILE (as rls verify --cases)', ExitCode.BadInput, 'CHAIN_PROVE_INPUT');
      if (flags.prove !== true && flags.cases !== undefined) throw new CliError('--cases is read only with --prove', ExitCode.BadInput);
      const input = await loadChainInput(flags, io.env);
      const findings = checkChain(input);
      if (flags.db !== undefined) findings.push(...(await driftFindings(flags.db, input, io.env)));
      const summary = summarise(findings);
      // text: the static findings first, so they are out even when the proof cannot run (exit 2/3)
      if (flags.format !== 'json') io.stdout(formatText(findings));
      // --prove: every verify case end to end (scripts/chain/prove, scripts/commands/chain-prove.ts)
      const proof = flags.prove === true ? await (await import('./chain-prove.js')).proveFromFlags(input, flags.cases, io.env) : undefined;
      if (flags.format === 'json') io.stdout(`${JSON.stringify({ findings, summary, ...(proof ? { proof } : {}) }, null, 2)}\n`);
      else if (proof) io.stdout(`\n${(await import('../chain/prove/format.js')).formatProveReport(proof)}`);
      io.setExitCode(summary.errors > 0 || (proof?.mismatches ?? 0) > 0 ? ExitCode.Findings : ExitCode.Ok);
    });
}
