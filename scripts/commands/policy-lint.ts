/**
 * `apim-rls policy lint FILE... [--format text|json]`: parses each policy file (raw or
 * well-formed) and lints it. Exit 1 when an error-level finding exists, 2 when a file cannot be
 * read or parsed (reported as file:line:column), 0 otherwise.
 */
import { Option, type Command } from 'commander';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { ExitCode } from '../exit-codes.js';
import type { CommandIo } from '../io.js';
import { parsePolicyXml, PolicyXmlError } from '../../policies/xml/index.js';
import { lintPolicy, RULES, type Finding, type LintOptions, type PolicyScope } from '../../policies/lint/index.js';

interface LintFlags {
  format: 'text' | 'json';
  scope?: PolicyScope;
  identityPrefix?: string[];
  maxClockSkew?: string;
  disable?: string[];
}

type FileResult =
  | { file: string; findings: Finding[] }
  | { file: string; error: { code: string; message: string; line?: number; column?: number } };

/** Reads and parses one file; a problem becomes a located, coded error (never a stack trace). */
export function readPolicyFile(file: string): { root: ReturnType<typeof parsePolicyXml>; text: string } | { error: { code: string; message: string; line?: number; column?: number } } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    return { error: { code, message: `cannot read ${file}: ${code}` } };
  }
  try {
    return { root: parsePolicyXml(text), text };
  } catch (err) {
    if (err instanceof PolicyXmlError) {
      return { error: { code: err.code, message: `${file}:${err.line}:${err.column}: ${err.reason} (${err.code})`, line: err.line, column: err.column } };
    }
    throw err;
  }
}

/** Commander option collector: a repeatable option becomes a list. */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function lintOptions(flags: LintFlags): LintOptions {
  const options: LintOptions = {};
  if (flags.scope !== undefined) options.scope = flags.scope;
  if (flags.identityPrefix !== undefined) options.identityHeaderPrefixes = flags.identityPrefix;
  if (flags.disable !== undefined) {
    const ids = flags.disable.flatMap((d) => d.split(',')).map((d) => d.trim().toUpperCase());
    // a misspelt id would otherwise disable nothing, silently
    const unknown = ids.filter((id) => !RULES.some((r) => r.id === id));
    if (unknown.length > 0) throw new Error(`--disable names no lint rule: ${unknown.join(', ')} (the rules are ${RULES[0]?.id}…${RULES[RULES.length - 1]?.id}; see docs/policies.md)`);
    options.disable = ids;
  }
  if (flags.maxClockSkew !== undefined) {
    const n = Number(flags.maxClockSkew);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--max-clock-skew must be a number of seconds ≥ 0, got ${JSON.stringify(flags.maxClockSkew)}`);
    options.maxClockSkewSeconds = n;
  }
  return options;
}

export function registerPolicyLint(policy: Command, io: CommandIo): void {
  policy
    .command('lint')
    .description('lint APIM policy XML files (raw or well-formed) for identity and security mistakes')
    .argument('<files...>', 'policy XML files')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addOption(new Option('--scope <scope>', 'scope the policies apply at (default: global for a file named global.xml, fragment for a <fragment> root, api otherwise)').choices(['global', 'workspace', 'product', 'api', 'operation', 'fragment']))
    .option('--identity-prefix <prefix>', 'a header-name prefix that carries identity (repeatable; replaces the defaults)', collect)
    .option('--max-clock-skew <seconds>', 'largest acceptable validate-jwt clock-skew')
    .option('--disable <ids>', 'rule ids to skip, comma-separated or repeated, e.g. APIM204', collect)
    .action((files: string[], flags: LintFlags) => {
      let options: LintOptions;
      try {
        options = lintOptions(flags);
      } catch (err) {
        io.stderr(`apim-rls: ${(err as Error).message}\n`);
        io.setExitCode(ExitCode.BadInput);
        return;
      }
      const results: FileResult[] = files.map((file) => {
        const r = readPolicyFile(file);
        if ('error' in r) return { file, error: r.error };
        // `policy build` names the global policy global.xml: lint it at global scope unless told otherwise
        const scoped = options.scope === undefined && basename(file).toLowerCase() === 'global.xml' ? { ...options, scope: 'global' as const } : options;
        return { file, findings: lintPolicy(r.root, scoped) };
      });
      const all = results.flatMap((r) => ('findings' in r ? r.findings : []));
      const count = (s: Finding['severity']) => all.filter((f) => f.severity === s).length;
      const summary = { files: files.length, errors: count('error'), warnings: count('warning'), infos: count('info'), unreadable: results.filter((r) => 'error' in r).length };

      if (flags.format === 'json') {
        io.stdout(`${JSON.stringify({ results, summary }, null, 2)}\n`);
      } else {
        for (const r of results) {
          if ('error' in r) continue;
          for (const f of r.findings) {
            const at = f.location.line !== undefined ? `${r.file}:${f.location.line}:${f.location.column ?? 1}` : r.file;
            io.stdout(`${at}: ${f.severity} ${f.ruleId} ${f.message} [${f.location.path}]\n`);
          }
        }
        // the files that could not be read come first, so the summary is the last line and counts them
        for (const r of results) if ('error' in r) io.stderr(`apim-rls: ${r.error.message}\n`);
        const unreadable = summary.unreadable > 0 ? `; ${summary.unreadable} file(s) could not be read or parsed (above)` : '';
        io.stdout(
          `${summary.errors} error(s), ${summary.warnings} warning(s), ${summary.infos} info in ${summary.files - summary.unreadable} file(s)${unreadable}\n`,
        );
      }
      if (flags.format === 'json') for (const r of results) if ('error' in r) io.stderr(`apim-rls: ${r.error.message}\n`);
      io.setExitCode(summary.unreadable > 0 ? ExitCode.BadInput : summary.errors > 0 ? ExitCode.Findings : ExitCode.Ok);
    });
}
