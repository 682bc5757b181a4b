/**
 * The local OpenID issuer: stands in for Entra ID during development and in tests.
 *
 * - `GET /.well-known/openid-configuration` — OpenID discovery (issuer, jwks_uri, token_endpoint, RS256)
 * - `GET /discovery/keys` — the JWKS: the signing key and retired keys within their grace period
 * - `POST /token` — mints a token from a JSON mint request (loopback callers only)
 * - `POST /rotate` — rotates the signing key (loopback callers only)
 *
 * The issuer identifier is the server's own URL (`http://127.0.0.1:8081`), so discovery lives at
 * `{issuer}/.well-known/openid-configuration` as OpenID Connect Discovery prescribes.
 * Nothing is logged: minted tokens leave only in the response to the caller who asked.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { graceful, listen, type DrainResult } from '../listen.js';
import { dirname, join } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openKeyStore, signingAlgorithm } from './keys.js';
import { mintRequestSchema, mintToken, type MintRequest } from './mint.js';
import { createDevCredential, type DevCredentialOptions, type TokenCredentialLike } from './credential.js';

export const defaultIssuerPort = 8081;
export const discoveryPath = '/.well-known/openid-configuration';
export const jwksPath = '/discovery/keys';
export const tokenPath = '/token';
export const rotatePath = '/rotate';
const maxBodyBytes = 16 * 1024;

export interface DevIssuerOptions {
  /** 0 picks a free port; default 0 (the CLI defaults to 8081). */
  port?: number;
  /** Interface to listen on; default 127.0.0.1. */
  host?: string;
  /** The key folder; default `.dev/issuer` under the project (git-ignored). */
  keyDir?: string;
  /** Milliseconds since the epoch; `Date.now` by default. Used for token times and key grace periods. */
  clock?: () => number;
  /** How long a retired key stays published after rotation (seconds); default a day. */
  rotationGraceSeconds?: number;
}

export interface DevIssuerStats {
  discoveryFetches: number;
  jwksFetches: number;
  tokensMinted: number;
  rotations: number;
}

export interface DevIssuer {
  /** Base URL of the server, e.g. `http://127.0.0.1:8081`. */
  readonly url: string;
  /** The `iss` of every token and of the discovery document (equal to {@link url}). */
  readonly issuer: string;
  readonly discoveryUrl: string;
  readonly jwksUri: string;
  readonly keyDir: string;
  /** Counters, for tests that bound how often keys are fetched. Live object: read it when needed. */
  readonly stats: DevIssuerStats;
  /** The kid of the key that signs now. */
  activeKid(): string;
  mint(request: MintRequest): Promise<string>;
  rotate(): Promise<void>;
  /** A managed-identity stand-in for one client id: app-only tokens from this issuer. */
  credential(clientId: string, options?: DevCredentialOptions): TokenCredentialLike;
  /** Stops accepting and lets requests in flight finish, at most `graceInMs` (default 5000). */
  close(graceInMs?: number): Promise<DrainResult>;
}

/** `.dev/issuer` under the project root (the nearest folder above this module with a package.json), else under the working directory. */
export function defaultKeyDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'apim-rls') return join(dir, '.dev', 'issuer');
      } catch {
        // not ours; keep walking
      }
    }
    const up = dirname(dir);
    if (up === dir) return join(process.cwd(), '.dev', 'issuer');
    dir = up;
  }
}

/** True for a loopback peer address (IPv4, IPv6, IPv4-mapped IPv6). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || /^127\./.test(address) || /^::ffff:127\./i.test(address);
}

/** True when the Host header names the loopback interface (defence against DNS rebinding). */
function isLoopbackHost(host: string | undefined): boolean {
  if (!host) return false;
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d+$/, '');
  return name === 'localhost' || name === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(name);
}

