/**
 * Gateway requests/s with the product's identity-chain policy (validate-jwt through OpenID
 * discovery, strip, forward identity, correlation id, managed-identity proof, per-caller rate
 * limit) against the same gateway with an empty policy (APIM's default: forward-request only),
 * both in front of the same trivial in-process backend, measured in one run. No target.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevIssuer } from '../../local/issuer/index.js';
import { startGateway } from '../../local/gateway/index.js';
import { interleavedRounds, median, type BenchResult } from '../result.js';

export default async function gatewayBench(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'apim-rls-bench-gateway-'));
  const backend = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '11' });
      res.end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  const backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}/api`;
  const issuer = await startDevIssuer({ port: 0, keyDir: join(dir, 'keys') });
  const identity = await startGateway({ port: 0, backendUrl, issuer, policyOptions: { rateLimit: { calls: 1_000_000_000, renewalPeriodSeconds: 60 } } });
  const empty = await startGateway({ port: 0, backendUrl, issuer, policies: [] });
  try {
    const token = await issuer.mint({ sub: 'alice', oid: '00000000-0000-0000-0000-0000000000a1', tid: 'contoso', roles: ['Orders.Read'] });
    const headers = { authorization: `Bearer ${token}` };
    const call = (url: string) => async () => {
      const res = await fetch(url, { headers });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`gateway answered ${res.status}`);
    };
    // short interleaved rounds, so load from elsewhere on the machine hits both sides alike
    const rounds = await interleavedRounds({ identity: call(identity.url + '/orders'), empty: call(empty.url + '/orders') }, { rounds: 7, roundMs: 500 });
    return [
      {
        name: 'gateway: identity-chain policy vs empty policy (requests/s)',
        ratio: median(rounds.map((r) => r.identity / r.empty)),
        identityChainPerSecond: median(rounds.map((r) => r.identity)),
        emptyPolicyPerSecond: median(rounds.map((r) => r.empty)),
        jwksFetches: issuer.stats.jwksFetches,
      },
    ];
  } finally {
    await identity.close();
    await empty.close();
    await issuer.close();
    await new Promise<void>((resolve) => {
      backend.close(() => resolve());
      backend.closeAllConnections();
    });
    rmSync(dir, { recursive: true, force: true });
  }
}
