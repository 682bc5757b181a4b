/**
 * The typed model's cost over parsing: reading the snippets corpus into the typed model (each
 * element decoded, then re-encoded and compared so nothing is altered) and building it back,
 * relative to parsing the same text. Ratios measured in one run.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ratePerSecond, type BenchResult } from '../result.js';
import { parsePolicyXml } from '../../policies/xml/parse.js';
import { buildPolicy, readPolicy } from '../../policies/model/codec.js';
import { productPolicies } from '../../policies/product/index.js';
import { emitPolicy } from '../../policies/model/text.js';
import type { XmlElement } from '../../policies/xml/tree.js';

const corpus = join(fileURLToPath(new URL('../..', import.meta.url)), '..', 'shared', 'corpus', 'policy-snippets');

function xmlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? xmlFiles(p) : n.endsWith('.xml') ? [p] : [];
  });
}

export default async function policyModel(): Promise<BenchResult[]> {
  const texts: string[] = existsSync(corpus) ? xmlFiles(corpus).map((f) => readFileSync(f, 'utf8')) : productPolicies().map((p) => emitPolicy(p.document, { form: 'raw' }));
  const trees: XmlElement[] = [];
  const parsable: string[] = [];
  for (const t of texts) {
    try {
      trees.push(parsePolicyXml(t));
      parsable.push(t);
    } catch {
      // the corpus holds one broken file
    }
  }
  const parse = await ratePerSecond(() => parsable.forEach((t) => parsePolicyXml(t)), 2000);
  const read = await ratePerSecond(() => trees.forEach((t) => readPolicy(t)), 2000);
  const models = trees.map((t) => readPolicy(t));
  const build = await ratePerSecond(() => models.forEach((m) => buildPolicy(m)), 2000);
  return [
    { name: 'readPolicy (typed decode + verify) vs parsePolicyXml, per corpus pass', ratio: read / parse, documents: trees.length, parsePerSecond: parse, readPerSecond: read },
    { name: 'buildPolicy vs parsePolicyXml, per corpus pass', ratio: build / parse, buildPerSecond: build },
  ];
}