export async function startDevIssuer(options: DevIssuerOptions = {}): Promise<DevIssuer> {
  const clock = options.clock ?? Date.now;
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError('port must be an integer between 0 and 65535');
  const keyDir = options.keyDir ?? defaultKeyDir();
  const storeOptions: Parameters<typeof openKeyStore>[0] = { dir: keyDir, clock };
  if (options.rotationGraceSeconds !== undefined) storeOptions.rotationGraceSeconds = options.rotationGraceSeconds;
  const store = await openKeyStore(storeOptions);
  const stats: DevIssuerStats = { discoveryFetches: 0, jwksFetches: 0, tokensMinted: 0, rotations: 0 };

  let issuer = '';
  let discoveryBody = '';
  const mint = async (request: MintRequest) => {
    const token = await mintToken(store.active(), issuer, request, Math.floor(clock() / 1000));
    stats.tokensMinted++;
    return token;
  };
  const rotate = async () => {
    await store.rotate();
    stats.rotations++;
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) sendJson(res, 500, { error: 'server_error' });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (path === discoveryPath) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return methodNotAllowed(res, 'GET, HEAD');
      stats.discoveryFetches++;
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'public, max-age=3600' });
      res.end(req.method === 'HEAD' ? undefined : discoveryBody);
      return;
    }
    if (path === jwksPath) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return methodNotAllowed(res, 'GET, HEAD');
      stats.jwksFetches++;
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'public, max-age=3600' });
      res.end(req.method === 'HEAD' ? undefined : JSON.stringify({ keys: store.publishedJwks() }));
      return;
    }
    if (path === tokenPath || path === rotatePath) {
      if (req.method !== 'POST') return methodNotAllowed(res, 'POST');
      // dev-only endpoints: loopback callers, a loopback Host (no DNS rebinding), JSON only (no form CSRF)
      if (!isLoopbackAddress(req.socket.remoteAddress) || !isLoopbackHost(req.headers.host)) {
        return sendJson(res, 403, { error: 'access_denied', error_description: 'only loopback callers may mint tokens or rotate keys' });
      }
      if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
        return sendJson(res, 415, { error: 'invalid_request', error_description: 'send application/json' });
      }
      const body = await readBody(req);
      if (body === undefined) return sendJson(res, 413, { error: 'invalid_request', error_description: `body larger than ${maxBodyBytes} bytes` });
      if (path === rotatePath) {
        await rotate();
        return sendJson(res, 200, { kid: store.active().kid });
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        return sendJson(res, 400, { error: 'invalid_request', error_description: 'body is not JSON' });
      }
      const result = mintRequestSchema.safeParse(parsed);
      if (!result.success) {
        const detail = result.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
        return sendJson(res, 400, { error: 'invalid_request', error_description: detail });
      }
      const ttl = result.data.ttlSeconds ?? 3600;
      const token = await mint(result.data);
      return sendJson(res, 200, { access_token: token, token_type: 'Bearer', expires_in: ttl }, { 'cache-control': 'no-store' });
    }
    sendJson(res, 404, { error: 'not_found' });
  }

  const drain = graceful(server);
  const { url } = await listen(server, port, host);
  issuer = url;
  discoveryBody = JSON.stringify({
    issuer,
    jwks_uri: url + jwksPath,
    token_endpoint: url + tokenPath,
    response_types_supported: ['token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [signingAlgorithm],
    token_endpoint_auth_methods_supported: ['none'],
    claims_supported: ['iss', 'aud', 'sub', 'oid', 'tid', 'roles', 'scp', 'ver', 'iat', 'nbf', 'exp', 'jti', 'azp', 'appid', 'idtyp'],
  });
  await store.recordIssuer(issuer);

  return {
    url,
    issuer,
    discoveryUrl: url + discoveryPath,
    jwksUri: url + jwksPath,
    keyDir,
    stats,
    activeKid: () => store.active().kid,
    mint,
    rotate,
    credential: (clientId, credentialOptions) => createDevCredential(clientId, mint, clock, credentialOptions),
    close: (graceInMs = 5000) => drain.close(graceInMs),
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function methodNotAllowed(res: ServerResponse, allow: string): void {
  sendJson(res, 405, { error: 'method_not_allowed' }, { allow });
}

/** The body as text, or undefined when it exceeds the limit. */
async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBodyBytes) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
