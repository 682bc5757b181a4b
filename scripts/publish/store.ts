/**
 * What publishing needs from API Management, as an interface: the ARM edge (`arm.ts`)
 * implements it with `@azure/arm-apimanagement`; planning never sees HTTP.
 */
import type { PublishTarget } from './target.js';

/** The wire format of a policy's `value`: `rawxml` leaves expressions unescaped, `xml` is well-formed XML. */
export type PolicyFormat = 'rawxml' | 'xml';

/** A policy as stored in the service. */
export interface RemotePolicy {
  /** The policy text in raw form (read with `format=rawxml`). */
  value: string;
  /** The entity tag to send back in `If-Match` (undefined if ARM returned none). */
  etag: string | undefined;
}

export interface StoreCallOptions {
  abortSignal?: AbortSignal;
}

export interface PolicyStore {
  /** The current policy at the target, or undefined when none is set (404). */
  read(target: PublishTarget, options?: StoreCallOptions): Promise<RemotePolicy | undefined>;
  /**
   * Creates or replaces the policy at the target. `ifMatch` is the ETag read before (or
   * undefined to create); a changed entity must fail with {@link PublishErrorCode.PreconditionFailed}.
   */
  write(target: PublishTarget, value: string, format: PolicyFormat, ifMatch: string | undefined, options?: StoreCallOptions): Promise<void>;
  /** The names a `{{reference}}` can resolve to in this service (named values' display names). */
  namedValues(options?: StoreCallOptions): Promise<ReadonlySet<string>>;
}
