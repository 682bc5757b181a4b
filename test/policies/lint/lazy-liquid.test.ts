/**
 * liquidjs is loaded on first use (policies/liquid/apim-liquid.ts): linting a policy without a
 * liquid template does not load it (part of `policy lint`'s cold start); one with a template does
 * and is checked as before. Each case runs in a fresh process, so the module cache starts empty.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const repoRoot = join(import.meta.dirname, '..', '..', '..');

function lintInFreshProcess(body: string): { liquidLoaded: boolean; ids: string[] } {
  const script = `
    import { createRequire } from 'node:module';
    import { parsePolicyXml } from './policies/xml/index.ts';
    import { lintPolicy } from './policies/lint/index.ts';
    const xml = ${JSON.stringify(`<policies><inbound><base />${body}</inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>`)};
    const ids = lintPolicy(parsePolicyXml(xml)).map((f) => f.ruleId);
    const cache = createRequire(import.meta.url).cache;
    console.log(JSON.stringify({ liquidLoaded: Object.keys(cache).some((k) => k.includes('/liquidjs/')), ids }));
  `;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as { liquidLoaded: boolean; ids: string[] };
}

describe('lint loads liquidjs only for a liquid template', () => {
  it('a policy without a liquid template: liquidjs is not loaded', () => {
    const r = lintInFreshProcess('<set-header name="X-Api" exists-action="override"><value>orders</value></set-header>');
    assert.equal(r.liquidLoaded, false);
  });

  it('a liquid template with a filter APIM does not have: liquidjs is loaded and the template refused', () => {
    const r = lintInFreshProcess('<set-body template="liquid">{"name": "{{ body.name | upcase }}"}</set-body>');
    assert.equal(r.liquidLoaded, true);
    assert.ok(r.ids.some((id) => id.startsWith('APIM5')), `a liquid finding: ${r.ids.join(', ')}`);
  });
});
