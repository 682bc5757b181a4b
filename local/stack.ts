/**
 * The local stack behind `npm start`: the OpenID issuer (Entra ID's stand-in), the Functions
 * host on the embedded database, and the gateway (APIM's stand-in) in front of it.
 *
 * Start order follows the chain's dependencies: issuer → Functions (verifies tokens from the
 * issuer) → gateway (validates tokens from the issuer, forwards to the Functions host).
 * If a part fails to start, the parts already started are closed before the error propagates.
 */
import { startDevIssuer, type DevIssuer } from './issuer/index.js';

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
}

export interface StackPart {
  name: 'issuer' | 'functions' | 'gateway';
  url: string;
}

export interface Stack {
  issuer: DevIssuer;
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

    return {
      issuer,
      parts,
      entryUrl: issuer.url,
      close: closeAll,
    };
  } catch (err) {
    await closeAll().catch(() => undefined);
    throw err;
  }
}
