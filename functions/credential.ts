/**
 * The ONE credential of the app, created once at the entry: a user-assigned managed identity
 * when a client id is configured, otherwise DefaultAzureCredential (system-assigned identity in
 * Azure, developer sign-in locally). Drivers receive it; none creates its own.
 */
import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import type { AppConfig } from './config.js';

export function createCredential(config: Pick<AppConfig, 'managedIdentityClientId'>): TokenCredential {
  return config.managedIdentityClientId
    ? new ManagedIdentityCredential({ clientId: config.managedIdentityClientId })
    : new DefaultAzureCredential();
}

/** Whether the configured database needs the credential at all. */
export function needsCredential(config: Pick<AppConfig, 'databaseUrl' | 'pgEntraAuth'>): boolean {
  return config.databaseUrl.startsWith('mssql:') || config.pgEntraAuth;
}
