/**
 * Round trip over Microsoft's policy snippets (../shared/corpus/policy-snippets): every file that
 * is XML at all reads into the typed model and builds back to a semantically equal tree
 * (expressions byte for byte); the broken one is refused with line and column.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parsePolicyXml } from '../../../policies/xml/parse.js';
import { PolicyXmlError } from '../../../policies/xml/errors.js';
import { buildPolicy, readPolicy } from '../../../policies/model/codec.js';
import { semanticEqual } from '../../../policies/model/equal.js';
import type { PolicyNode } from '../../../policies/model/nodes.js';

const repoRoot = join(import.meta.dirname, '..', '..', '..');
const corpus = join(repoRoot, '..', 'shared', 'corpus', 'policy-snippets');

function xmlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? xmlFiles(p) : n.endsWith('.xml') ? [p] : [];
  });
}

function countTyped(nodes: PolicyNode[], into: Map<string, number>): void {
  for (const n of nodes) {
    into.set(n.kind, (into.get(n.kind) ?? 0) + 1);
    if (n.kind === 'choose') {
      n.when.forEach((w) => countTyped(w.policies, into));
      if (n.otherwise) countTyped(n.otherwise, into);
    }
    if (n.kind === 'retry' || n.kind === 'limit-concurrency') countTyped(n.policies, into);
  }
}

test('policy snippets corpus: read → build is semantically the parsed tree; model round-trips', (t) => {
  if (!existsSync(corpus)) {
    t.skip(`corpus not found at ${corpus} (a clone outside the workspace): skipped`);
    return;
  }
  const files = xmlFiles(corpus);
  assert.equal(files.length, 59);
  const broken: string[] = [];
  const kinds = new Map<string, number>();
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    let tree;
    try {
      tree = parsePolicyXml(text);
    } catch (err) {
      assert.ok(err instanceof PolicyXmlError, `${f}: ${String(err)}`);
      assert.ok(err.line > 0 && err.column > 0);
      broken.push(f);
      continue;
    }
    const model = readPolicy(tree);
    assert.ok(semanticEqual(buildPolicy(model), tree), `${f}: built tree differs from parsed`);
    assert.deepStrictEqual(readPolicy(buildPolicy(model)), model, f);
    countTyped(model.kind === 'fragment' ? model.policies : [...(model.inbound ?? []), ...(model.backend ?? []), ...(model.outbound ?? []), ...(model.onError ?? [])], kinds);
  }
  assert.equal(broken.length, 1, `exactly one broken file, got ${broken.join(', ')}`);
  // the typed model recognises the elements it knows in real-world XML, not only its own output
  for (const k of ['set-header', 'set-variable', 'choose', 'base', 'validate-jwt', 'authentication-managed-identity', 'set-backend-service', 'rewrite-uri']) {
    assert.ok((kinds.get(k) ?? 0) > 0, `no typed ${k} read from the corpus`);
  }
});
