/**
 * ARM requests for any resource of one API Management service, through the real
 * `@azure/arm-apimanagement` client's pipeline (its bearer-token policy, TLS options and user
 * agent), addressed by path below the service — so workspaces (`workspaces/{id}/…`) and
 * revisions (`apis/orders;rev=2/…`) need no per-kind method. The only module of the estate
 * publisher that talks to the network. Every failure becomes an {@link EstateError} carrying the
 * status and ARM's error code, never the request (whose headers hold the token).
 *
 * Retries (bounded, `maxRetries`, each wait honouring `Retry-After`):
 * - 429: ARM throttling answers with Retry-After —
 *   https://learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling
 * - 409 `PessimisticConcurrencyConflict` ("Operation on the API is in progress"): transient, APIM
 *   releases the lock — Azure/apiops#379, retried there since Azure/apiops#799;
 * - 500, 502, 503, 504: https://learn.microsoft.com/azure/architecture/best-practices/retry-service-specific
 * A Retry-After longer than `maxRetryAfterInMs` is not waited out: the call fails (stricter).
 * Long-running operations (`Azure-AsyncOperation`, else `Location`) are polled, bounded, and only
 * on the ARM endpoint's own origin (the token is never sent elsewhere):
 * https://learn.microsoft.com/azure/azure-resource-manager/management/async-operations
 */
