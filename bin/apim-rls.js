#!/usr/bin/env node
// The installed `apim-rls` command: runs the compiled CLI (dist/, built by `npm run build` and shipped
// in the package). In a source checkout that has not been built, it runs the TypeScript source
// through tsx (a devDependency) instead, and says how to build when tsx is not there either.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist', 'scripts', 'cli.js');
let cli;
if (existsSync(built)) {
  cli = await import(pathToFileURL(built).href);
} else {
  try {
    const { register } = await import('tsx/esm/api');
    register();
  } catch {
    process.stderr.write(`apim-rls: the compiled CLI (${built}) is missing; run npm run build\n`);
    process.exit(3);
  }
  cli = await import(pathToFileURL(join(root, 'scripts', 'cli.ts')).href);
}
process.exitCode = await cli.main(process.argv.slice(2));
