import type { Command } from 'commander';

/** Registers the `token` command(s). Not yet implemented. */
export function registerToken(_program: Command): void {}
