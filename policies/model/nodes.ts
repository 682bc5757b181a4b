/**
 * What a policy section (or a fragment, or a `choose` branch) holds: typed policy elements, `<base />`,
 * comments, the explicit raw-XML escape hatch, and generic nodes for parsed XML the typed model
 * does not describe (kept, never dropped).
 */
import type { XmlNode } from '../xml/tree.js';
import type { AuthenticationManagedIdentity } from '../elements/authentication-managed-identity.js';
import type { CheckHeader } from '../elements/check-header.js';
import type { Choose } from '../elements/choose.js';
import type { Cors } from '../elements/cors.js';
import type { EmitMetric } from '../elements/emit-metric.js';
import type { ForwardRequest } from '../elements/forward-request.js';
import type { IncludeFragment } from '../elements/include-fragment.js';
import type { IpFilter } from '../elements/ip-filter.js';
import type { LimitConcurrency } from '../elements/limit-concurrency.js';
import type { MockResponse } from '../elements/mock-response.js';
import type { QuotaByKey } from '../elements/quota-by-key.js';
import type { RateLimitByKey } from '../elements/rate-limit-by-key.js';
import type { Retry } from '../elements/retry.js';
import type { ReturnResponse } from '../elements/return-response.js';
import type { RewriteUri } from '../elements/rewrite-uri.js';
import type { SetBackendService } from '../elements/set-backend-service.js';
import type { SetBody } from '../elements/set-body.js';
import type { SetHeader } from '../elements/set-header.js';
import type { SetQueryParameter } from '../elements/set-query-parameter.js';
import type { SetStatus } from '../elements/set-status.js';
import type { SetVariable } from '../elements/set-variable.js';
import type { Trace } from '../elements/trace.js';
import type { ValidateAzureAdToken } from '../elements/validate-azure-ad-token.js';
import type { ValidateJwt } from '../elements/validate-jwt.js';

/** `<base />`: inherit the enclosing scope's policies at this point. */
export interface Base {
  kind: 'base';
}

/** An XML comment kept in place. */
export interface Comment {
  kind: 'comment';
  text: string;
}

/**
 * The explicit escape hatch: XML written by hand, inserted as is when the document is built
 * (and flagged by the linter). Reading XML never produces it: parsed XML the model does not know
 * becomes a {@link GenericNode}.
 */
export interface RawXml {
  kind: 'raw';
  xml: string;
}

/** Parsed XML the typed model does not describe (an unknown policy, or a known one in a shape the model cannot hold). */
export interface GenericNode {
  kind: 'xml';
  node: XmlNode;
}

/** Every typed policy element. */
export type PolicyElement =
  | AuthenticationManagedIdentity
  | CheckHeader
  | Choose
  | Cors
  | EmitMetric
  | ForwardRequest
  | IncludeFragment
  | IpFilter
  | LimitConcurrency
  | MockResponse
  | QuotaByKey
  | RateLimitByKey
  | Retry
  | ReturnResponse
  | RewriteUri
  | SetBackendService
  | SetBody
  | SetHeader
  | SetQueryParameter
  | SetStatus
  | SetVariable
  | Trace
  | ValidateAzureAdToken
  | ValidateJwt;

/** Anything that can stand in a list of policies. */
export type PolicyNode = PolicyElement | Base | Comment | RawXml | GenericNode;

/** The XML name of every typed element. */
export type PolicyElementName = PolicyElement['kind'];
