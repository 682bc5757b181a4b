/**
 * The installed CLI's cold start: `apim-rls policy fmt FILE` and `policy lint FILE` (one small
 * file, through bin/apim-rls.js and the compiled CLI in dist/) against `node -e 0`, spawned in
 * interleaved rounds so load on a shared machine hits both alike. The ratio is the median CLI
 * time over the median `node -e 0` time (lower is better; the issue asks for at most 3).
 * Builds dist/ first when it is missing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, type BenchResult } from '../result.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const rounds = 15;

function timeMs(args: string[]): number {
  const start = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'ignore', timeout: 60_000 });
  const ms = performance.now() - start;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}`);
  return ms;
}

export default async function cliColdStart(): Promise<BenchResult[]> {
  if (!existsSync(join(root, 'dist', 'scripts', 'cli.js'))) execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'ignore' });
  const dir = mkdtempSync(join(tmpdir(), 'apim-rls-bench-cli-'));
  try {
    const file = join(dir, 'policy.xml');
    writeFileSync(file, '<policies>\n    <inbound>\n        <base />\n        <set-header name="X-Api" exists-action="override">\n            <value>orders</value>\n        </set-header>\n    </inbound>\n    <backend>\n        <base />\n    </backend>\n    <outbound>\n        <base />\n    </outbound>\n    <on-error>\n        <base />\n    </on-error>\n</policies>\n');
    const bin = join(root, 'bin', 'apim-rls.js');
    const subjects = {
      node: ['-e', '0'],
      fmt: [bin, 'policy', 'fmt', file],
      lint: [bin, 'policy', 'lint', file],
      version: [bin, '--version'],
    } as const;
    const times: Record<keyof typeof subjects, number[]> = { node: [], fmt: [], lint: [], version: [] };
    const names = Object.keys(subjects) as (keyof typeof subjects)[];
    for (const name of names) timeMs([...subjects[name]]); // warm the file cache
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? names : [...names].reverse();
      for (const name of order) times[name].push(timeMs([...subjects[name]]));
    }
    const base = median(times.node);
    return (['fmt', 'lint', 'version'] as const).map((name) => ({
      name: `cli cold start: apim-rls ${subjects[name].slice(1).join(' ').replace(file, 'FILE')} / node -e 0 (time, lower is better; at most 3 asked)`,
      ratio: median(times[name]) / base,
      cliMedianMs: median(times[name]),
      nodeMedianMs: base,
      rounds,
    }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
