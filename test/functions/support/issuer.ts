/** Test helpers: the local OpenID issuer on a free port with a temporary key folder and a fixed clock. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevIssuer, type DevIssuer } from '../../../local/issuer/index.js';
import { loadConfig, type AppConfig } from '../../../functions/config.js';

/** 2026-01-01T00:00:00Z: token times are minted and verified against this clock. */
export const fixedNowMs = Date.UTC(2026, 0, 1);
export const fixedNow = () => new Date(fixedNowMs);

export interface TestIssuer {
  issuer: DevIssuer;
  close(): Promise<void>;
}

export async function startTestIssuer(): Promise<TestIssuer> {
  const keyDir = mkdtempSync(join(tmpdir(), 'apim-rls-fn-issuer-'));
  const issuer = await startDevIssuer({ port: 0, keyDir, clock: () => fixedNowMs });
  return {
    issuer,
    async close() {
      await issuer.close();
      rmSync(keyDir, { recursive: true, force: true });
    },
  };
}

export const gatewayClientId = 'apim-gateway-client-id';

export function testConfig(issuer: DevIssuer, settings: Record<string, string> = {}): AppConfig {
  return loadConfig({
    APIM_RLS_DB: 'pglite:memory',
    APIM_RLS_OPENID_CONFIG_URL: issuer.discoveryUrl,
    APIM_RLS_AUDIENCE: 'api://apim-rls-orders',
    APIM_RLS_GATEWAY_CLIENT_IDS: gatewayClientId,
    ...settings,
  });
}
