/**
 * `apim-rls policy fmt FILE [--raw] [--check | --write]`: prints the canonical form of a policy
 * file — well-formed XML unless `--raw` (APIM's raw export form). `--check` and `--write` keep the
 * file's own form (raw when the file is not well-formed XML, as APIM exports it and teams keep it
 * in git; `--raw` forces raw): `--check` prints nothing on success and exits 1 when the file
 * differs from its canonical form; `--write` rewrites the file in place (through a temporary file
 * and a rename, so it is never half-written). Unreadable or malformed input: file:line:column and
 * exit 2.
 */
import type { Command } from 'commander';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { XMLValidator } from 'fast-xml-parser';
import { CliError, ExitCode } from '../exit-codes.js';
import type { CommandIo } from '../io.js';
import { parsePolicyXmlDocument, writePolicyXml, PolicyXmlError } from '../../policies/xml/index.js';

interface FmtFlags {
  raw?: boolean;
  check?: boolean;
  write?: boolean;
  indent: string;
}

export function registerPolicyFmt(policy: Command, io: CommandIo): void {
  policy
    .command('fmt')
    .description('print the canonical form of a policy XML file (well-formed unless --raw)')
    .argument('<file>', 'policy XML file')
    .option('--raw', "APIM's raw form (expressions verbatim) instead of well-formed XML")
    .option('--check', "print nothing; exit 1 when the file is not in canonical form (in the file's own form: raw or well-formed)")
    .option('--write', "rewrite the file in its canonical form (in the file's own form)")
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
      if (flags.check && flags.write) throw new CliError('--check and --write exclude each other', ExitCode.BadInput);
      // printing defaults to well-formed; checking and rewriting keep the form the file is in
      const form = flags.raw ? 'raw' : (flags.check || flags.write) && XMLValidator.validate(text) !== true ? 'raw' : 'xml';
      let canonical: string;
      try {
        canonical = writePolicyXml(parsePolicyXmlDocument(text), { form, indent: ' '.repeat(spaces) });
      } catch (err) {
        if (err instanceof PolicyXmlError) throw new CliError(`${file}:${err.line}:${err.column}: ${err.reason} (${err.code})`, ExitCode.BadInput, err.code);
        if (err instanceof TypeError) throw new CliError(`${file}: ${err.message}`, ExitCode.BadInput);
        throw err;
      }
      if (flags.check) {
        if (canonical !== text) {
          io.stderr(`apim-rls: ${file} is not in canonical ${form === 'raw' ? 'raw' : 'well-formed'} form (apim-rls policy fmt --write${flags.raw ? ' --raw' : ''} ${file} rewrites it)\n`);
          io.setExitCode(ExitCode.Findings);
        }
        return;
      }
      if (flags.write) {
        if (canonical === text) return;
        const temp = `${file}.apim-rls-${process.pid}.tmp`;
        try {
          writeFileSync(temp, canonical);
          renameSync(temp, file);
        } catch (err) {
          rmSync(temp, { force: true });
          throw new CliError(`cannot write ${file}: ${(err as NodeJS.ErrnoException).code ?? 'EIO'}`, ExitCode.RuntimeFailure);
        }
        io.stdout(`formatted ${file}\n`);
        return;
      }
      io.stdout(canonical);
    });
}
