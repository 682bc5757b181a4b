/** The CLI's exit codes, one table for every command. */
export const ExitCode = {
  /** Success. */
  Ok: 0,
  /** The command ran and found a problem: lint errors, verify mismatches, drift, a non-canonical file with --check. */
  Findings: 1,
  /** Bad input: unreadable or malformed file, invalid spec, bad arguments. */
  BadInput: 2,
  /** The command could not reach what it needed (database, server) or failed at run time. */
  RuntimeFailure: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error the CLI reports as one message and an exit code (never a stack trace). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = ExitCode.BadInput,
    readonly code = 'CLI_ERROR',
  ) {
    super(message);
    this.name = 'CliError';
  }
}
