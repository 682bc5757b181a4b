/** `Jwt.Claims` in the emulator: claim names compared exactly (RFC 7519), values unjoined by the indexer. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileExpression } from '../../../policies/emulator/index.js';
import { CsDictionary, CsRecord } from '../../../policies/emulator/expressions/values.js';
import { JwtValue } from '../../../policies/emulator/expressions/jwt-value.js';

const host = (payload: Record<string, unknown>) => ({
  context: new CsRecord('IProxyContext', { Variables: new CsDictionary('IReadOnlyDictionary<string, object>', true, [['jwt', new JwtValue({ alg: 'RS256' }, payload)]]) }),
  now: () => Date.UTC(2026, 0, 1),
  random: () => 0.5,
});
const run = (code: string, payload: Record<string, unknown>): unknown => compileExpression(code).run(host(payload));
const claims = '((Jwt)context.Variables["jwt"]).Claims';

describe('Jwt.Claims', () => {
  it('reads "tid" only, never a claim named "TID" (before: the later one won)', () => {
    const payload = { tid: 'contoso', TID: 'fabrikam' };
    assert.equal(run(`@(${claims}.GetValueOrDefault("tid", ""))`, payload), 'contoso');
    assert.equal(run(`@(${claims}.GetValueOrDefault("TID", ""))`, payload), 'fabrikam');
    assert.equal(run(`@(${claims}.GetValueOrDefault("Tid", "none"))`, payload), 'none');
    assert.equal(run(`@(${claims}.ContainsKey("Tid"))`, payload), false);
    assert.equal(run(`@(${claims}.Count)`, payload), 2);
    assert.equal(run(`@(string.Join("|", ${claims}.Keys))`, payload), 'tid|TID');
    assert.deepEqual(run(`@(${claims}["TID"])`, payload), ['fabrikam']);
    assert.throws(() => run(`@(${claims}["Tid"])`, payload), /KeyNotFoundException|not present/);
  });

  it('GetValueOrDefault joins a list with commas (as documented); the indexer gives the values themselves', () => {
    const payload = { roles: ['A,B', ' C '] };
    assert.equal(run(`@(${claims}.GetValueOrDefault("roles", ""))`, payload), 'A,B, C ');
    assert.deepEqual(run(`@(${claims}["roles"])`, payload), ['A,B', ' C ']);
  });
});
