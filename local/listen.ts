/**
 * Starting and stopping a local stand-in's HTTP server: one place for listen + the URL it is
 * reachable at, and for a graceful stop (stop accepting, let the requests in flight finish within
 * a grace period, then close whatever is left).
 */
import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Listens on host:port (port 0 = a free one) and resolves to the server's base URL and port. */
export async function listen(server: Server, port: number, host: string): Promise<{ url: string; port: number }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address === '0.0.0.0' ? '127.0.0.1' : address.address;
  return { url: `http://${hostForUrl}:${address.port}`, port: address.port };
}

/** How a graceful stop went. */
export interface DrainResult {
  /** requests still unanswered when the grace period ended (their connections were closed) */
  cutOff: number;
}

export interface GracefulServer {
  /** requests received and not yet answered */
  readonly inFlight: number;
  /**
   * Stops accepting connections, closes idle keep-alive connections, answers every request in
   * flight with `Connection: close`, and waits for them at most `graceInMs`; then closes every
   * connection left. Idempotent: a second call joins the first (with its own, shorter bound).
   */
  close(graceInMs: number): Promise<DrainResult>;
}

/** Tracks the requests in flight on `server`, for {@link GracefulServer.close}. Call before listening. */
export function graceful(server: Server): GracefulServer {
  const open = new Set<ServerResponse>();
  let draining = false;
  let idle: (() => void) | undefined;
  let closed: Promise<void> | undefined;

  // before the server's own listener, so a request that arrives while draining is marked first
  server.prependListener('request', (_req, res: ServerResponse) => {
    open.add(res);
    if (draining) res.setHeader('connection', 'close');
    res.once('close', () => {
      open.delete(res);
      if (open.size === 0) idle?.();
    });
  });

  return {
    get inFlight() {
      return open.size;
    },
    async close(graceInMs) {
      if (!Number.isFinite(graceInMs) || graceInMs < 0) throw new RangeError('graceInMs must be a non-negative number');
      draining = true;
      for (const res of open) if (!res.headersSent) res.setHeader('connection', 'close');
      closed ??= new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      let timer: NodeJS.Timeout | undefined;
      const finished = open.size === 0 || (await new Promise<boolean>((resolve) => {
        const prev = idle;
        idle = () => {
          prev?.();
          resolve(true);
        };
        timer = setTimeout(() => resolve(false), graceInMs);
      }));
      clearTimeout(timer);
      const cutOff = finished ? 0 : open.size;
      server.closeAllConnections();
      await closed;
      return { cutOff };
    },
  };
}
