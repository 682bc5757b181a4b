import type { Command } from 'commander';

/** Registers the `rls` command(s). Not yet implemented. */
export function registerRls(_program: Command): void {}
