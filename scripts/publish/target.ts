/**
 * Where a policy goes in one API Management service: the four policy scopes and policy fragments.
 */
import { idProblem, type IdKind } from './estate/resource.js';

/** The service that holds the policy. */
export interface ServiceRef {
  subscriptionId: string;
  resourceGroup: string;
  serviceName: string;
}

export type PublishTarget =
  | { scope: 'global' }
  | { scope: 'product'; productId: string }
  | { scope: 'api'; apiId: string }
  | { scope: 'operation'; apiId: string; operationId: string }
  | { scope: 'fragment'; fragmentId: string };

export type PublishScope = PublishTarget['scope'];

/** The selectors a caller (the CLI) may combine; exactly one target must result. */
export interface TargetSelectors {
  global?: boolean;
  productId?: string;
  apiId?: string;
  operationId?: string;
  fragmentId?: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Resource group names: up to 90 of letters, digits, `_ - . ( )`, not ending in `.`. */
const RESOURCE_GROUP = /^[-\w.()]{0,89}[-\w()]$/;
/** Service names: 1–50 letters, digits and `-`, starting with a letter. */
const SERVICE = /^[A-Za-z][A-Za-z0-9-]{0,49}$/;

/** Returns the problem with one identifier, or undefined when ARM accepts it (see estate/resource.ts: revisions `orders;rev=2` are API ids). */
function checkId(label: string, value: string | undefined, kind: IdKind): string | undefined {
  return value === undefined ? undefined : idProblem(label, value, kind);
}

/**
 * Resolves selectors to exactly one target. Returns the target, or the list of problems
 * (the caller turns them into one error that names them all).
 */
export function resolveTarget(sel: TargetSelectors): { target: PublishTarget } | { problems: string[] } {
  const problems: string[] = [];
  for (const [label, v, kind] of [
    ['--api', sel.apiId, 'api'],
    ['--operation', sel.operationId, 'operation'],
    ['--product', sel.productId, 'product'],
    ['--fragment', sel.fragmentId, 'fragment'],
  ] as const) {
    const p = checkId(label, v, kind);
    if (p) problems.push(p);
  }
  const chosen = [
    sel.global ? '--global' : undefined,
    sel.productId !== undefined ? '--product' : undefined,
    sel.apiId !== undefined ? '--api' : undefined,
    sel.fragmentId !== undefined ? '--fragment' : undefined,
  ].filter((x): x is string => x !== undefined);
  if (sel.operationId !== undefined && sel.apiId === undefined) problems.push('--operation needs --api');
  if (chosen.length === 0) problems.push('choose one target: --global, --product ID, --api ID [--operation ID] or --fragment NAME');
  if (chosen.length > 1) problems.push(`choose one target, not ${chosen.join(' and ')}`);
  if (problems.length > 0) return { problems };
  if (sel.global) return { target: { scope: 'global' } };
  if (sel.productId !== undefined) return { target: { scope: 'product', productId: sel.productId } };
  if (sel.fragmentId !== undefined) return { target: { scope: 'fragment', fragmentId: sel.fragmentId } };
  if (sel.operationId !== undefined) return { target: { scope: 'operation', apiId: sel.apiId!, operationId: sel.operationId } };
  return { target: { scope: 'api', apiId: sel.apiId! } };
}

/** Problems with a service reference (ARM rejects these late and less clearly). */
export function serviceProblems(svc: Partial<ServiceRef>): string[] {
  const problems: string[] = [];
  if (!svc.subscriptionId) problems.push('--subscription (or AZURE_SUBSCRIPTION_ID) is required');
  else if (!UUID.test(svc.subscriptionId)) problems.push(`subscription '${svc.subscriptionId}' is not a subscription id (a UUID)`);
  if (!svc.resourceGroup) problems.push('--resource-group (or AZURE_RESOURCE_GROUP) is required');
  else if (!RESOURCE_GROUP.test(svc.resourceGroup)) problems.push(`resource group '${svc.resourceGroup}' is not a valid name`);
  if (!svc.serviceName) problems.push('--service (or APIM_SERVICE_NAME) is required');
  else if (!SERVICE.test(svc.serviceName)) problems.push(`service '${svc.serviceName}' is not a valid API Management service name`);
  return problems;
}

/** A short human label: `global`, `product starter`, `api orders`, `operation orders/list`, `fragment auth`. */
export function describeTarget(t: PublishTarget): string {
  switch (t.scope) {
    case 'global':
      return 'global policy';
    case 'product':
      return `product ${t.productId}`;
    case 'api':
      return `api ${t.apiId}`;
    case 'operation':
      return `operation ${t.apiId}/${t.operationId}`;
    case 'fragment':
      return `fragment ${t.fragmentId}`;
  }
}

/** The ARM path of a target below the service (or below `workspaces/{workspace}/`), segments unencoded. */
export function targetPath(t: PublishTarget, workspace?: string): string {
  const prefix = workspace === undefined ? '' : `workspaces/${workspace}/`;
  switch (t.scope) {
    case 'global':
      return `${prefix}policies/policy`;
    case 'product':
      return `${prefix}products/${t.productId}/policies/policy`;
    case 'api':
      return `${prefix}apis/${t.apiId}/policies/policy`;
    case 'operation':
      return `${prefix}apis/${t.apiId}/operations/${t.operationId}/policies/policy`;
    case 'fragment':
      return `${prefix}policyFragments/${t.fragmentId}`;
  }
}
