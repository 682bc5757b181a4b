import type { Command } from 'commander';

/** Registers the `policy-emulate` command(s). Not yet implemented. */
export function registerPolicyEmulate(_program: Command): void {}
