/**
 * The ARM edge: {@link PolicyStore} over the real `@azure/arm-apimanagement` client. The only
 * module of `scripts/publish/` that talks to the network. It takes a `TokenCredential` (never
 * creates one), and maps every ARM failure to a {@link PublishError} carrying the HTTP status
 * and ARM's error code — never the request, whose headers hold the bearer token.
 */
import { ApiManagementClient, type ApiManagementClientOptionalParams } from '@azure/arm-apimanagement';
import { PublishError, PublishErrorCode } from './errors.js';
import type { PolicyFormat, PolicyStore, RemotePolicy, StoreCallOptions } from './store.js';
import { describeTarget, type PublishTarget, type ServiceRef } from './target.js';

/** `@azure/core-auth`'s TokenCredential, named through the client so no undeclared package is imported. */
export type TokenCredential = ConstructorParameters<typeof ApiManagementClient>[0];

/** The one policy id APIM knows. */
const POLICY_ID = 'policy';

export interface ArmPolicyStoreOptions {
  credential: TokenCredential;
  service: ServiceRef;
  /** The ARM endpoint; default `https://management.azure.com`. Must be https: the SDK refuses to send a token over http. */
  endpoint?: string;
  /** Poll interval for long-running operations (policy fragments); default the SDK's (2 s). */
  pollIntervalInMs?: number;
  /** Passed to the client as is (retry options, TLS settings for a private endpoint, user agent). */
  clientOptions?: Omit<ApiManagementClientOptionalParams, 'endpoint' | 'baseUri'>;
}

interface RestErrorLike {
  name: string;
  statusCode?: number;
  code?: string;
  message: string;
}

function isRestError(e: unknown): e is RestErrorLike {
  return e instanceof Error && e.name === 'RestError';
}

/** Turns whatever the SDK threw into a PublishError, keeping only status, ARM code and message. */
function armFailure(what: string, err: unknown): PublishError {
  if (err instanceof PublishError) return err;
  if (isRestError(err)) {
    const status = err.statusCode;
    const armCode = err.code;
    if (status === 412) {
      return new PublishError(
        PublishErrorCode.PreconditionFailed,
        `${what}: the policy changed in API Management since it was read (412 ${armCode ?? 'PreconditionFailed'}); run again to compare with the new version`,
        { status, ...(armCode ? { armCode } : {}) },
      );
    }
    const head = status !== undefined ? `ARM answered ${status}${armCode ? ` ${armCode}` : ''}` : `ARM request failed${armCode ? ` (${armCode})` : ''}`;
    return new PublishError(PublishErrorCode.Arm, `${what}: ${head}: ${firstLine(err.message)}`, {
      ...(status !== undefined ? { status } : {}),
      ...(armCode ? { armCode } : {}),
    });
  }
  if (err instanceof Error && err.name === 'AbortError') {
    return new PublishError(PublishErrorCode.Arm, `${what}: cancelled`, { armCode: 'Aborted' });
  }
  if (err instanceof Error && /AuthenticationError|CredentialUnavailableError/.test(err.name)) {
    return new PublishError(PublishErrorCode.Arm, `${what}: no token for ARM: ${firstLine(err.message)} (sign in with the Azure CLI, or provide a managed or workload identity)`, {
      armCode: 'CredentialUnavailable',
    });
  }
  // anything else: the message is the SDK's, which never holds the token
  return new PublishError(PublishErrorCode.Arm, `${what}: ${err instanceof Error ? firstLine(err.message) : String(err)}`);
}

function firstLine(s: string): string {
  const line = s.split('\n', 1)[0] ?? '';
  return line.length > 500 ? `${line.slice(0, 500)}…` : line;
}

/** The JSON body of an ARM answer, whatever the generated client made of it. */
function rawContract(r: { bodyAsText?: string | null; parsedBody?: unknown }): { properties?: { value?: unknown } } | undefined {
  if (typeof r.bodyAsText === 'string' && r.bodyAsText.trimStart().startsWith('{')) {
    try {
      return JSON.parse(r.bodyAsText) as { properties?: { value?: unknown } };
    } catch {
      return undefined;
    }
  }
  const body = r.parsedBody;
  return typeof body === 'object' && body !== null ? (body as { properties?: { value?: unknown } }) : undefined;
}

function isNotFound(err: unknown): boolean {
  return isRestError(err) && err.statusCode === 404;
}

