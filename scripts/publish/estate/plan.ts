/**
 * Planning an estate publish, pure: the folder's resources against the service's, checked
 * (every policy parses and lints clean at its scope, every `{{named value}}`, `include-fragment`
 * and parent resolves) before anything is written, then ordered: named values → fragments →
 * global → products → APIs → operations; deletes (only with `prune`) in reverse.
 * A plan never holds a secret value in what it prints: the write body is kept apart (`body`)
 * and the printers (format.ts) never read it.
 */
import type { XmlElement, XmlNode } from '../../../policies/xml/tree.js';
import { attr, isExpression } from '../../../policies/xml/tree.js';
import { semanticEqual } from '../../../policies/model/equal.js';
import { canonicalText } from '../canonical.js';
import { unifiedDiff } from '../diff.js';
import { referencedNamedValues } from '../named-values.js';
import { chooseWireForm } from '../plan.js';
import type { PolicyCodec, PublishLintFinding } from '../publish.js';
import type { PolicyScope } from '../../../policies/lint/types.js';
import { EstateError, EstateErrorCode } from './errors.js';
import { kindRank, type EstateKind, type LocalEstate, type LocalNamedValue, type LocalPolicy } from './resource.js';
import type { RemoteEstate, RemoteNamedValueEntry, RemotePolicyEntry } from './read-service.js';

export type EstateAction = 'create' | 'update' | 'delete' | 'unchanged';

export interface PlanItem {
  kind: EstateKind;
  path: string;
  label: string;
  action: EstateAction;
  /** Folder-relative file (absent for a delete). */
  file?: string;
  /** Unified diff of a changed policy; '' otherwise. */
  diff: string;
  /** What changed on a named value: field names only, never values. */
  changed?: string[];
  /** The ETag read: If-Match on update and delete; create sends If-None-Match: *. */
  etag?: string;
  /** The PUT body (may hold a secret: never printed, logged or serialized by the printers). */
  body?: unknown;
  findings: PublishLintFinding[];
}

export interface EstatePlan {
  /** Writes in apply order, then deletes in reverse order; unchanged ones included (for the listing). */
  items: PlanItem[];
  /** Service resources the folder does not have, left alone because `prune` was not asked. */
  kept: Array<{ kind: EstateKind; path: string; label: string }>;
}

export interface PlanEstateOptions {
  codec: PolicyCodec;
  lint: (root: XmlElement, scope: PolicyScope) => PublishLintFinding[];
  force?: boolean;
  prune?: boolean;
}

function includedFragments(root: XmlNode, out = new Set<string>()): Set<string> {
  if (root.kind !== 'element') return out;
  if (root.name === 'include-fragment') {
    const id = attr(root, 'fragment-id');
    if (typeof id === 'string' && !isExpression(id)) out.add(id);
  }
  for (const c of root.children) includedFragments(c, out);
  return out;
}

function labelFor(kind: EstateKind, path: string): string {
  const m = path.match(/^(?:workspaces\/([^/]+)\/)?(.*)$/)!;
  const ws = m[1] ? ` (workspace ${m[1]})` : '';
  const p = m[2]!.split('/');
  switch (kind) {
    case 'namedValue':
      return `named value ${p[1]}${ws}`;
    case 'fragment':
      return `fragment ${p[1]}${ws}`;
    case 'global':
      return m[1] ? `workspace ${m[1]} policy` : 'global policy';
    case 'product':
      return `product ${p[1]}${ws}`;
    case 'api':
      return `api ${p[1]}${ws}`;
    case 'operation':
      return `operation ${p[1]}/${p[3]}${ws}`;
  }
}

