/**
 * `npm run bench -- policy-xml`: the cost of reading APIM's raw form. Subject: parsePolicyXml
 * over the snippets corpus (C#-aware masking, validation, tree with locations). Baseline:
 * fast-xml-parser alone reading the well-formed form of the same documents into its ordered
 * tree, which needs no masking and computes no positions. Also the writer (well-formed) and the
 * linter, each against the same baseline. Skipped (empty) when the shared corpus is absent.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XMLParser } from 'fast-xml-parser';
import { parsePolicyXml, writePolicyXml, type XmlElement } from '../../policies/xml/index.js';
import { lintPolicy } from '../../policies/lint/index.js';
import { ratePerSecond, type BenchResult } from '../result.js';

const corpus = join(fileURLToPath(new URL('../..', import.meta.url)), '..', 'shared', 'corpus', 'policy-snippets', 'examples');

function walk(d: string): string[] {
  return readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : f.endsWith('.xml') ? [join(d, f)] : []));
}

export default async function policyXmlBench(): Promise<BenchResult[]> {
  if (!existsSync(corpus)) {
    console.log(`policy-xml bench: corpus not found at ${corpus}`);
    return [];
  }
  const raw: string[] = [];
  const roots: XmlElement[] = [];
  for (const f of walk(corpus)) {
    const text = readFileSync(f, 'utf8');
    try {
      roots.push(parsePolicyXml(text));
      raw.push(text);
    } catch {
      // the one broken file
    }
  }
  const wellFormed = roots.map((r) => writePolicyXml(r));
  const bytes = raw.reduce((n, t) => n + t.length, 0);
  const fxp = new XMLParser({ preserveOrder: true, ignoreAttributes: false, trimValues: false, parseTagValue: false, parseAttributeValue: false });

  const baseline = await ratePerSecond(() => {
    for (const t of wellFormed) fxp.parse(t);
  }, 3000);
  const parse = await ratePerSecond(() => {
    for (const t of raw) parsePolicyXml(t);
  }, 3000);
  const write = await ratePerSecond(() => {
    for (const r of roots) writePolicyXml(r);
  }, 2000);
  const lint = await ratePerSecond(() => {
    for (const r of roots) lintPolicy(r);
  }, 2000);
  const docs = raw.length;
  return [
    { name: 'policy-xml parse raw form vs fast-xml-parser alone (well-formed)', ratio: parse / baseline, documents: docs, kilobytes: bytes / 1024, documentsPerSecond: parse * docs, baselineDocumentsPerSecond: baseline * docs },
    { name: 'policy-xml write well-formed vs fast-xml-parser parse', ratio: write / baseline, documentsPerSecond: write * docs },
    { name: 'policy-xml lint vs fast-xml-parser parse', ratio: lint / baseline, documentsPerSecond: lint * docs },
  ];
}