export class ArmPolicyStore implements PolicyStore {
  readonly client: ApiManagementClient;
  readonly #service: ServiceRef;
  readonly #pollIntervalInMs: number | undefined;

  constructor(options: ArmPolicyStoreOptions) {
    const { credential, service, endpoint, clientOptions } = options;
    this.#service = service;
    this.#pollIntervalInMs = options.pollIntervalInMs;
    this.client = new ApiManagementClient(credential, service.subscriptionId, {
      ...clientOptions,
      // the token scope follows the endpoint (`<endpoint>/.default`, right for sovereign clouds) unless clientOptions.credentialScopes says otherwise
      ...(endpoint !== undefined ? { endpoint } : {}),
    });
  }

  async read(target: PublishTarget, options: StoreCallOptions = {}): Promise<RemotePolicy | undefined> {
    const { resourceGroup: rg, serviceName: svc } = this.#service;
    const c = this.client;
    // Azure/azure-sdk-for-js#31566: apiPolicy.get is generated in XML mode and drops
    // `properties.value` of ARM's JSON answer; read it from the raw response for every scope.
    let raw: { properties?: { value?: unknown } } | undefined;
    const opts = {
      format: 'rawxml',
      abortSignal: options.abortSignal,
      onResponse: (r: { bodyAsText?: string | null; parsedBody?: unknown }) => {
        raw = rawContract(r);
      },
    };
    try {
      let got: { value?: string; eTag?: string };
      switch (target.scope) {
        case 'global':
          got = await c.policy.get(rg, svc, POLICY_ID, opts);
          break;
        case 'product':
          got = await c.productPolicy.get(rg, svc, target.productId, POLICY_ID, opts);
          break;
        case 'api':
          got = await c.apiPolicy.get(rg, svc, target.apiId, POLICY_ID, opts);
          break;
        case 'operation':
          got = await c.apiOperationPolicy.get(rg, svc, target.apiId, target.operationId, POLICY_ID, opts);
          break;
        case 'fragment':
          got = await c.policyFragment.get(rg, svc, target.fragmentId, opts);
          break;
      }
      const value = got.value ?? (typeof raw?.properties?.value === 'string' ? raw.properties.value : undefined);
      if (value === undefined) throw new PublishError(PublishErrorCode.RemoteMalformed, `reading ${describeTarget(target)}: ARM answered without a policy value`);
      return { value, etag: got.eTag };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw armFailure(`reading ${describeTarget(target)}`, err);
    }
  }

  async write(target: PublishTarget, value: string, format: PolicyFormat, ifMatch: string | undefined, options: StoreCallOptions = {}): Promise<void> {
    const { resourceGroup: rg, serviceName: svc } = this.#service;
    const c = this.client;
    const body = { value, format };
    const opts = { ifMatch, abortSignal: options.abortSignal };
    try {
      switch (target.scope) {
        case 'global':
          await c.policy.createOrUpdate(rg, svc, POLICY_ID, body, opts);
          return;
        case 'product':
          await c.productPolicy.createOrUpdate(rg, svc, target.productId, POLICY_ID, body, opts);
          return;
        case 'api':
          await c.apiPolicy.createOrUpdate(rg, svc, target.apiId, POLICY_ID, body, opts);
          return;
        case 'operation':
          await c.apiOperationPolicy.createOrUpdate(rg, svc, target.apiId, target.operationId, POLICY_ID, body, opts);
          return;
        case 'fragment':
          // a long-running operation: the SDK polls until ARM reports a terminal state
          await c.policyFragment.beginCreateOrUpdateAndWait(rg, svc, target.fragmentId, body, {
            ...opts,
            ...(this.#pollIntervalInMs !== undefined ? { updateIntervalInMs: this.#pollIntervalInMs } : {}),
          });
          return;
      }
    } catch (err) {
      throw armFailure(`publishing ${describeTarget(target)}`, err);
    }
  }

  async namedValues(options: StoreCallOptions = {}): Promise<ReadonlySet<string>> {
    const { resourceGroup: rg, serviceName: svc } = this.#service;
    const names = new Set<string>();
    try {
      for await (const nv of this.client.namedValue.listByService(rg, svc, { abortSignal: options.abortSignal })) {
        // policies reference a named value by its display name
        const name = nv.displayName ?? nv.name;
        if (name) names.add(name);
      }
    } catch (err) {
      throw armFailure('listing named values', err);
    }
    return names;
  }
}
