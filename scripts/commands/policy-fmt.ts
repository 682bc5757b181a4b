/**
 * `apim-rls policy fmt FILE [--raw] [--check]`: prints the canonical form of a policy file —
 * well-formed XML unless `--raw` (APIM's raw export form). `--check` prints nothing on success
 * and exits 1 when the file differs from its canonical form. Unreadable or malformed input:
 * file:line:column and exit 2.
 */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { CliError, ExitCode } from '../exit-codes.js';
import { parsePolicyXmlDocument, writePolicyXml, PolicyXmlError } from '../../policies/xml/index.js';

interface FmtFlags {
  raw?: boolean;
  check?: boolean;
  indent: string;
}

export function registerPolicyFmt(policy: Command): void {
  policy
    .command('fmt')
    .description('print the canonical form of a policy XML file (well-formed unless --raw)')
    .argument('<file>', 'policy XML file')
    .option('--raw', "APIM's raw form (expressions verbatim) instead of well-formed XML")
    .option('--check', 'print nothing; exit 1 when the file is not in canonical form')
    .option('--indent <spaces>', 'spaces per level', '4')
    .action((file: string, flags: FmtFlags) => {
      const spaces = Number(flags.indent);
      if (!Number.isInteger(spaces) || spaces < 0 || spaces > 16) {
        throw new CliError(`--indent must be a whole number of spaces from 0 to 16, got ${JSON.stringify(flags.indent)}`, ExitCode.BadInput);
      }
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'EIO'}`, ExitCode.BadInput);
      }
      let canonical: string;
      try {
        canonical = writePolicyXml(parsePolicyXmlDocument(text), { form: flags.raw ? 'raw' : 'xml', indent: ' '.repeat(spaces) });
      } catch (err) {
        if (err instanceof PolicyXmlError) throw new CliError(`${file}:${err.line}:${err.column}: ${err.reason} (${err.code})`, ExitCode.BadInput, err.code);
        if (err instanceof TypeError) throw new CliError(`${file}: ${err.message}`, ExitCode.BadInput);
        throw err;
      }
      if (flags.check) {
        if (canonical !== text) {
          process.stderr.write(`apim-rls: ${file} is not in canonical form (apim-rls policy fmt${flags.raw ? ' --raw' : ''} ${file})\n`);
          process.exitCode = ExitCode.Findings;
        }
        return;
      }
      process.stdout.write(canonical);
    });
}
