/**
 * The parts of `host.json` the local Functions host enforces, read once at start-up:
 *  - `functionTimeout` ("hh:mm:ss"; "-1" = none): https://learn.microsoft.com/azure/azure-functions/functions-host-json#functiontimeout
 *  - `extensions.http.maxConcurrentRequests` / `maxOutstandingRequests` (-1 = unbounded):
 *    https://learn.microsoft.com/azure/azure-functions/functions-bindings-http-webhook#hostjson-settings
 *    (source: MicrosoftDocs/azure-docs includes/functions-host-json-http.md)
 */
import { readFile } from 'node:fs/promises';

export interface HostLimits {
  /** null = no timeout */
  functionTimeoutInMs: number | null;
  /** null = unbounded */
  maxConcurrentRequests: number | null;
  /** null = unbounded; counts queued and executing requests */
  maxOutstandingRequests: number | null;
}

/** The host's own defaults when host.json says nothing (Consumption plan: 5 minutes). */
export const defaultHostLimits: HostLimits = Object.freeze({ functionTimeoutInMs: 5 * 60_000, maxConcurrentRequests: null, maxOutstandingRequests: null });

/** `hh:mm:ss` or `d.hh:mm:ss` (a .NET TimeSpan as host.json writes it) → milliseconds; `-1` → null. */
export function parseTimeSpan(text: string): number | null {
  if (text.trim() === '-1') return null;
  const m = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?$/.exec(text.trim());
  if (!m) throw new TypeError(`functionTimeout "${text}" is not a TimeSpan (hh:mm:ss)`);
  const [, d, h, min, s, frac] = m;
  if (Number(min) > 59 || Number(s) > 59) throw new TypeError(`functionTimeout "${text}" is not a TimeSpan (hh:mm:ss)`);
  const ms = (((Number(d ?? 0) * 24 + Number(h)) * 60 + Number(min)) * 60 + Number(s)) * 1000 + Math.round(Number(`0.${frac ?? 0}`) * 1000);
  if (ms <= 0) throw new TypeError(`functionTimeout "${text}" must be positive (or -1)`);
  return ms;
}

function limit(value: unknown, name: string): number | null {
  if (value === undefined || value === -1) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw new TypeError(`extensions.http.${name} must be a positive integer or -1`);
  return value;
}

/** The limits a parsed host.json sets; missing values take the host's defaults. */
export function hostLimitsFrom(doc: unknown): HostLimits {
  if (typeof doc !== 'object' || doc === null) throw new TypeError('host.json is not a JSON object');
  const d = doc as { functionTimeout?: unknown; extensions?: { http?: { maxConcurrentRequests?: unknown; maxOutstandingRequests?: unknown } } };
  if (d.functionTimeout !== undefined && typeof d.functionTimeout !== 'string') throw new TypeError('functionTimeout must be a string');
  const http = d.extensions?.http ?? {};
  return {
    functionTimeoutInMs: d.functionTimeout === undefined ? defaultHostLimits.functionTimeoutInMs : parseTimeSpan(d.functionTimeout),
    maxConcurrentRequests: limit(http.maxConcurrentRequests, 'maxConcurrentRequests'),
    maxOutstandingRequests: limit(http.maxOutstandingRequests, 'maxOutstandingRequests'),
  };
}

export async function readHostLimits(path: string): Promise<HostLimits> {
  return hostLimitsFrom(JSON.parse(await readFile(path, 'utf8')) as unknown);
}
