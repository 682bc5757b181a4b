#!/usr/bin/env node
// The installed `apim-rls` command: runs the compiled CLI when built, else the TypeScript source through tsx.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist', 'scripts', 'cli.js');
if (existsSync(built)) {
  process.env.APIM_RLS_CLI = "1";
  await import(pathToFileURL(built).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  process.env.APIM_RLS_CLI = "1";
  await import(pathToFileURL(join(root, "scripts", "cli.ts")).href);
}