function planNamedValue(nv: LocalNamedValue, remote: RemoteNamedValueEntry | undefined): PlanItem {
  const properties: Record<string, unknown> = { displayName: nv.displayName, secret: nv.secret, tags: nv.tags };
  if (nv.source.from === 'keyVault') properties.keyVault = { secretIdentifier: nv.source.secretIdentifier, ...(nv.source.identityClientId ? { identityClientId: nv.source.identityClientId } : {}) };
  else properties.value = nv.source.value;
  const base = { kind: nv.kind, path: nv.path, label: nv.label, file: nv.file, diff: '', body: { properties }, findings: [] };
  if (!remote) return { ...base, action: 'create', changed: [] };
  const changed: string[] = [];
  if (remote.displayName !== nv.displayName) changed.push('displayName');
  if (remote.secret !== nv.secret) changed.push('secret');
  if (remote.tags.join('\n') !== nv.tags.join('\n')) changed.push('tags');
  switch (nv.source.from) {
    case 'file':
      if (remote.keyVault || remote.value !== nv.source.value) changed.push('value');
      break;
    case 'env':
      if (remote.keyVault || remote.secretValue !== nv.source.value) changed.push(`value (secret, from ${nv.source.variable})`);
      break;
    case 'keyVault':
      if (remote.keyVault?.secretIdentifier !== nv.source.secretIdentifier || (remote.keyVault?.identityClientId ?? '') !== (nv.source.identityClientId ?? '')) changed.push('keyVault');
      break;
  }
  return { ...base, action: changed.length === 0 ? 'unchanged' : 'update', changed, ...(remote.etag !== undefined ? { etag: remote.etag } : {}) };
}

/** Fragments that include fragments of the folder come after them. */
function orderFragments<T extends { p: LocalPolicy; includes: Set<string> }>(frags: T[]): T[] {
  const byId = new Map(frags.map((f) => [f.p.fragmentId!, f]));
  const done = new Set<string>();
  const out: T[] = [];
  const visit = (f: T, stack: Set<string>): void => {
    const id = f.p.fragmentId!;
    if (done.has(id) || stack.has(id)) return;
    stack.add(id);
    for (const dep of [...f.includes].sort()) {
      const d = byId.get(dep);
      if (d) visit(d, stack);
    }
    done.add(id);
    out.push(f);
  };
  for (const f of frags) visit(f, new Set());
  return out;
}