import { ApiManagementClient, type ApiManagementClientOptionalParams } from '@azure/arm-apimanagement';
import { createHttpHeaders, createPipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';
import { EstateError, EstateErrorCode } from './errors.js';
import type { ServiceRef } from '../target.js';

export type TokenCredential = ConstructorParameters<typeof ApiManagementClient>[0];

export interface ArmResourceClientOptions {
  credential: TokenCredential;
  service: ServiceRef;
  /** Default `https://management.azure.com`. */
  endpoint?: string;
  clientOptions?: Omit<ApiManagementClientOptionalParams, 'endpoint' | 'baseUri'>;
  /** Retries of a retryable answer; default 4. */
  maxRetries?: number;
  /** Wait when ARM gives no Retry-After: `retryDelayInMs * 2^attempt`; default 1000. */
  retryDelayInMs?: number;
  /** The longest Retry-After honoured; default 120 000. */
  maxRetryAfterInMs?: number;
  /** Polls of one long-running operation; default 120. */
  maxPolls?: number;
  /** Poll interval when ARM gives no Retry-After; default 2000. */
  pollIntervalInMs?: number;
  /** Test seam: how to wait (default a timer that the abort signal cancels). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface CallOptions {
  abortSignal?: AbortSignal;
}

export interface ArmEntity {
  etag: string | undefined;
  body: Record<string, unknown>;
}

export type Precondition = { ifMatch: string } | { ifNoneMatch: '*' } | undefined;

/** One attempt's record, for the caller's report (method, path, status, waited ms). */
export interface RetryEvent {
  method: string;
  path: string;
  status: number;
  armCode: string | undefined;
  waitInMs: number;
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal!.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Retry-After in ms (delta seconds or an HTTP date), or undefined. */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  // otherwise only an HTTP-date (RFC 9110 §10.2.3: IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`)
  if (!/^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(value.trim())) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function armError(r: PipelineResponse): { code: string | undefined; message: string } {
  try {
    const b = JSON.parse(r.bodyAsText ?? '') as { error?: { code?: unknown; message?: unknown } };
    return { code: typeof b.error?.code === 'string' ? b.error.code : undefined, message: typeof b.error?.message === 'string' ? b.error.message.split('\n', 1)[0]!.slice(0, 500) : '' };
  } catch {
    return { code: undefined, message: '' };
  }
}

export function isRetryable(status: number, armCode: string | undefined): boolean {
  return status === 429 || (status === 409 && armCode === 'PessimisticConcurrencyConflict') || status === 500 || status === 502 || status === 503 || status === 504;
}

export class ArmResourceClient {
  readonly client: ApiManagementClient;
  readonly retries: RetryEvent[] = [];
  readonly #service: ServiceRef;
  readonly #origin: string;
  readonly #maxRetries: number;
  readonly #retryDelayInMs: number;
  readonly #maxRetryAfterInMs: number;
  readonly #maxPolls: number;
  readonly #pollIntervalInMs: number;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(o: ArmResourceClientOptions) {
    this.#service = o.service;
    this.#origin = new URL(o.endpoint ?? 'https://management.azure.com').origin;
    this.client = new ApiManagementClient(o.credential, o.service.subscriptionId, { ...o.clientOptions, endpoint: this.#origin });
    this.#maxRetries = o.maxRetries ?? 4;
    this.#retryDelayInMs = o.retryDelayInMs ?? 1000;
    this.#maxRetryAfterInMs = o.maxRetryAfterInMs ?? 120_000;
    this.#maxPolls = o.maxPolls ?? 120;
    this.#pollIntervalInMs = o.pollIntervalInMs ?? 2000;
    this.#sleep = o.sleep ?? defaultSleep;
  }

  /** The URL of a path below the service; each segment percent-encoded as the SDK encodes path parameters. */
  url(path: string): string {
    const { subscriptionId, resourceGroup, serviceName } = this.#service;
    const segs = path.split('/').map(encodeURIComponent).join('/');
    return `${this.#origin}/subscriptions/${encodeURIComponent(subscriptionId)}/resourceGroups/${encodeURIComponent(resourceGroup)}/providers/Microsoft.ApiManagement/service/${encodeURIComponent(serviceName)}/${segs}?api-version=${this.client.apiVersion}`;
  }

  async #send(method: 'GET' | 'PUT' | 'DELETE' | 'POST', url: string, label: string, body: unknown, headers: Record<string, string>, signal: AbortSignal | undefined): Promise<PipelineResponse> {
    for (let attempt = 0; ; attempt++) {
      const req = createPipelineRequest({
        url,
        method,
        headers: createHttpHeaders({ ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers }),
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        ...(signal ? { abortSignal: signal } : {}),
      });
      let res: PipelineResponse;
      try {
        res = await this.client.sendRequest(req);
      } catch (err) {
        const name = err instanceof Error ? err.name : '';
        if (name === 'AbortError') throw new EstateError(EstateErrorCode.Arm, `${label}: cancelled`, { armCode: 'Aborted' });
        if (/AuthenticationError|CredentialUnavailableError/.test(name)) {
          throw new EstateError(EstateErrorCode.Arm, `${label}: no token for ARM: ${err instanceof Error ? err.message.split('\n', 1)[0] : ''} (sign in with the Azure CLI, or provide a managed or workload identity)`, { armCode: 'CredentialUnavailable' });
        }
        throw new EstateError(EstateErrorCode.Arm, `${label}: ${err instanceof Error ? err.message.split('\n', 1)[0] : String(err)}`);
      }
      if (res.status < 400) return res;
      const { code } = armError(res);
      if (!isRetryable(res.status, code) || attempt >= this.#maxRetries) return res;
      const after = retryAfterMs(res.headers.get('retry-after') ?? undefined);
      if (after !== undefined && after > this.#maxRetryAfterInMs) return res;
      const wait = after ?? this.#retryDelayInMs * 2 ** attempt;
      this.retries.push({ method, path: label, status: res.status, armCode: code, waitInMs: wait });
      await this.#sleep(wait, signal);
    }
  }

  #fail(label: string, res: PipelineResponse, path: string): EstateError {
    const { code, message } = armError(res);
    if (res.status === 412) {
      return new EstateError(EstateErrorCode.PreconditionFailed, `${label}: changed in API Management since it was read (412 ${code ?? 'PreconditionFailed'}): a concurrent change; run again to compare with the new version`, { status: 412, path, ...(code ? { armCode: code } : {}) });
    }
    return new EstateError(EstateErrorCode.Arm, `${label}: ARM answered ${res.status}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''}`, { status: res.status, path, ...(code ? { armCode: code } : {}) });
  }

  #json(res: PipelineResponse, label: string): Record<string, unknown> {
    try {
      const v = JSON.parse(res.bodyAsText ?? '{}') as unknown;
      if (typeof v === 'object' && v !== null) return v as Record<string, unknown>;
    } catch {
      // below
    }
    throw new EstateError(EstateErrorCode.RemoteMalformed, `${label}: ARM answered ${res.status} without a JSON body`);
  }

  /** The entity at path, or undefined on 404. */
  async get(path: string, query: Record<string, string> = {}, o: CallOptions = {}): Promise<ArmEntity | undefined> {
    const label = `reading ${path}`;
    const q = Object.entries(query).map(([k, v]) => `&${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('');
    const res = await this.#send('GET', this.url(path) + q, label, undefined, {}, o.abortSignal);
    if (res.status === 404) return undefined;
    if (res.status >= 400) throw this.#fail(label, res, path);
    return { etag: res.headers.get('etag') ?? undefined, body: this.#json(res, label) };
  }

  /** Every item of a collection, following nextLink (bounded, same origin only). 404 (no parent) is an empty list. */
  async list(path: string, o: CallOptions = {}): Promise<Record<string, unknown>[]> {
    const label = `listing ${path}`;
    const items: Record<string, unknown>[] = [];
    let url: string | undefined = this.url(path);
    for (let page = 0; url !== undefined; page++) {
      if (page >= 1000) throw new EstateError(EstateErrorCode.Arm, `${label}: more than 1000 pages`);
      const res = await this.#send('GET', url, label, undefined, {}, o.abortSignal);
      if (res.status === 404 && page === 0) return [];
      if (res.status >= 400) throw this.#fail(label, res, path);
      const body = this.#json(res, label);
      if (Array.isArray(body.value)) items.push(...(body.value as Record<string, unknown>[]));
      url = typeof body.nextLink === 'string' && body.nextLink !== '' ? this.#sameOrigin(body.nextLink, label) : undefined;
    }
    return items;
  }

  #sameOrigin(url: string, label: string): string {
    if (new URL(url, this.#origin).origin !== this.#origin) throw new EstateError(EstateErrorCode.Arm, `${label}: ARM pointed at another host (${new URL(url, this.#origin).origin}); not following with the token`);
    return new URL(url, this.#origin).toString();
  }

  async post(path: string, o: CallOptions = {}): Promise<Record<string, unknown>> {
    const label = `calling ${path}`;
    const res = await this.#send('POST', this.url(path), label, undefined, {}, o.abortSignal);
    if (res.status >= 400) throw this.#fail(label, res, path);
    return this.#json(res, label);
  }

  /** Creates or replaces; waits for a long-running operation to finish. */
  async put(path: string, body: unknown, pre: Precondition, o: CallOptions = {}): Promise<void> {
    const label = `writing ${path}`;
    const headers: Record<string, string> = pre === undefined ? {} : 'ifMatch' in pre ? { 'if-match': pre.ifMatch } : { 'if-none-match': '*' };
    const res = await this.#send('PUT', this.url(path), label, body, headers, o.abortSignal);
    if (res.status >= 400) throw this.#fail(label, res, path);
    await this.#poll(res, label, path, o.abortSignal);
  }

  /** Deletes with If-Match; 404 counts as done (re-running converges). */
  async delete(path: string, ifMatch: string, o: CallOptions = {}): Promise<void> {
    const label = `deleting ${path}`;
    const res = await this.#send('DELETE', this.url(path), label, undefined, { 'if-match': ifMatch }, o.abortSignal);
    if (res.status === 404) return;
    if (res.status >= 400) throw this.#fail(label, res, path);
    await this.#poll(res, label, path, o.abortSignal);
  }

  async #poll(first: PipelineResponse, label: string, path: string, signal: AbortSignal | undefined): Promise<void> {
    const asyncOp = first.headers.get('azure-asyncoperation');
    const location = first.headers.get('location');
    if (first.status !== 202 && !asyncOp) return;
    const target = asyncOp ?? location;
    if (!target) return;
    const url = this.#sameOrigin(target, label);
    let wait = retryAfterMs(first.headers.get('retry-after') ?? undefined) ?? this.#pollIntervalInMs;
    for (let i = 0; i < this.#maxPolls; i++) {
      await this.#sleep(Math.min(wait, this.#maxRetryAfterInMs), signal);
      const res = await this.#send('GET', url, `${label} (polling)`, undefined, {}, signal);
      if (res.status >= 400) throw this.#fail(`${label} (polling)`, res, path);
      wait = retryAfterMs(res.headers.get('retry-after') ?? undefined) ?? this.#pollIntervalInMs;
      if (asyncOp) {
        const status = String(this.#json(res, label).status ?? '');
        if (/^succeeded$/i.test(status)) return;
        if (/^(failed|canceled|cancelled)$/i.test(status)) throw new EstateError(EstateErrorCode.Arm, `${label}: the long-running operation ended ${status}`, { path, armCode: status });
      } else if (res.status !== 202) {
        return;
      }
    }
    throw new EstateError(EstateErrorCode.Arm, `${label}: still running after ${this.#maxPolls} polls`, { path });
  }
}
