import type { Command } from 'commander';

/** Registers the `start` command(s). Not yet implemented. */
export function registerStart(_program: Command): void {}
