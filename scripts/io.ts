/**
 * What a CLI command takes from its surroundings: where it writes and the environment it reads.
 * scripts/cli.ts's `main` passes the process's (the only place besides the Functions entry that
 * reads process.env); a test passes its own and runs the CLI in-process (test/support/cli.ts).
 */
import type { ExitCode } from './exit-codes.js';

/** Environment settings by name (what process.env holds at the entry). */
export type CliEnv = Readonly<Record<string, string | undefined>>;

export interface CliIo {
  /** Standard output: what the command prints as its result. */
  stdout: (text: string) => void;
  /** Standard error: messages about the run. */
  stderr: (text: string) => void;
  /** The environment settings a command reads (e.g. AZURE_SUBSCRIPTION_ID, APIM_RLS_*). */
  env: CliEnv;
}

/** What a command gets from `main`: the I/O, and where it reports an exit code other than 0 without throwing. */
export interface CommandIo extends CliIo {
  /** The exit code `main` returns when the command ends normally (a thrown CliError has its own). */
  setExitCode: (code: ExitCode) => void;
}
