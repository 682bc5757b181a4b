/**
 * The thin loading layer of `chain check`: files → {@link ChainInput}. Policies through the
 * policy XML parser, the spec through the RLS spec loader (.ts/.json/.yaml), the backend's
 * settings from `local.settings.json`'s `Values` (or the environment the CLI passes in), the
 * claim map from a module or JSON file. Every problem is a CliError with exit 2.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { checkClaimMap, type ClaimMap, type SessionKeyRule } from '../../functions/identity/claim-map.js';
import { parsePolicyXml, PolicyXmlError } from '../../policies/xml/index.js';
import { RlsError } from '../../rls/errors.js';
import { loadDocument, loadSpec } from '../../rls/spec/load.js';
import type { RlsSpec } from '../../rls/spec/schema.js';
import { CliError, ExitCode } from '../exit-codes.js';
import type { PolicySource } from './check/types.js';

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? 'EIO'}`, ExitCode.BadInput);
  }
}

/** A policy document (`<policies>`), or with `root: 'fragment'` a policy fragment (`<fragment>`). */
export function loadPolicy(file: string, root: 'policies' | 'fragment' = 'policies'): PolicySource {
  const text = readText(file, root === 'fragment' ? 'fragment' : 'policy');
  let source: PolicySource;
  try {
    source = { file, root: parsePolicyXml(text) };
  } catch (err) {
    if (err instanceof PolicyXmlError) throw new CliError(`${file}:${err.line}:${err.column}: ${err.reason} (${err.code})`, ExitCode.BadInput, err.code);
    throw err;
  }
  if (source.root.name !== root) {
    const hint = root === 'policies' ? ' (a fragment goes in with --fragment ID=FILE)' : '';
    throw new CliError(`${file}: the root is <${source.root.name}>, expected <${root}>${hint}`, ExitCode.BadInput, 'CHAIN_INPUT_ROOT');
  }
  return source;
}

export async function loadChainSpec(file: string): Promise<RlsSpec> {
  try {
    return await loadSpec(file);
  } catch (err) {
    if (err instanceof RlsError) throw new CliError(err.message, ExitCode.BadInput, err.code);
    throw err;
  }
}

export interface LoadedSettings {
  settings: Record<string, string>;
  /** The line of each key in the file (1-based). */
  lines: Record<string, number>;
}

/** `local.settings.json`: its `Values` (strings only, as the Functions host reads them). */
export function loadSettingsFile(file: string): LoadedSettings {
  const text = readText(file, 'settings');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new CliError(`${file} is not JSON: ${(err as Error).message}`, ExitCode.BadInput);
  }
  const values = (doc as { Values?: unknown } | null)?.Values;
  if (typeof values !== 'object' || values === null || Array.isArray(values)) {
    throw new CliError(`${file} has no "Values" object (the local.settings.json form: {"Values": {"APIM_RLS_AUDIENCE": "…", …}})`, ExitCode.BadInput);
  }
  const settings: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) {
    if (typeof v !== 'string') throw new CliError(`${file}: Values.${k} must be a string, as app settings are`, ExitCode.BadInput);
    settings[k] = v;
  }
  const lines: Record<string, number> = {};
  text.split('\n').forEach((line, i) => {
    const m = /^\s*"([^"]+)"\s*:/.exec(line);
    if (m && Object.hasOwn(settings, m[1] as string) && lines[m[1] as string] === undefined) lines[m[1] as string] = i + 1;
  });
  return { settings, lines };
}

/** A JSON object of named values: {"name": "value", …}. */
export function loadNamedValues(file: string): Record<string, string> {
  const text = readText(file, 'named values');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new CliError(`${file} is not JSON: ${(err as Error).message}`, ExitCode.BadInput);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc) || !Object.values(doc).every((v) => typeof v === 'string')) {
    throw new CliError(`${file} must hold a JSON object of named values with string values: {"name": "value", …}`, ExitCode.BadInput);
  }
  return doc as Record<string, string>;
}

const claimMapSchema = z.array(
  z.strictObject({
    key: z.string(),
    from: z.union([z.strictObject({ claim: z.string().min(1) }), z.strictObject({ requestId: z.literal(true) }), z.strictObject({ traceId: z.literal(true) })]),
    required: z.boolean(),
    maxLength: z.number().int(),
    multiValued: z.boolean().optional(),
  }),
);

/** A claim map module (`default` or `claimMap` export) or JSON file, checked as the backend checks it. */
export async function loadClaimMap(file: string): Promise<ClaimMap> {
  let doc: unknown;
  try {
    doc = await loadDocument(file, 'claimMap');
  } catch (err) {
    if (err instanceof RlsError) throw new CliError(err.message.replace(/^cannot read/, 'cannot read claim map'), ExitCode.BadInput, err.code);
    throw err;
  }
  const parsed = claimMapSchema.safeParse(doc);
  if (!parsed.success) {
    const where = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new CliError(`${file}: a claim map is a list of {key, from: {claim} | {requestId: true} | {traceId: true}, required, maxLength, multiValued?} (${where})`, ExitCode.BadInput);
  }
  try {
    return checkClaimMap(parsed.data as SessionKeyRule[]);
  } catch (err) {
    throw new CliError(`${file}: ${(err as Error).message}`, ExitCode.BadInput);
  }
}
