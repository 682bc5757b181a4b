import type { Command } from 'commander';

/** Registers the `policy-fmt` command(s). Not yet implemented. */
export function registerPolicyFmt(_program: Command): void {}
