/** Parse and load an RLS spec: a TypeScript/JavaScript module, JSON or YAML file, validated with zod. */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { RlsError, type RlsIssue } from '../errors.js';
import { rlsSpecSchema, type RlsSpec } from './schema.js';

/** Turns zod issues into `path: reason` pairs (`tables.0.tenant.column`). */
export function issuesOf(error: z.ZodError): RlsIssue[] {
  return error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', reason: i.message }));
}

/** Formats issues one per line, for messages. */
export function formatIssues(issues: readonly RlsIssue[]): string {
  return issues.map((i) => `  ${i.path}: ${i.reason}`).join('\n');
}

/** Validates a spec object; throws `RlsError('RLS_SPEC_INVALID')` naming every path and reason. */
export function parseSpec(input: unknown, source = 'spec'): RlsSpec {
  const r = rlsSpecSchema.safeParse(input);
  if (!r.success) {
    const issues = issuesOf(r.error);
    throw new RlsError('RLS_SPEC_INVALID', `invalid RLS spec ${source}:\n${formatIssues(issues)}`, issues);
  }
  return r.data;
}

/** Where `tsx` can be found for a TypeScript file: beside the file (the user's project), else beside this module. */
function findTsx(file: string): string | undefined {
  for (const from of [join(dirname(file), 'noop.js'), import.meta.url]) {
    try {
      // resolve the package folder, then import its ESM API (a CommonJS resolve would pick the .cjs build)
      const pkgJson = createRequire(from).resolve('tsx/package.json');
      return pathToFileURL(join(dirname(pkgJson), 'dist', 'esm', 'api', 'index.mjs')).href;
    } catch {
      // not there: try the next
    }
  }
  return undefined;
}

/**
 * Imports a spec or cases module. Node without a TypeScript loader (an installed, compiled
 * apim-rls) refuses `.ts` with ERR_UNKNOWN_FILE_EXTENSION: then the file is loaded through tsx's
 * `tsImport` when tsx is installed (in the user's project or beside this package), and otherwise
 * the message says how to go on.
 */
async function importModule(path: string): Promise<Record<string, unknown>> {
  try {
    return (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw err;
    const tsx = findTsx(path);
    if (tsx === undefined) {
      throw new Error('a TypeScript file needs tsx to load it: install it (npm install --save-dev tsx) or write the file as .json or .yaml', { cause: err });
    }
    const { tsImport } = (await import(tsx)) as { tsImport: (specifier: string, parentURL: string) => Promise<Record<string, unknown>> };
    return tsImport(pathToFileURL(path).href, import.meta.url);
  }
}

/**
 * Reads a document from a .json, .yaml/.yml, or .ts/.js/.mjs file (default export, or the
 * named export `exportName`). Throws `RlsError('RLS_FILE_UNREADABLE')`.
 */
export async function loadDocument(file: string, exportName: string): Promise<unknown> {
  const path = resolve(file);
  const ext = extname(path).toLowerCase();
  try {
    if (ext === '.ts' || ext === '.js' || ext === '.mjs' || ext === '.mts') {
      let mod = await importModule(path);
      // a .ts file outside a `"type": "module"` package is compiled to CommonJS: its namespace's
      // default is module.exports, which holds the ES exports under __esModule
      const cjs = mod.default as { __esModule?: unknown } | undefined;
      if (cjs !== null && typeof cjs === 'object' && cjs.__esModule === true) mod = cjs as Record<string, unknown>;
      const value = mod.default ?? mod[exportName];
      if (value === undefined) throw new Error(`exports neither a default nor "${exportName}"`);
      return value;
    }
    const text = await readFile(path, 'utf8');
    if (ext === '.json') return JSON.parse(text) as unknown;
    if (ext === '.yaml' || ext === '.yml') return parseYaml(text) as unknown;
    throw new Error('unknown file type (use .json, .yaml, .yml, .ts or .js)');
  } catch (err) {
    throw new RlsError('RLS_FILE_UNREADABLE', `cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`, [], { cause: err });
  }
}

/** Loads and validates a spec file (.ts exports `default` or `spec`). */
export async function loadSpec(file: string): Promise<RlsSpec> {
  return parseSpec(await loadDocument(file, 'spec'), file);
}
