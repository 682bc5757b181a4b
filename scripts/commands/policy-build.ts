import type { Command } from 'commander';

/** Registers the `policy-build` command(s). Not yet implemented. */
export function registerPolicyBuild(_program: Command): void {}
