/**
 * The ARM edge of `policy publish`: {@link PolicyStore} on the estate publisher's ARM client
 * (estate/arm-client.ts) — one engine for one policy and for a whole estate: the same paths
 * (revisions `orders;rev=2`, `--workspace`), `If-None-Match: *` on create, `If-Match` on update,
 * the same bounded retries and long-running-operation polling. It takes a `TokenCredential`
 * (never creates one) and maps every failure to a {@link PublishError} carrying the HTTP status
 * and ARM's error code — never the request, whose headers hold the bearer token.
 */
import type { ApiManagementClient, ApiManagementClientOptionalParams } from '@azure/arm-apimanagement';
import { PublishError, PublishErrorCode } from './errors.js';
import type { PolicyFormat, PolicyStore, RemotePolicy, StoreCallOptions } from './store.js';
import { describeTarget, targetPath, type PublishTarget, type ServiceRef } from './target.js';
import { ArmResourceClient, type ArmResourceClientOptions } from './estate/arm-client.js';
import { EstateError, EstateErrorCode } from './estate/errors.js';

/** `@azure/core-auth`'s TokenCredential, named through the client so no undeclared package is imported. */
export type TokenCredential = ConstructorParameters<typeof ApiManagementClient>[0];

export interface ArmPolicyStoreOptions {
  credential: TokenCredential;
  service: ServiceRef;
  /** Publish into this workspace (`workspaces/{id}/…`). */
  workspace?: string;
  /** The ARM endpoint; default `https://management.azure.com`. Must be https: the SDK refuses to send a token over http. */
  endpoint?: string;
  /** Poll interval for long-running operations (policy fragments) when ARM gives no Retry-After; default 2 s. */
  pollIntervalInMs?: number;
  /** Passed to the client as is (retry options, TLS settings for a private endpoint, user agent). */
  clientOptions?: Omit<ApiManagementClientOptionalParams, 'endpoint' | 'baseUri'>;
  /** Retries and waits of the ARM client (see estate/arm-client.ts). */
  retry?: Pick<ArmResourceClientOptions, 'maxRetries' | 'retryDelayInMs' | 'maxRetryAfterInMs' | 'maxPolls' | 'sleep'>;
}

/** An estate error as `policy publish` reports it: the target's label, the same status and ARM code. */
function publishFailure(what: string, err: unknown): PublishError {
  if (err instanceof PublishError) return err;
  if (!(err instanceof EstateError)) return new PublishError(PublishErrorCode.Arm, `${what}: ${err instanceof Error ? err.message.split('\n', 1)[0] : String(err)}`);
  const { status, armCode } = err.details;
  const details = { ...(status !== undefined ? { status } : {}), ...(armCode !== undefined ? { armCode } : {}) };
  if (err.code === EstateErrorCode.PreconditionFailed) {
    return new PublishError(PublishErrorCode.PreconditionFailed, `${what}: the policy changed in API Management since it was read (412 ${armCode ?? 'PreconditionFailed'}); run again to compare with the new version`, details);
  }
  // the estate message starts with its own label (`writing apis/x/policies/policy: …`): name the target instead
  const reason = err.message.replace(/^[^:]*: /, '');
  const code = err.code === EstateErrorCode.RemoteMalformed ? PublishErrorCode.RemoteMalformed : PublishErrorCode.Arm;
  return new PublishError(code, `${what}: ${reason}`, details, { cause: err });
}

export class ArmPolicyStore implements PolicyStore {
  readonly arm: ArmResourceClient;
  readonly #workspace: string | undefined;

  constructor(options: ArmPolicyStoreOptions) {
    this.#workspace = options.workspace;
    this.arm = new ArmResourceClient({
      credential: options.credential,
      service: options.service,
      ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
      ...(options.clientOptions ? { clientOptions: options.clientOptions } : {}),
      ...(options.pollIntervalInMs !== undefined ? { pollIntervalInMs: options.pollIntervalInMs } : {}),
      ...options.retry,
    });
  }

  get client(): ApiManagementClient {
    return this.arm.client;
  }

  async read(target: PublishTarget, options: StoreCallOptions = {}): Promise<RemotePolicy | undefined> {
    const what = `reading ${describeTarget(target)}`;
    try {
      const got = await this.arm.get(targetPath(target, this.#workspace), { format: 'rawxml' }, options);
      if (!got) return undefined;
      const value = (got.body.properties as { value?: unknown } | undefined)?.value;
      if (typeof value !== 'string') throw new PublishError(PublishErrorCode.RemoteMalformed, `${what}: ARM answered without a policy value`);
      return { value, etag: got.etag };
    } catch (err) {
      throw publishFailure(what, err);
    }
  }

  async write(target: PublishTarget, value: string, format: PolicyFormat, ifMatch: string | undefined, options: StoreCallOptions = {}): Promise<void> {
    try {
      // no ETag read means the policy is absent: create only, so one created meanwhile is not overwritten
      await this.arm.put(targetPath(target, this.#workspace), { properties: { value, format } }, ifMatch !== undefined ? { ifMatch } : { ifNoneMatch: '*' }, options);
    } catch (err) {
      throw publishFailure(`publishing ${describeTarget(target)}`, err);
    }
  }

  async namedValues(options: StoreCallOptions = {}): Promise<ReadonlySet<string>> {
    const prefix = this.#workspace === undefined ? '' : `workspaces/${this.#workspace}/`;
    const names = new Set<string>();
    try {
      for (const nv of await this.arm.list(`${prefix}namedValues`, options)) {
        // policies reference a named value by its display name
        const display = (nv.properties as { displayName?: unknown } | undefined)?.displayName;
        const name = typeof display === 'string' ? display : typeof nv.name === 'string' ? nv.name : undefined;
        if (name) names.add(name);
      }
    } catch (err) {
      throw publishFailure('listing named values', err);
    }
    return names;
  }
}
