import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { Tracer } from '@opentelemetry/api';
import type { AppConfig } from '../config.js';
import type { ClaimMap, SessionValues } from '../identity/claim-map.js';
import type { TrustBoundary, VerifiedIdentity } from '../identity/trust-boundary.js';
import type { OrdersQueries } from '../queries/types.js';
import type { IdentitySession, RunOptions } from '../session/types.js';

/** What every handler needs, built once at start-up (see `functions/runtime.ts`). */
export interface HandlerDeps {
  readonly config: Pick<AppConfig, 'maxBodyBytes' | 'requestDeadlineMs'>;
  readonly trust: TrustBoundary;
  readonly claimMap: ClaimMap;
  readonly session: IdentitySession;
  /**
   * Health's own session on its own pool of one connection (server databases): a busy request
   * pool neither delays health nor is taken from by it. Absent: health uses `session`.
   */
  readonly healthSession?: IdentitySession;
  readonly queries: OrdersQueries;
  /** records the request spans; default the global OpenTelemetry tracer (a no-op until an SDK is registered) */
  readonly tracer?: Tracer;
}

export interface OperationContext {
  readonly request: HttpRequest;
  readonly deps: HandlerDeps;
  readonly requestId: string;
  /** null for operations without caller identity (health) */
  readonly identity: VerifiedIdentity | null;
  /** the session values (every key of the claim map); empty without identity */
  readonly sessionValues: SessionValues;
  /** names the resource in the audit line */
  setResourceId(id: string): void;
  /** the options for the session call: the time left of the request's deadline (pass to every `session.run`) */
  runOptions(): RunOptions;
}

export interface Operation {
  readonly name: string;
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** the Functions route under the `api` prefix */
  readonly route: string;
  /** false only for health: no caller identity is needed or read */
  readonly requiresIdentity: boolean;
  execute(ctx: OperationContext): Promise<HttpResponseInit>;
}

export type Handler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;