export function planEstate(local: LocalEstate, remote: RemoteEstate, o: PlanEstateOptions): EstatePlan {
  const problems: string[] = [];
  const lintProblems: string[] = [];
  const parsed: Array<{ p: LocalPolicy; root: XmlElement; findings: PublishLintFinding[]; includes: Set<string> }> = [];
  for (const r of local.resources) {
    if (r.kind === 'namedValue') continue;
    let root: XmlElement;
    try {
      root = o.codec.parse(r.text);
    } catch (err) {
      const e = err as { line?: number; column?: number; message?: string };
      problems.push(`${r.file}${e.line !== undefined ? `:${e.line}:${e.column ?? 0}` : ''}: ${e.message ?? String(err)}`);
      continue;
    }
    const want = r.kind === 'fragment' ? 'fragment' : 'policies';
    if (root.name !== want) {
      problems.push(`${r.file}: the root element is <${root.name}>, a ${r.kind === 'fragment' ? 'policy fragment' : 'policy'} has <${want}>`);
      continue;
    }
    const findings = o.lint(root, r.scope);
    for (const f of findings) if (f.severity === 'error') lintProblems.push(`${r.file}${f.line !== undefined ? `:${f.line}` : ''}: ${f.rule} ${f.message}`);
    parsed.push({ p: r, root, findings, includes: includedFragments(root) });
  }
  if (problems.length > 0) throw new EstateError(EstateErrorCode.Malformed, `${problems.length} polic${problems.length === 1 ? 'y does' : 'ies do'} not parse: ${problems.join('; ')}`, { problems });
  if (lintProblems.length > 0 && !o.force) throw new EstateError(EstateErrorCode.LintErrors, `lint errors (publish refused; --force publishes anyway): ${lintProblems.join('; ')}`, { problems: lintProblems });

  // every reference resolves in the folder or the service
  const localNamed = new Set(local.resources.filter((r): r is LocalNamedValue => r.kind === 'namedValue').map((r) => r.displayName));
  const localFrags = new Set(parsed.filter((x) => x.p.kind === 'fragment').map((x) => x.p.fragmentId!));
  const missingNv = new Map<string, Set<string>>();
  const missingFrag = new Map<string, Set<string>>();
  const missingParent: string[] = [];
  // with prune, what the folder lacks is deleted: references must then resolve in the folder alone
  const remoteNamed = o.prune ? new Set<string>() : remote.namedValueDisplayNames;
  const remoteFrags = o.prune ? new Set<string>() : remote.fragmentIds;
  for (const x of parsed) {
    for (const n of referencedNamedValues(x.root)) if (!localNamed.has(n) && !remoteNamed.has(n)) (missingNv.get(n) ?? missingNv.set(n, new Set()).get(n)!).add(x.p.file);
    for (const f of x.includes) if (!localFrags.has(f) && !remoteFrags.has(f)) (missingFrag.get(f) ?? missingFrag.set(f, new Set()).get(f)!).add(x.p.file);
    if (x.p.parent !== undefined && !remote.parents.has(x.p.parent)) missingParent.push(`${x.p.label} (${x.p.file}): ${x.p.parent} does not exist in the service`);
  }
  const where = (m: Map<string, Set<string>>): string => [...m].sort(([a], [b]) => (a < b ? -1 : 1)).map(([n, files]) => `${n} (in ${[...files].sort().join(', ')})`).join('; ');
  const scope = o.prune ? 'the folder does not define (--prune would delete them from the service)' : 'neither the folder nor the service define';
  if (missingNv.size > 0) throw new EstateError(EstateErrorCode.MissingNamedValues, `named values ${scope}: ${where(missingNv)}`, { missing: [...missingNv.keys()].sort() });
  if (missingFrag.size > 0) throw new EstateError(EstateErrorCode.MissingFragments, `policy fragments ${scope}: ${where(missingFrag)}`, { missing: [...missingFrag.keys()].sort() });
  if (missingParent.length > 0) throw new EstateError(EstateErrorCode.MissingParent, `policies for resources the service does not have (create them first): ${missingParent.join('; ')}`, { missing: missingParent });

  const items: PlanItem[] = [];
  for (const r of local.resources) if (r.kind === 'namedValue') items.push(planNamedValue(r, remote.entries.get(r.path) as RemoteNamedValueEntry | undefined));
  const frags = orderFragments(parsed.filter((x) => x.p.kind === 'fragment'));
  const others = parsed.filter((x) => x.p.kind !== 'fragment');
  for (const x of [...frags, ...others]) {
    const { p, root } = x;
    const rem = remote.entries.get(p.path) as RemotePolicyEntry | undefined;
    let remRoot: XmlElement | undefined;
    if (rem) {
      try {
        remRoot = o.codec.parse(rem.value);
      } catch (err) {
        throw new EstateError(EstateErrorCode.RemoteMalformed, `the ${p.label} in API Management cannot be parsed: ${err instanceof Error ? err.message : String(err)}`, { path: p.path });
      }
    }
    const wire = chooseWireForm({ raw: o.codec.write(root, 'raw'), xml: o.codec.write(root, 'xml') });
    const properties: Record<string, unknown> = { value: wire.value, format: wire.format };
    if (p.kind === 'fragment' && p.description !== undefined) properties.description = p.description;
    const sameDescription = p.kind !== 'fragment' || (p.description ?? '') === (rem?.description ?? '');
    const base = { kind: p.kind, path: p.path, label: p.label, file: p.file, body: { properties }, findings: x.findings };
    if (rem && remRoot && semanticEqual(remRoot, root) && sameDescription) {
      items.push({ ...base, action: 'unchanged', diff: '', ...(rem.etag !== undefined ? { etag: rem.etag } : {}) });
      continue;
    }
    let diff = unifiedDiff(remRoot ? canonicalText(remRoot) : '', canonicalText(root), { fromLabel: `apim: ${p.path}${rem ? '' : ' (none)'}`, toLabel: `local: ${p.file}` });
    if (diff === '' && !sameDescription) diff = `--- apim: ${p.path}\n+++ local: ${p.file}\n(description changed)\n`;
    if (diff === '') diff = `--- apim: ${p.path}\n+++ local: ${p.file}\n(the policies differ in a way the canonical text does not show)\n`;
    items.push({ ...base, action: rem ? 'update' : 'create', diff, ...(rem?.etag !== undefined ? { etag: rem.etag } : {}) });
  }
  items.sort((a, b) => kindRank(a.kind) - kindRank(b.kind)); // stable: fragment order kept

  const localPaths = new Set(local.resources.map((r) => r.path));
  const extra = [...remote.entries.values()].filter((e) => !localPaths.has(e.path)).sort((a, b) => kindRank(b.kind) - kindRank(a.kind) || (a.path < b.path ? -1 : 1));
  const kept: EstatePlan['kept'] = [];
  for (const e of extra) {
    const label = labelFor(e.kind, e.path);
    if (o.prune) items.push({ kind: e.kind, path: e.path, label, action: 'delete', diff: '', ...(e.etag !== undefined ? { etag: e.etag } : {}), findings: [] });
    else kept.push({ kind: e.kind, path: e.path, label });
  }
  return { items, kept };
}
