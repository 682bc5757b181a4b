#!/usr/bin/env node
/**
 * The `apim-rls` command line: parse arguments → call the library → print.
 * This file and the Functions entry are the only places that read process.env.
 *
 * Commands are loaded only when invoked: each lives in its own module under commands/ and is
 * imported (`import()`) once the arguments name it, so `policy lint FILE` never loads the ARM SDK,
 * the database drivers or the local stack. For help listings a command is a stub with its
 * description only.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { CliError, ExitCode } from './exit-codes.js';
import type { CliIo, CommandIo } from './io.js';

type Register = (parent: Command, io: CommandIo) => void;

interface LazyCommand {
  description: string;
  load: () => Promise<Register>;
}

/** `policy <name>` subcommands. The description is repeated here for help listings without loading the module. */
export const policyCommands: Record<string, LazyCommand> = {
  build: { description: "write this product's policies (policies/product) as XML files, one per policy", load: async () => (await import('./commands/policy-build.js')).registerPolicyBuild },
  lint: { description: 'lint APIM policy XML files (raw or well-formed) for identity and security mistakes', load: async () => (await import('./commands/policy-lint.js')).registerPolicyLint },
  fmt: { description: 'print the canonical form of a policy XML file (well-formed unless --raw)', load: async () => (await import('./commands/policy-fmt.js')).registerPolicyFmt },
  emulate: { description: 'run a policy in the emulator against one request and print the response as JSON', load: async () => (await import('./commands/policy-emulate.js')).registerPolicyEmulate },
  publish: { description: 'publish a policy to API Management through ARM: compare, show the diff, write with If-Match', load: async () => (await import('./commands/policy-publish.js')).registerPolicyPublish },
};

/** Top-level commands (each module registers its command, with its subcommands). */
export const topCommands: Record<string, LazyCommand> = {
  rls: { description: 'row-level security: print, apply, verify and check drift of an RLS spec; create the sample', load: async () => (await import('./commands/rls.js')).registerRls },
  audit: { description: 'print the database audit rows of one request (or trace, caller, time window), read as the auditor role', load: async () => (await import('./commands/audit.js')).registerAudit },
  token: { description: "print a token signed by the local OpenID issuer's keys (created in the key folder when missing)", load: async () => (await import('./commands/token.js')).registerToken },
  publish: { description: "publish an estate folder in APIOps's layout (policies, fragments, named values): plan, then apply in order", load: async () => (await import('./commands/publish.js')).registerPublish },
  extract: { description: "write a service's policies, fragments and named values (no secret values) into a folder in APIOps's layout", load: async () => (await import('./commands/extract.js')).registerExtract },
  chain: { description: 'check that the APIM policy, the backend settings and claim map, and the RLS spec agree', load: async () => (await import('./commands/chain.js')).registerChain },
  start: { description: 'run the local stack: OpenID issuer, Functions host on the embedded database, gateway', load: async () => (await import('./commands/start.js')).registerStart },
};

/** The package version, from the package.json above this module (source: ../, compiled: ../../). */
export function packageVersion(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'apim-rls' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not there: try the next
    }
  }
  return 'unknown';
}

function stub(parent: Command, name: string, description: string): void {
  parent.command(name).description(description).helpOption(false).allowUnknownOption().allowExcessArguments().exitOverride();
}

/** The process's own I/O: what the installed CLI runs with. */
export function processIo(): CliIo {
  return { stdout: (s) => void process.stdout.write(s), stderr: (s) => void process.stderr.write(s), env: process.env };
}

/** The process's I/O for a program parsed directly (not through main): the exit code goes to process.exitCode. */
function processCommandIo(): CommandIo {
  return {
    ...processIo(),
    setExitCode: (code) => {
      process.exitCode = code;
    },
  };
}

/**
 * Builds the program for these arguments: the command they name is loaded and registered for
 * real, every other one is a stub for the help listing. Without arguments, every command is a stub.
 * Commands write through `io` (help and commander's own errors too).
 */
export async function createProgram(argv: readonly string[] = [], io: CommandIo = processCommandIo()): Promise<Command> {
  const program = new Command('apim-rls')
    .description('Identity from Azure API Management to the database row: policies, RLS, local stack')
    .version(packageVersion(), '-V, --version', 'print the version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) });
  // `apim-rls help policy lint` names its command one word later
  const words = argv[0] === 'help' ? argv.slice(1) : argv;
  const policy = program.command('policy').description('build, lint, format and emulate APIM policies').exitOverride();
  for (const [name, c] of Object.entries(policyCommands)) {
    if (words[0] === 'policy' && words[1] === name) (await c.load())(policy, io);
    else stub(policy, name, c.description);
  }
  for (const [name, c] of Object.entries(topCommands)) {
    if (words[0] === name) (await c.load())(program, io);
    else stub(program, name, c.description);
  }
  return program;
}

/**
 * Runs one command line and returns its exit code (scripts/exit-codes.ts); the process's exit code
 * is left alone. `io` defaults to the process's stdout, stderr and environment; a library caller
 * or a test passes its own and runs the CLI in-process. A command releases what it opened
 * (databases, servers, timers) before `main` returns.
 */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  let exitCode: ExitCode = ExitCode.Ok;
  const run: CommandIo = { ...io, setExitCode: (code) => void (exitCode = code) };
  try {
    await (await createProgram(argv, run)).parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version are not errors
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return ExitCode.Ok;
      return ExitCode.BadInput;
    }
    if (err instanceof CliError) {
      io.stderr(`apim-rls: ${err.message}\n`);
      return err.exitCode;
    }
    io.stderr(`apim-rls: ${err instanceof Error ? err.message : String(err)}\n`);
    return ExitCode.RuntimeFailure;
  }
}

// run when started as a script (`tsx scripts/cli.ts`, `node dist/scripts/cli.js`); bin/apim-rls.js calls main() itself
const isEntry = process.argv[1] !== undefined && /cli\.(ts|js)$/.test(process.argv[1]);
if (isEntry) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
