/**
 * The local stack behind `npm start`: the OpenID issuer (Entra ID's stand-in), the Functions
 * host on the embedded database, and the gateway (APIM's stand-in) in front of it.
 *
 * Start order follows the chain's dependencies: issuer → Functions (verifies tokens from the
 * issuer) → gateway (validates tokens from the issuer, forwards to the Functions host).
 * If a part fails to start, the parts already started are closed before the error propagates.
 */
import { PGlite } from '@electric-sql/pglite';
import { startDevIssuer, type DevIssuer } from './issuer/index.js';
import { startFunctionsHost, type FunctionsHost, type HostLogLevel } from './functions-host/index.js';
import { localBackendResource, localGatewayClientId, startGateway, type Gateway, type GatewayOptions } from './gateway/index.js';
import { loadConfig } from '../functions/config.js';
import type { PGliteLike } from '../functions/session/pglite.js';
import { fromPglite } from '../rls/db/index.js';
import { setupSampleDatabase } from '../rls/sample/index.js';

export const defaultPorts = Object.freeze({ gateway: 8080, issuer: 8081, functions: 7071 });

export interface StackOptions {
  /** 0 picks a free port. Defaults: {@link defaultPorts}. */
  gatewayPort?: number;
  issuerPort?: number;
  functionsPort?: number;
  /** Interface for every part; default 127.0.0.1. */
  host?: string;
  /** PGlite data folder; in memory when absent. */
  dataDir?: string;
  /** The issuer's key folder; default `.dev/issuer` in the project. */
  issuerKeyDir?: string;
  /** Milliseconds since the epoch, for every part; `Date.now` by default. */
  clock?: () => number;
  /** Overrides for the gateway's default orders-API policy (rate limit, ...). */
  gatewayPolicyOptions?: GatewayOptions['policyOptions'];
  /** Receives the Functions host's log lines (audit lines included); default: stdout. */
  functionsLog?: (level: HostLogLevel, functionName: string, message: string) => void;
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
  close(): Promise<void>;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const host = options.host ?? '127.0.0.1';
  const closers: (() => Promise<void>)[] = [];
  const parts: StackPart[] = [];
  const closeAll = async () => {
    const errors: unknown[] = [];
    for (const close of closers.reverse()) {
      try {
        await close();
      } catch (err) {
        errors.push(err);
      }
    }
    closers.length = 0;
    if (errors.length > 0) throw errors[0];
  };

  try {
    const issuerOptions: Parameters<typeof startDevIssuer>[0] = { port: options.issuerPort ?? defaultPorts.issuer, host };
    if (options.issuerKeyDir !== undefined) issuerOptions.keyDir = options.issuerKeyDir;
    if (options.clock) issuerOptions.clock = options.clock;
    const issuer = await startDevIssuer(issuerOptions);
    closers.push(() => issuer.close());
    parts.push({ name: 'issuer', url: issuer.url });

    // the embedded database with the orders sample: schema, RLS and seed (idempotent on a kept folder)
    const pg = options.dataDir === undefined ? new PGlite() : new PGlite(options.dataDir);
    await pg.waitReady;
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
    const functions = await startFunctionsHost(functionsOptions);
    closers.push(() => functions.close());
    parts.push({ name: 'functions', url: functions.url });

    // APIM's stand-in: the product's policies with the issuer's values, its managed identity from the issuer
    const gatewayOptions: GatewayOptions = { port: options.gatewayPort ?? defaultPorts.gateway, host, backendUrl: `${functions.url}/api`, issuer };
    if (options.clock) gatewayOptions.clock = options.clock;
    if (options.gatewayPolicyOptions) gatewayOptions.policyOptions = options.gatewayPolicyOptions;
    if (options.gatewayLog) gatewayOptions.log = options.gatewayLog;
    const gateway = await startGateway(gatewayOptions);
    closers.push(() => gateway.close());
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
    await closeAll().catch(() => undefined);
    throw err;
  }
}
