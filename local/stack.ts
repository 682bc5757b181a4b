/**
 * The local stack behind `npm start`: the OpenID issuer (Entra ID's stand-in), the Functions
 * host on the embedded database, and the gateway (APIM's stand-in) in front of it.
 *
 * Start order follows the chain's dependencies: issuer → Functions (verifies tokens from the
 * issuer) → gateway (validates tokens from the issuer, forwards to the Functions host).
 * If a part fails to start, the parts already started are closed before the error propagates.
 */
import { startDevIssuer, type DevIssuer } from './issuer/index.js';
import { startFunctionsHost, type FunctionsHost, type HostLogLevel } from './functions-host/index.js';
import type { HostLimits } from './functions-host/host-json.js';
import { localBackendResource, localGatewayClientId, startGateway, type Gateway, type GatewayOptions } from './gateway/index.js';
import { loadConfig } from '../functions/config.js';
import type { PGliteLike } from '../functions/session/pglite.js';
// pglite.js, not the index: the index brings the pg and mssql drivers, which the stack does not use
import { fromPglite } from '../rls/db/pglite.js';
import { newPglite } from '../rls/db/pglite-cluster.js';
import { setupSampleDatabase } from '../rls/sample/index.js';
import { defaultPorts } from './ports.js';

export { defaultPorts };

export interface StackOptions {
  /** 0 picks a free port. Defaults: {@link defaultPorts}. */
  gatewayPort?: number;
  issuerPort?: number;
  functionsPort?: number;
  /** Interface for every part; default 127.0.0.1. */
  host?: string;
  /** PGlite data folder; in memory when absent. */
  dataDir?: string;
  /** Folder of the cached dump a new PGlite cluster is loaded from instead of running initdb (rls/db/pglite-cluster.ts); none: initdb. */
  pgliteCache?: string | null;
  /** The issuer's key folder; default `.dev/issuer` in the project. */
  issuerKeyDir?: string;
  /** Milliseconds since the epoch, for every part; `Date.now` by default. */
  clock?: () => number;
  /** Overrides for the gateway's default orders-API policy (rate limit, ...). */
  gatewayPolicyOptions?: GatewayOptions['policyOptions'];
  /** Receives the Functions host's log lines (audit lines included); default: stdout. */
  functionsLog?: (level: HostLogLevel, functionName: string, message: string) => void;
  /** The host.json limits the Functions host enforces; default: the project's host.json. */
  functionsLimits?: HostLimits;
  /** Receives the gateway's refusal lines (local/gateway/log.ts); default: none. */
  gatewayLog?: GatewayOptions['log'];
}

/** The audience callers' tokens carry (the orders API's app id URI). */
export const stackAudience = 'api://apim-rls-orders';
/** The resource the gateway's managed identity requests a token for, and the Functions app accepts. */
export const stackBackendResource = localBackendResource;
/** The client id of the gateway's (dev) managed identity: the only gateway the Functions app trusts. */
export const stackGatewayClientId = localGatewayClientId;

export interface StackPart {
  name: 'issuer' | 'functions' | 'gateway';
  url: string;
}

export interface Stack {
  issuer: DevIssuer;
  functions: FunctionsHost;
  gateway: Gateway;
  /** The parts running, in start order. */
  parts: readonly StackPart[];
  /** Where a caller sends requests: the gateway when it runs, else the furthest part up the chain. */
  entryUrl: string;
  /**
   * Stops the parts from the entry down (gateway → Functions host → database → issuer): each
   * stops accepting and finishes its requests in flight before the next stops, so a request the
   * gateway still forwards finds its backend. One deadline for all: `graceInMs` (default the
   * host.json functionTimeout, which no invocation outlives); past it, connections are closed.
   */
  close(graceInMs?: number): Promise<StackCloseResult>;
}

