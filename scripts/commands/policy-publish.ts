import type { Command } from 'commander';

/** Registers `policy publish`. Not yet implemented. */
export function registerPolicyPublish(_program: Command): void {}
