/**
 * The package as a user gets it: `npm pack` → the tarball unpacked into an empty project's
 * node_modules → `npx apim-rls --version`, then its bin (policy lint, policy fmt, rls sql) → a TypeScript file
 * importing every subpath entry, compiled with tsc (moduleResolution NodeNext) and run.
 *
 * Needs the build: it packs the dist/ that `npm run build` wrote (CI runs the build before the
 * tests; `npm pack --ignore-scripts` skips prepack so the test does not rebuild). There is no
 * network here, so instead of `npm install` fetching the dependencies, the project's
 * node_modules links the production dependencies of package-lock.json (never a devDependency:
 * a module that needed tsx or typescript at run time would fail here) from this checkout's
 * node_modules. typescript and @types/node are linked as the user's own dev tools.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';

const repoRoot = join(import.meta.dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { name: string; version: string };
const built = existsSync(join(repoRoot, 'dist', 'exports', 'index.js')) && existsSync(join(repoRoot, 'dist', 'scripts', 'cli.js'));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `apim-rls ARGS` in the project, through the bin link npm install makes (node_modules/.bin), as
 * `npx apim-rls` runs it once it has found it. `npx` itself runs once (--version, below): each npx
 * starts npm first (about 0.4 s of CPU), which the other cases do not test.
 */
