import type { Command } from 'commander';

/** Registers the `policy-lint` command(s). Not yet implemented. */
export function registerPolicyLint(_program: Command): void {}
