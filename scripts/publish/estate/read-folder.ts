/**
 * Reads an estate folder in APIOps's layout (see layout.ts) into resources keyed by ARM path.
 * Only the policy-related part is read; other folders (backends, loggers, …) are left alone.
 * A secret named value never has its value in the folder: it is a Key Vault reference, or its
 * value comes from the environment variable `APIM_NAMED_VALUE_<NAME>` (the caller passes `env`;
 * only the CLI entry reads process.env).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { LAYOUT } from './layout.js';
import { EstateError, EstateErrorCode } from './errors.js';
import { idProblem, prefixFor, type IdKind, type LocalEstate, type LocalNamedValue, type LocalPolicy, type LocalResource, type NamedValueSource } from './resource.js';

export interface ReadFolderOptions {
  /** Publish into this workspace: the folder's `workspaces/<name>/` is the estate. */
  workspace?: string;
  /** Where secret values come from. */
  env?: Record<string, string | undefined>;
}

/** The environment variable that holds a secret named value: `APIM_NAMED_VALUE_` + the name, upper case, other characters `_`. */
export function secretVariable(name: string): string {
  return `APIM_NAMED_VALUE_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

async function subdirs(p: string): Promise<string[]> {
  if (!(await isDir(p))) return [];
  const entries = await readdir(p, { withFileTypes: true });
  return entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
}

async function readIfExists(p: string): Promise<string | undefined> {
  try {
    return await readFile(p, 'utf8');
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return undefined;
    throw err;
  }
}

function rel(...parts: string[]): string {
  return parts.filter((p) => p !== '').join('/');
}

interface Props {
  properties?: Record<string, unknown>;
}

function parseJson(text: string, file: string, problems: string[]): Props | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      problems.push(`${file}: not a JSON object`);
      return undefined;
    }
    return v as Props;
  } catch (err) {
    problems.push(`${file}: not JSON (${err instanceof Error ? err.message : String(err)})`);
    return undefined;
  }
}

function namedValueFrom(name: string, file: string, json: Props, env: Record<string, string | undefined>, problems: string[], secrets: { count: number }): Omit<LocalNamedValue, 'kind' | 'path' | 'label' | 'file'> | undefined {
  const p = json.properties ?? {};
  const displayName = typeof p.displayName === 'string' ? p.displayName : name;
  const secret = p.secret === true;
  const tags = Array.isArray(p.tags) ? p.tags.filter((t): t is string => typeof t === 'string').sort() : [];
  const kv = p.keyVault as { secretIdentifier?: unknown; identityClientId?: unknown } | undefined;
  let source: NamedValueSource;
  if (kv && typeof kv.secretIdentifier === 'string') {
    if (p.value !== undefined) {
      problems.push(`${file}: a Key Vault named value has no value in the folder`);
      return undefined;
    }
    source = { from: 'keyVault', secretIdentifier: kv.secretIdentifier, ...(typeof kv.identityClientId === 'string' ? { identityClientId: kv.identityClientId } : {}) };
  } else if (secret) {
    if (p.value !== undefined) {
      // fail closed: a secret committed to git is a leak, whatever happens next
      problems.push(`${file}: secret named value '${name}' has its value in the folder; remove it and use a Key Vault reference or ${secretVariable(name)}`);
      secrets.count++;
      return undefined;
    }
    const variable = secretVariable(name);
    const value = env[variable];
    if (value === undefined || value === '') {
      problems.push(`${file}: secret named value '${name}' needs its value in the environment variable ${variable} (or a Key Vault reference)`);
      secrets.count++;
      return undefined;
    }
    source = { from: 'env', variable, value };
  } else if (typeof p.value === 'string') {
    source = { from: 'file', value: p.value };
  } else {
    problems.push(`${file}: named value '${name}' has no properties.value (or keyVault.secretIdentifier)`);
    return undefined;
  }
  return { name, displayName, secret: secret || source.from === 'keyVault', tags, source };
}

/** Reads the folder; every layout problem is reported at once, as one {@link EstateError}. */
export async function readEstateFolder(dir: string, options: ReadFolderOptions = {}): Promise<LocalEstate> {
  const env = options.env ?? {};
  const problems: string[] = [];
  const secrets = { count: 0 };
  const ws = options.workspace;
  if (ws !== undefined) {
    const p = idProblem('workspace', ws, 'workspace');
    if (p) throw new EstateError(EstateErrorCode.Layout, p);
  }
  if (!(await isDir(dir))) throw new EstateError(EstateErrorCode.Layout, `${dir} is not a folder`);
  const base = ws === undefined ? '' : rel(LAYOUT.workspaces, ws);
  const root = join(dir, base);
  if (ws !== undefined && !(await isDir(root))) throw new EstateError(EstateErrorCode.Layout, `the folder has no ${base}/ for workspace '${ws}'`);
  const prefix = prefixFor(ws);
  const inWs = ws === undefined ? '' : ` (workspace ${ws})`;
  const resources: LocalResource[] = [];

  const policyAt = async (relDir: string, r: Omit<LocalPolicy, 'file' | 'text'>): Promise<void> => {
    const file = rel(base, relDir, LAYOUT.policyFile);
    const text = await readIfExists(join(dir, file));
    if (text !== undefined) resources.push({ ...r, file, text });
  };
  const checkId = (label: string, id: string, kind: IdKind): boolean => {
    const p = idProblem(label, id, kind);
    if (p) problems.push(`${rel(base)}: ${p}`);
    return p === undefined;
  };

  // named values
  for (const name of await subdirs(join(root, LAYOUT.namedValues))) {
    if (!checkId('named value', name, 'namedValue')) continue;
    const file = rel(base, LAYOUT.namedValues, name, LAYOUT.namedValueInformation);
    const text = await readIfExists(join(dir, file));
    if (text === undefined) continue;
    const json = parseJson(text, file, problems);
    if (!json) continue;
    const nv = namedValueFrom(name, file, json, env, problems, secrets);
    if (nv) resources.push({ kind: 'namedValue', path: `${prefix}namedValues/${name}`, label: `named value ${name}${inWs}`, file, ...nv });
  }
  // policy fragments
  for (const name of await subdirs(join(root, LAYOUT.fragments))) {
    if (!checkId('policy fragment', name, 'fragment')) continue;
    const infoFile = rel(base, LAYOUT.fragments, name, LAYOUT.fragmentInformation);
    const info = await readIfExists(join(dir, infoFile));
    const json = info === undefined ? undefined : parseJson(info, infoFile, problems);
    const description = typeof json?.properties?.description === 'string' ? json.properties.description : undefined;
    await policyAt(rel(LAYOUT.fragments, name), {
      kind: 'fragment', path: `${prefix}policyFragments/${name}`, label: `fragment ${name}${inWs}`, scope: 'fragment', fragmentId: name,
      ...(description !== undefined ? { description } : {}),
    });
  }
  // the service (or workspace) policy
  await policyAt('', { kind: 'global', path: `${prefix}policies/policy`, label: ws === undefined ? 'global policy' : `workspace ${ws} policy`, scope: ws === undefined ? 'global' : 'workspace' });
  // products
  for (const name of await subdirs(join(root, LAYOUT.products))) {
    if (!checkId('product', name, 'product')) continue;
    await policyAt(rel(LAYOUT.products, name), { kind: 'product', path: `${prefix}products/${name}/policies/policy`, label: `product ${name}${inWs}`, scope: 'product', parent: `${prefix}products/${name}` });
  }
  // APIs (revisions are folders of their own: `orders;rev=2`) and their operations
  for (const api of await subdirs(join(root, LAYOUT.apis))) {
    if (!checkId('api', api, 'api')) continue;
    await policyAt(rel(LAYOUT.apis, api), { kind: 'api', path: `${prefix}apis/${api}/policies/policy`, label: `api ${api}${inWs}`, scope: 'api', parent: `${prefix}apis/${api}` });
    for (const op of await subdirs(join(root, LAYOUT.apis, api, LAYOUT.operations))) {
      if (!checkId('operation', op, 'operation')) continue;
      await policyAt(rel(LAYOUT.apis, api, LAYOUT.operations, op), {
        kind: 'operation', path: `${prefix}apis/${api}/operations/${op}/policies/policy`, label: `operation ${api}/${op}${inWs}`, scope: 'operation', parent: `${prefix}apis/${api}/operations/${op}`,
      });
    }
  }
  if (problems.length > 0) {
    // the secret code only when every problem is about secrets, so a pipeline can tell them apart
    throw new EstateError(secrets.count === problems.length ? EstateErrorCode.Secret : EstateErrorCode.Layout, `the estate folder has ${problems.length} problem(s): ${problems.join('; ')}`, { problems });
  }
  return { resources, ...(ws !== undefined ? { workspace: ws } : {}) };
}
