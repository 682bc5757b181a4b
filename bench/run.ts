/**
 * `npm run bench` — runs every bench/cases/*.ts and prints ratios measured in this run.
 * `npm run bench -- --json` prints one JSON object: {"results":[{"name","ratio","target",...}]}.
 * `npm run bench -- NAME` runs only the cases whose file name contains NAME.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchCase, BenchResult } from './result.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const filters = args.filter((a) => !a.startsWith('--'));
const dir = join(fileURLToPath(new URL('.', import.meta.url)), 'cases');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && (filters.length === 0 || filters.some((x) => f.includes(x))))
  .sort();

const results: BenchResult[] = [];
for (const file of files) {
  const mod = (await import(pathToFileURL(join(dir, file)).href)) as { default: BenchCase };
  const out = await mod.default();
  results.push(...out);
  if (!json) {
    for (const r of out) {
      const { name, ratio, target, ...extra } = r;
      const verdict = target === undefined ? '' : ratio >= target ? `  (target ≥ ${target}: met)` : `  (target ≥ ${target}: NOT met)`;
      console.log(`${name}: ratio ${ratio.toFixed(3)}${verdict}`);
      for (const [k, v] of Object.entries(extra)) console.log(`    ${k}: ${typeof v === 'number' ? Number(v.toFixed(3)) : JSON.stringify(v)}`);
    }
  }
}
if (json) console.log(JSON.stringify({ results }));
