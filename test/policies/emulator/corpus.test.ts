import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emulate, EmulatorError, type EmulateOptions } from '../../../policies/emulator/index.js';
import { parsePolicyXml, PolicyXmlError, element, type XmlElement } from '../../../policies/xml/index.js';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const corpus = join(repoRoot, '..', 'shared', 'corpus', 'policy-snippets', 'examples');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : n.endsWith('.xml') ? [p] : [];
  });
}

describe('emulator over the policy-snippets corpus', () => {
  it('every snippet runs against a sample request or fails naming the unsupported element or expression', async (t) => {
    if (!existsSync(corpus)) return t.skip(`corpus not found at ${corpus}`);
    const files = walk(corpus);
    // the oauth-proxy fragments are included by the other oauth-proxy policies
    const fragments: Record<string, XmlElement> = {};
    for (const f of files) if (f.includes('oauth-proxy') && f.includes('fragment')) fragments[basename(f, '.xml')] = parsePolicyXml(readFileSync(f, 'utf8'));
    const options: EmulateOptions = {
      namedValues: () => '1',
      fragments,
      backend: async (req) => ({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ echo: req.url }) }),
      credential: { getToken: async () => ({ token: 'managed-identity-token', expiresOnTimestamp: 0 }) },
      sleep: async () => undefined,
      now: () => Date.UTC(2026, 0, 1),
      random: () => 0.25,
      // no network in the corpus run: discovery fails closed
      fetch: (async () => {
        throw new Error('offline');
      }) as unknown as typeof fetch,
      context: { subscription: { id: 'sub-1', key: 'key-1', name: 'Starter' }, user: { id: 'user-1', email: 'alice@contoso.test' }, product: { id: 'starter', name: 'Starter' } },
    };
    let ran = 0;
    const unsupported: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      try {
        const tree = parsePolicyXml(text);
        // fragments run as the inbound section of a document
        const root = tree.name === 'policies' ? tree : element('policies', [], [element('inbound', [], tree.children)]);
        const result = await emulate(root, options).send({
          method: 'POST',
          url: 'https://contoso.azure-api.net/api/items/1?x=1',
          headers: { 'Content-Type': 'application/json', Authorization: 'Bearer not.a.jwt', Origin: 'https://app.contoso.test' },
          body: { id: 1, name: 'item' },
          ipAddress: '10.0.0.5',
        });
        assert.ok(result.status >= 100 && result.status < 600, `${basename(file)}: status ${result.status}`);
        if (result.lastError) assert.ok(result.lastError.reason && result.lastError.source, `${basename(file)}: LastError has source and reason`);
        ran++;
      } catch (err) {
        // anything else (TypeError, RangeError, ...) is a crash and fails the test
        if (!(err instanceof EmulatorError) && !(err instanceof PolicyXmlError)) throw new Error(`${basename(file)} crashed: ${(err as Error).stack}`, { cause: err });
        // EXPR_REFUSED: C# APIM itself refuses when the policy is saved (the static checker's reason)
        if (!(err instanceof EmulatorError && err.code === 'EXPR_REFUSED')) {
          assert.match(err.message, /unsupported|expected|unexpected|unknown name|not defined|not Base64|no such fragment|comment|syntax/i, `${basename(file)}: ${err.message}`);
        }
        if (err instanceof EmulatorError) assert.match(err.message, /<[a-z-]+[ >]|element/, `${basename(file)}: the message names the element: ${err.message}`);
        unsupported.push(`${basename(file)}: ${err.message}`);
      }
    }
    t.diagnostic(`${ran} of ${files.length} corpus policies run in the emulator`);
    for (const u of unsupported) t.diagnostic(`unsupported: ${u}`);
    assert.equal(ran + unsupported.length, files.length);
    assert.ok(ran > 0);
  });
});
