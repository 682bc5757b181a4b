/**
 * Reads what one service (or workspace) holds of an estate: named values, policy fragments and
 * the policies at every scope, each with its ETag, keyed by the same ARM paths as the folder.
 * Policies are read with `format=rawxml` (expressions unescaped, the form APIOps extracts).
 * Which APIs, products and operations exist is read too: a policy can only be set on those.
 */
import type { ArmResourceClient, CallOptions } from './arm-client.js';
import { EstateError, EstateErrorCode } from './errors.js';
import { prefixFor, type EstateKind, type LocalEstate } from './resource.js';

export interface RemotePolicyEntry {
  kind: 'fragment' | 'global' | 'product' | 'api' | 'operation';
  path: string;
  etag: string | undefined;
  /** Raw policy text. */
  value: string;
  description?: string;
}

export interface RemoteNamedValueEntry {
  kind: 'namedValue';
  path: string;
  name: string;
  etag: string | undefined;
  displayName: string;
  secret: boolean;
  tags: string[];
  /** Non-secret values only (ARM does not return secret ones). */
  value?: string;
  keyVault?: { secretIdentifier?: string; identityClientId?: string };
  /** A secret's value, read with listValue only to compare with the environment's; never printed. */
  secretValue?: string;
}

export type RemoteEntry = RemotePolicyEntry | RemoteNamedValueEntry;

export interface RemoteEstate {
  entries: Map<string, RemoteEntry>;
  /** Paths of products, APIs (revisions) and operations that exist. */
  parents: Set<string>;
  namedValueDisplayNames: Set<string>;
  fragmentIds: Set<string>;
}

function props(body: Record<string, unknown>): Record<string, unknown> {
  const p = body.properties;
  return typeof p === 'object' && p !== null ? (p as Record<string, unknown>) : {};
}

function nameOf(item: Record<string, unknown>): string | undefined {
  return typeof item.name === 'string' ? item.name : undefined;
}

export interface ReadServiceOptions extends CallOptions {
  /** The folder's estate: APIs and operations it names are read even if ARM's list does not show them (revisions). */
  local?: LocalEstate;
  workspace?: string;
}

export async function readServiceEstate(arm: ArmResourceClient, o: ReadServiceOptions = {}): Promise<RemoteEstate> {
  const prefix = prefixFor(o.workspace);
  const call = { ...(o.abortSignal ? { abortSignal: o.abortSignal } : {}) };
  const entries = new Map<string, RemoteEntry>();
  const parents = new Set<string>();
  const namedValueDisplayNames = new Set<string>();
  const fragmentIds = new Set<string>();
  const envSecrets = new Set((o.local?.resources ?? []).filter((r) => r.kind === 'namedValue' && r.source.from === 'env').map((r) => r.path));

  const policy = async (kind: EstateKind & RemotePolicyEntry['kind'], path: string): Promise<void> => {
    const got = await arm.get(path, { format: 'rawxml' }, call);
    if (!got) return;
    const p = props(got.body);
    if (typeof p.value !== 'string') throw new EstateError(EstateErrorCode.RemoteMalformed, `reading ${path}: ARM answered without a policy value`, { path });
    entries.set(path, { kind, path, etag: got.etag, value: p.value, ...(typeof p.description === 'string' && p.description !== '' ? { description: p.description } : {}) });
  };

  // named values: listed for their display names, then read one by one for the ETag
  for (const item of await arm.list(`${prefix}namedValues`, call)) {
    const name = nameOf(item);
    if (!name) continue;
    const listed = props(item);
    namedValueDisplayNames.add(typeof listed.displayName === 'string' ? listed.displayName : name);
    const path = `${prefix}namedValues/${name}`;
    const got = await arm.get(path, {}, call);
    if (!got) continue;
    const p = props(got.body);
    const kv = p.keyVault as { secretIdentifier?: unknown; identityClientId?: unknown } | undefined;
    const entry: RemoteNamedValueEntry = {
      kind: 'namedValue', path, name, etag: got.etag,
      displayName: typeof p.displayName === 'string' ? p.displayName : name,
      secret: p.secret === true,
      tags: Array.isArray(p.tags) ? p.tags.filter((t): t is string => typeof t === 'string').sort() : [],
      ...(typeof p.value === 'string' ? { value: p.value } : {}),
      ...(kv && typeof kv.secretIdentifier === 'string' ? { keyVault: { secretIdentifier: kv.secretIdentifier, ...(typeof kv.identityClientId === 'string' ? { identityClientId: kv.identityClientId } : {}) } } : {}),
    };
    if (entry.secret && !entry.keyVault && envSecrets.has(path)) {
      // Named Value - List Value: the only way to compare a secret; the value stays in memory
      const v = await arm.post(`${path}/listValue`, call);
      if (typeof v.value === 'string') entry.secretValue = v.value;
    }
    entries.set(path, entry);
  }
  // policy fragments
  for (const item of await arm.list(`${prefix}policyFragments`, call)) {
    const name = nameOf(item);
    if (!name) continue;
    fragmentIds.add(name);
    await policy('fragment', `${prefix}policyFragments/${name}`);
  }
  // the service (workspace) policy
  await policy('global', `${prefix}policies/policy`);
  // products
  for (const item of await arm.list(`${prefix}products`, call)) {
    const name = nameOf(item);
    if (!name) continue;
    parents.add(`${prefix}products/${name}`);
    await policy('product', `${prefix}products/${name}/policies/policy`);
  }
  // APIs: the listed ones, and every one the folder names (a revision `orders;rev=2` is its own id)
  const apis = new Set<string>();
  for (const item of await arm.list(`${prefix}apis`, call)) {
    const name = nameOf(item);
    if (name) apis.add(name);
  }
  for (const r of o.local?.resources ?? []) {
    const m = r.parent?.slice(prefix.length).match(/^apis\/([^/]+)/);
    if (m && !apis.has(m[1]!) && (await arm.get(`${prefix}apis/${m[1]}`, {}, call))) apis.add(m[1]!);
  }
  for (const api of [...apis].sort()) {
    parents.add(`${prefix}apis/${api}`);
    await policy('api', `${prefix}apis/${api}/policies/policy`);
    for (const item of await arm.list(`${prefix}apis/${api}/operations`, call)) {
      const op = nameOf(item);
      if (!op) continue;
      parents.add(`${prefix}apis/${api}/operations/${op}`);
      await policy('operation', `${prefix}apis/${api}/operations/${op}/policies/policy`);
    }
  }
  return { entries, parents, namedValueDisplayNames, fragmentIds };
}
