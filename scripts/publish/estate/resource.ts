/**
 * The resources of an estate: what a folder holds and what a service holds, keyed by their ARM
 * path below the service (`apis/orders;rev=2/operations/list/policies/policy`,
 * `workspaces/team-a/policyFragments/auth`), so the folder and the service compare key by key.
 */
import type { PolicyScope } from '../../../policies/lint/types.js';

/** The kinds, in the order they are written (deletes run in reverse). */
export const KIND_ORDER = ['namedValue', 'fragment', 'global', 'product', 'api', 'operation'] as const;
export type EstateKind = (typeof KIND_ORDER)[number];

/**
 * The ids ARM accepts, from `@azure/arm-apimanagement` 10.0.0 (dist/commonjs/models/parameters.js,
 * generated from azure-rest-api-specs' apimanagement.json, api-version 2024-05-01):
 * - `apiId` (so revisions, `orders;rev=2`), `namedValueId`, `workspaceId`: `^[^*#&+:<>?]+$`,
 *   API and named value up to 256 characters, workspace up to 80;
 * - policy fragment `id`: `(^[\w]+$)|(^[\w][\w\-]+[\w]$)`, up to 80;
 * - `operationId` up to 80, `productId` up to 256 (no pattern: we apply the API one, stricter).
 * `/`, `\` and control characters are refused too: they would change the path.
 */
export type IdKind = 'api' | 'operation' | 'product' | 'fragment' | 'namedValue' | 'workspace';
const ARM_ID = /^[^*#&+:<>?/\\]+$/;
const FRAGMENT_ID = /(^[\w]+$)|(^[\w][\w-]+[\w]$)/;
const MAX: Record<IdKind, number> = { api: 256, operation: 80, product: 256, fragment: 80, namedValue: 256, workspace: 80 };
const hasControl = (s: string): boolean => [...s].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);

/** A problem with one id, or undefined when ARM would accept it (and it cannot escape its path segment). */
export function idProblem(label: string, id: string, kind: IdKind = 'api'): string | undefined {
  const pattern = kind === 'fragment' ? FRAGMENT_ID : ARM_ID;
  if (id.length === 0 || id.length > MAX[kind] || !pattern.test(id) || hasControl(id) || id === '.' || id === '..' || id.trim() !== id) {
    return kind === 'fragment'
      ? `${label} '${id}' is not a valid API Management identifier (ARM allows 1-80 letters, digits, _ and -, not starting or ending with -)`
      : `${label} '${id}' is not a valid API Management identifier (ARM allows 1-${MAX[kind]} characters, none of * # & + : < > ? /)`;
  }
  return undefined;
}

export interface ResourceRef {
  kind: EstateKind;
  /** ARM path below the service, segments unencoded. */
  path: string;
  /** For messages and the plan: `api orders;rev=2`, `named value tenant-id`. */
  label: string;
  /** The parent that must exist in the service (`apis/orders`), for product/api/operation policies. */
  parent?: string;
}

/** A policy (or fragment) in the folder. */
export interface LocalPolicy extends ResourceRef {
  kind: 'fragment' | 'global' | 'product' | 'api' | 'operation';
  /** Folder-relative file, for messages. */
  file: string;
  text: string;
  /** The lint scope. */
  scope: PolicyScope;
  /** Fragments only: the description from policyFragmentInformation.json. */
  description?: string;
  /** Fragments only: the fragment id `include-fragment` names. */
  fragmentId?: string;
}

/** Where a named value's value comes from: never the information file for a secret. */
export type NamedValueSource =
  | { from: 'file'; value: string }
  | { from: 'env'; variable: string; value: string }
  | { from: 'keyVault'; secretIdentifier: string; identityClientId?: string };

export interface LocalNamedValue extends ResourceRef {
  kind: 'namedValue';
  file: string;
  name: string;
  displayName: string;
  secret: boolean;
  tags: string[];
  source: NamedValueSource;
}

export type LocalResource = LocalPolicy | LocalNamedValue;

export interface LocalEstate {
  resources: LocalResource[];
  /** The workspace the folder is published to, when `--workspace` was given. */
  workspace?: string;
}

/** `workspaces/{ws}/` or ''. */
export function prefixFor(workspace: string | undefined): string {
  return workspace === undefined ? '' : `workspaces/${workspace}/`;
}

export function kindRank(kind: EstateKind): number {
  return KIND_ORDER.indexOf(kind);
}