export interface StackCloseResult {
  /** requests per part still unanswered when the grace period ended */
  cutOff: Record<StackPart['name'], number>;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const host = options.host ?? '127.0.0.1';
  /** each closer gets the milliseconds left before the deadline */
  const closers: ((remainingInMs: number) => Promise<unknown>)[] = [];
  const parts: StackPart[] = [];
  const cutOff: StackCloseResult['cutOff'] = { gateway: 0, functions: 0, issuer: 0 };
  let functionsHost: FunctionsHost | undefined;
  const closeAll = async (graceInMs?: number): Promise<StackCloseResult> => {
    const grace = graceInMs ?? functionsHost?.limits.functionTimeoutInMs ?? 30_000;
    if (!Number.isFinite(grace) || grace < 0) throw new RangeError('graceInMs must be a non-negative number');
    const deadline = Date.now() + grace;
    const errors: unknown[] = [];
    for (const close of closers.reverse()) {
      try {
        await close(Math.max(0, deadline - Date.now()));
      } catch (err) {
        errors.push(err);
      }
    }
    closers.length = 0;
    if (errors.length > 0) throw errors[0];
    return { cutOff: { ...cutOff } };
  };

  try {
    const issuerOptions: Parameters<typeof startDevIssuer>[0] = { port: options.issuerPort ?? defaultPorts.issuer, host };
    if (options.issuerKeyDir !== undefined) issuerOptions.keyDir = options.issuerKeyDir;
    if (options.clock) issuerOptions.clock = options.clock;
    const issuer = await startDevIssuer(issuerOptions);
    closers.push(async (ms) => {
      cutOff.issuer = (await issuer.close(ms)).cutOff;
    });
    parts.push({ name: 'issuer', url: issuer.url });

    // the embedded database with the orders sample: schema, RLS and seed (idempotent on a kept folder)
    const pg = await newPglite(options.dataDir, options.pgliteCache);
    closers.push(() => pg.close());
    await setupSampleDatabase(fromPglite(pg));

    // the Functions app trusts only the gateway's managed identity, and takes the caller's identity from the headers it vouches for
    const config = loadConfig({
      APIM_RLS_DB: options.dataDir === undefined ? 'pglite:memory' : `pglite:${options.dataDir}`,
      APIM_RLS_AUTH_MODE: 'gateway-token',
      APIM_RLS_OPENID_CONFIG_URL: issuer.discoveryUrl,
      APIM_RLS_ISSUER: issuer.issuer,
      APIM_RLS_AUDIENCE: stackAudience,
      APIM_RLS_GATEWAY_AUDIENCE: stackBackendResource,
      APIM_RLS_GATEWAY_CLIENT_IDS: stackGatewayClientId,
    });
    const functionsOptions: Parameters<typeof startFunctionsHost>[0] = {
      port: options.functionsPort ?? defaultPorts.functions,
      host,
      config,
      pglite: pg as unknown as PGliteLike,
    };
    if (options.clock) {
      const clock = options.clock;
      functionsOptions.now = () => new Date(clock());
    }
    if (options.functionsLog) functionsOptions.log = options.functionsLog;
    if (options.functionsLimits) functionsOptions.limits = options.functionsLimits;
    const functions = await startFunctionsHost(functionsOptions);
    functionsHost = functions;
    closers.push(async (ms) => {
      cutOff.functions = (await functions.close(ms)).cutOff;
    });
    parts.push({ name: 'functions', url: functions.url });

    // APIM's stand-in: the product's policies with the issuer's values, its managed identity from the issuer
    const gatewayOptions: GatewayOptions = { port: options.gatewayPort ?? defaultPorts.gateway, host, backendUrl: `${functions.url}/api`, issuer };
    if (options.clock) gatewayOptions.clock = options.clock;
    if (options.gatewayPolicyOptions) gatewayOptions.policyOptions = options.gatewayPolicyOptions;
    if (options.gatewayLog) gatewayOptions.log = options.gatewayLog;
    const gateway = await startGateway(gatewayOptions);
    closers.push(async (ms) => {
      cutOff.gateway = (await gateway.close(ms)).cutOff;
    });
    parts.push({ name: 'gateway', url: gateway.url });

    return {
      issuer,
      functions,
      gateway,
      parts,
      entryUrl: gateway.url,
      close: closeAll,
    };
  } catch (err) {
    await closeAll(0).catch(() => undefined);
    throw err;
  }
}
