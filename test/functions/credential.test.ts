import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';
import { createCredential, needsCredential } from '../../functions/credential.js';

describe('the one credential', () => {
  it('is a user-assigned managed identity when a client id is configured, else DefaultAzureCredential', () => {
    assert.ok(createCredential({ managedIdentityClientId: '00000000-0000-0000-0000-000000000001' }) instanceof ManagedIdentityCredential);
    assert.ok(createCredential({ managedIdentityClientId: undefined }) instanceof DefaultAzureCredential);
  });

  it('is only needed for Azure SQL or Entra auth on PostgreSQL', () => {
    assert.equal(needsCredential({ databaseUrl: 'mssql://s.database.windows.net/db', pgEntraAuth: false }), true);
    assert.equal(needsCredential({ databaseUrl: 'postgres://x@h/db', pgEntraAuth: true }), true);
    assert.equal(needsCredential({ databaseUrl: 'postgres://x@h/db', pgEntraAuth: false }), false);
    assert.equal(needsCredential({ databaseUrl: 'pglite:memory', pgEntraAuth: false }), false);
  });
});