function apimRls(args: string[], cwd: string): Run {
  return run(join(cwd, 'node_modules', '.bin', 'apim-rls'), args, cwd);
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Run {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 120_000, env: { ...process.env, npm_config_update_notifier: 'false', ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Top-level production packages of the lock file (dev-only ones excluded), e.g. `@azure/identity`. */
function productionPackages(): string[] {
  const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; devOptional?: boolean }> };
  return Object.entries(lock.packages)
    .filter(([path, p]) => path.startsWith('node_modules/') && path.lastIndexOf('node_modules/') === 0 && !p.dev && !p.devOptional)
    .map(([path]) => path.slice('node_modules/'.length));
}

describe('the packed package, installed in an empty project', { skip: built ? false : 'dist/ is missing: run npm run build first (CI builds before npm test)' }, () => {
  let dir: string;
  let project: string;
  let tarballFiles: string[];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'apim-rls-pack-'));
    const packed = JSON.parse(execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: repoRoot, encoding: 'utf8' })) as { filename: string; files: { path: string }[] }[];
    const first = packed[0];
    assert.ok(first);
    tarballFiles = first.files.map((f) => f.path);
    project = join(dir, 'project');
    const installed = join(project, 'node_modules', pkg.name);
    mkdirSync(installed, { recursive: true });
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user-project', private: true, type: 'module' }));
    execFileSync('tar', ['-xzf', join(dir, first.filename), '-C', installed, '--strip-components=1']);
    for (const name of new Set([...productionPackages(), 'typescript', '@types/node'])) {
      const target = join(project, 'node_modules', name);
      mkdirSync(dirname(target), { recursive: true });
      symlinkSync(join(repoRoot, 'node_modules', name), target, 'dir');
    }
    // what npm install does for a dependency's bin
    mkdirSync(join(project, 'node_modules', '.bin'), { recursive: true });
    symlinkSync(join('..', pkg.name, 'bin', 'apim-rls.js'), join(project, 'node_modules', '.bin', 'apim-rls'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the tarball holds compiled JavaScript, declarations, README and LICENSE, and no test, bench, CI or TypeScript source', () => {
    for (const f of ['README.md', 'LICENSE', 'package.json', 'bin/apim-rls.js', 'dist/exports/index.js', 'dist/exports/index.d.ts', 'dist/scripts/cli.js', 'dist/functions/app.js']) {
      assert.ok(tarballFiles.includes(f), `${f} is in the tarball`);
    }
    for (const f of tarballFiles) {
      assert.doesNotMatch(f, /^(test|bench|\.ci|docs)\/|^dist\/(test|bench)\//, f);
      assert.ok(!f.endsWith('.ts') || f.endsWith('.d.ts'), `${f}: no TypeScript source`);
      assert.ok(!f.endsWith('.map'), `${f}: no source map`);
    }
  });

  it('npx apim-rls --version, then the installed bin: policy lint, policy fmt and rls sql work without tsx', () => {
    assert.ok(!existsSync(join(project, 'node_modules', 'tsx')), 'tsx is not installed here');
    const version = run('npx', ['--no-install', 'apim-rls', '--version'], project);
    assert.equal(version.code, 0, version.stderr);
    assert.equal(version.stdout.trim(), pkg.version);

    const policy = join(project, 'api.xml');
    writeFileSync(policy, '<policies><inbound><base /><set-header name="X-Api" exists-action="override"><value>orders</value></set-header></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>');
    const lint = apimRls(['policy', 'lint', 'api.xml'], project);
    assert.equal(lint.code, 0, lint.stdout + lint.stderr);
    assert.match(lint.stdout, /0 error\(s\).* in 1 file\(s\)/);
    const fmt = apimRls(['policy', 'fmt', 'api.xml'], project);
    assert.equal(fmt.code, 0, fmt.stderr);
    assert.match(fmt.stdout, /^<policies>\n {4}<inbound>\n {8}<base \/>\n {8}<set-header name="X-Api" exists-action="override">/);

    writeFileSync(join(project, 'spec.yaml'), readFileSync(join(repoRoot, 'test', 'rls', 'golden', 'orders.spec.yaml'), 'utf8'));
    const sql = apimRls(['rls', 'sql', 'spec.yaml', '--dialect', 'postgres'], project);
    assert.equal(sql.code, 0, sql.stderr);
    assert.match(sql.stdout, /ENABLE ROW LEVEL SECURITY/);
  });

  it('rls sql of a TypeScript spec: without tsx a one-line message saying what to do (exit 2); with tsx in the project it loads', () => {
    const spec = parseYaml(readFileSync(join(repoRoot, 'test', 'rls', 'golden', 'orders.spec.yaml'), 'utf8')) as unknown;
    writeFileSync(join(project, 'spec.ts'), `const spec: { version: number } = ${JSON.stringify(spec)};\nexport default spec;\n`);
    const without = apimRls(['rls', 'sql', 'spec.ts', '--dialect', 'postgres'], project);
    assert.equal(without.code, 2, without.stdout + without.stderr);
    assert.match(without.stderr, /^apim-rls: cannot read spec\.ts: a TypeScript file needs tsx to load it: install it \(npm install --save-dev tsx\) or write the file as \.json or \.yaml\n$/);
    symlinkSync(join(repoRoot, 'node_modules', 'tsx'), join(project, 'node_modules', 'tsx'), 'dir');
    try {
      const withTsx = apimRls(['rls', 'sql', 'spec.ts', '--dialect', 'postgres'], project);
      assert.equal(withTsx.code, 0, withTsx.stderr);
      assert.match(withTsx.stdout, /ENABLE ROW LEVEL SECURITY/);
      // regression: in a CommonJS package tsx compiles the spec to CommonJS; its ES exports sit
      // under module.exports (was: "Unrecognized key: default", exit 2)
      mkdirSync(join(project, 'cjs'), { recursive: true });
      writeFileSync(join(project, 'cjs', 'package.json'), JSON.stringify({ type: 'commonjs' }));
      writeFileSync(join(project, 'cjs', 'spec.ts'), readFileSync(join(project, 'spec.ts'), 'utf8'));
      const commonJs = apimRls(['rls', 'sql', 'cjs/spec.ts', '--dialect', 'postgres'], project);
      assert.equal(commonJs.code, 0, commonJs.stderr);
      assert.equal(commonJs.stdout, withTsx.stdout);
    } finally {
      rmSync(join(project, 'node_modules', 'tsx'));
    }
  });

  it('a TypeScript file importing every subpath compiles with tsc (NodeNext) and runs, loading no Functions registration', () => {
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: true, types: ['node'], outDir: 'out' }, include: ['use.ts'] }),
    );
    writeFileSync(
      join(project, 'use.ts'),
      `import { policyDocument, base, emitPolicy, parsePolicyXml, lintPolicy } from 'apim-rls';
import { emulate } from 'apim-rls/emulator';
import { parseDatabaseUrl } from 'apim-rls/rls';
import { mapClaims, checkClaimMap } from 'apim-rls/functions';
import { buildClaims } from 'apim-rls/issuer';
import { canonicalText } from 'apim-rls/publish';

const xml = emitPolicy(policyDocument({ inbound: [base()] }));
const findings = lintPolicy(parsePolicyXml(xml), { scope: 'api' });
const em = emulate('<policies><inbound><return-response><set-status code="418" reason="Teapot" /></return-response></inbound></policies>');
const answer = await em.send({ method: 'GET', url: 'https://gw.example/x', headers: {} });
const db = parseDatabaseUrl('pglite:memory');
const map = checkClaimMap([{ key: 'tenant_id', from: { claim: 'tid' }, required: true, maxLength: 64 }]);
const session = mapClaims({ tid: 'contoso' }, map, 'req-1');
const claims = buildClaims('http://127.0.0.1:1', { sub: 'alice', tid: 'contoso' }, 1_700_000_000);
const canonical = canonicalText(parsePolicyXml(xml));
console.log(JSON.stringify({ base: xml.includes('<base />'), findings: findings.filter((f) => f.severity === 'error').length, status: answer.status, db: db.kind, session, sub: claims.sub, canonical: canonical.length > 0  }));
`,
    );
    const tsc = run(process.execPath, [join(project, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], project);
    assert.equal(tsc.code, 0, tsc.stdout + tsc.stderr);
    const log = join(dir, 'loads.txt');
    writeFileSync(log, '');
    const node = run(process.execPath, ['--import', join(repoRoot, 'test', 'scripts', 'support', 'record-loads.mjs'), join(project, 'out', 'use.js')], project, { APIM_RLS_LOAD_LOG: log });
    assert.equal(node.code, 0, node.stderr);
    const out = JSON.parse(node.stdout) as Record<string, unknown>;
    assert.deepEqual(out, { base: true, findings: 0, status: 418, db: 'pglite', session: [{ key: 'tenant_id', value: 'contoso' }], sub: 'alice', canonical: true });
    const loaded = readFileSync(log, 'utf8').split('\n');
    assert.deepEqual(loaded.filter((u) => /@azure\/functions|dist\/functions\/(app|register|config)\.js|\/(product|sample)\//.test(u)), [], 'no Functions registration, app settings or sample code is loaded');
    assert.ok(readdirSync(join(project, 'out')).includes('use.js'));
  });
});
