/**
 * The gateway's log: one structured line per request — answered by the backend, refused by a
 * policy (a failure, or a response a policy returned instead of calling the backend), or refused
 * before any policy runs. Field names follow APIM's GatewayLogs resource log
 * (https://learn.microsoft.com/azure/api-management/gateway-log-schema-reference), so a query
 * written against the local lines reads the same columns in Log Analytics.
 *
 * Never logged: header values, bodies, the query string (a token may travel in it, e.g.
 * `access_token`), and `LastError.Message` (it may quote a caller-sent header value).
 */

export interface GatewayLogEntry {
  /** ISO 8601 time the response was written. */
  TimeGenerated: string;
  Category: 'GatewayLogs';
  /** The request id (`context.RequestId`; the `activityId` of a 500 body; the `X-Request-Id` the backend gets). */
  CorrelationId: string;
  /**
   * The W3C trace id of the gateway's span (the `operation_Id` of its Application Insights
   * telemetry, and the trace the backend continues); null for a refusal before any policy ran.
   * Not a GatewayLogs column: APIM writes it to Application Insights, this line carries it so the
   * gateway's line, the function's audit line and the audit rows join on it.
   */
  TraceId: string | null;
  ApiId: string;
  /** The matched operation's id; null when no operation matched. */
  OperationId: string | null;
  Method: string;
  /** The path the caller used, without the query string. */
  Url: string;
  ResponseCode: number;
  /** Milliseconds from the request's arrival to the response written. */
  TotalTime: number;
  /** `context.LastError.Source`, or the gateway stage that refused (`configuration`, `gateway`); null when a policy returned the response. */
  LastErrorSource: string | null;
  LastErrorReason: string | null;
  LastErrorSection: string | null;
  /** The policy that returned the response (return-response, a cors preflight, …) when no error was raised. */
  ResponsePolicy: string | null;
  CallerIpAddress: string;
}

export type GatewayLog = (entry: GatewayLogEntry) => void;

/** A GatewayLog writing one JSON object per line. */
export function jsonLineLog(write: (line: string) => void): GatewayLog {
  return (entry) => write(JSON.stringify(entry));
}
