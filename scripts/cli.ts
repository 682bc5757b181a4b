#!/usr/bin/env node
/**
 * The `apim-rls` command line: parse arguments → call the library → print.
 * This file and the Functions entry are the only places that read process.env.
 */
import { Command, CommanderError } from 'commander';
import { CliError, ExitCode } from './exit-codes.js';
import { registerPolicyBuild } from './commands/policy-build.js';
import { registerPolicyLint } from './commands/policy-lint.js';
import { registerPolicyFmt } from './commands/policy-fmt.js';
import { registerPolicyEmulate } from './commands/policy-emulate.js';
import { registerPolicyPublish } from './commands/policy-publish.js';
import { registerRls } from './commands/rls.js';
import { registerToken } from './commands/token.js';
import { registerStart } from './commands/start.js';

export function createProgram(): Command {
  const program = new Command('apim-rls')
    .description('Identity from Azure API Management to the database row: policies, RLS, local stack')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  const policy = program.command('policy').description('build, lint, format and emulate APIM policies').exitOverride();
  registerPolicyBuild(policy);
  registerPolicyLint(policy);
  registerPolicyFmt(policy);
  registerPolicyEmulate(policy);
  registerPolicyPublish(policy);
  registerRls(program);
  registerToken(program);
  registerStart(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await createProgram().parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.Ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version are not errors
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return ExitCode.Ok;
      return ExitCode.BadInput;
    }
    if (err instanceof CliError) {
      process.stderr.write(`apim-rls: ${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`apim-rls: ${err instanceof Error ? err.message : String(err)}\n`);
    return ExitCode.RuntimeFailure;
  }
}

const isEntry = process.argv[1] !== undefined && /cli\.(ts|js)$/.test(process.argv[1]);
if (isEntry || process.env.APIM_RLS_CLI === '1') {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
