/**
 * The CLI entry (scripts/cli.ts): commands are loaded only when invoked, stubs in the help listing
 * describe the real commands, and --version prints the package version.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { createProgram, policyCommands, topCommands } from '../../scripts/cli.js';
import { recordingIo, runCli } from '../support/cli.js';

const repoRoot = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'apim-rls-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const policyFile = join(dir, 'p.xml');
writeFileSync(policyFile, '<policies><inbound><base /></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>');

/** Runs the CLI source and returns the module URLs it resolved. */
function loadsOf(...args: string[]): { code: number | null; stdout: string; stderr: string; loaded: string[] } {
  const log = join(dir, `loads-${Math.random().toString(36).slice(2)}.txt`);
  writeFileSync(log, '');
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--import', join(repoRoot, 'test', 'scripts', 'support', 'record-loads.mjs'), join(repoRoot, 'scripts', 'cli.ts'), ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...process.env, APIM_RLS_LOAD_LOG: log },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, loaded: readFileSync(log, 'utf8').split('\n').filter(Boolean) };
}

const heavy = [/@azure\/arm-apimanagement/, /@azure\/identity/, /@electric-sql\/pglite/, /node_modules\/(pg|mssql|tedious)\//, /commands\/(rls|start|token|policy-publish|policy-emulate)\./, /local\/stack\./];

describe('apim-rls CLI', () => {
  it('policy fmt of one file loads its own command and none of the others, nor a database driver or the ARM SDK', () => {
    const r = loadsOf('policy', 'fmt', policyFile);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /<policies>/);
    assert.ok(r.loaded.some((u) => /commands\/policy-fmt\./.test(u)), 'policy-fmt was loaded');
    for (const re of heavy) assert.deepEqual(r.loaded.filter((u) => re.test(u)), [], `nothing matching ${re} is loaded`);
  });

  it('policy lint of one file loads no database driver, ARM SDK or other command', () => {
    const r = loadsOf('policy', 'lint', policyFile);
    assert.equal(r.code, 0, r.stderr);
    for (const re of [...heavy, /commands\/policy-fmt\./]) assert.deepEqual(r.loaded.filter((u) => re.test(u)), [], `nothing matching ${re} is loaded`);
  });

  it('--version prints the package version and loads no command', () => {
    const r = loadsOf('--version');
    assert.equal(r.code, 0, r.stderr);
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    assert.equal(r.stdout.trim(), pkg.version);
    assert.deepEqual(r.loaded.filter((u) => /scripts\/commands\//.test(u)), []);
  });

  it('the help stubs carry the same descriptions as the commands they stand for', async () => {
    const stubs = await createProgram([]);
    const stubPolicy = stubs.commands.find((c) => c.name() === 'policy');
    assert.ok(stubPolicy);
    for (const [name, lazy] of Object.entries(policyCommands)) {
      const parent = new Command('policy');
      (await lazy.load())(parent, recordingIo());
      const real = parent.commands.find((c) => c.name() === name);
      assert.ok(real, `policy ${name} registers itself`);
      assert.equal(lazy.description, real.description(), `policy ${name}`);
      assert.equal(stubPolicy.commands.find((c) => c.name() === name)?.description(), real.description());
    }
    for (const [name, lazy] of Object.entries(topCommands)) {
      const parent = new Command('apim-rls');
      (await lazy.load())(parent, recordingIo());
      const real = parent.commands.find((c) => c.name() === name);
      assert.ok(real, `${name} registers itself`);
      assert.equal(lazy.description, real.description(), name);
    }
  });

  it('in-process, main writes only through the io it is given and returns the exit code, leaving the process\'s alone', async () => {
    const bad = join(dir, 'bad.xml');
    writeFileSync(bad, '<policies><inbound>');
    const before = process.exitCode;
    const lint = await runCli(['policy', 'lint', bad]);
    assert.equal(lint.code, 2);
    assert.match(lint.stderr, /^apim-rls: .*bad\.xml:\d+:\d+: /);
    assert.equal(process.exitCode, before, 'the process exit code is untouched');
    // a finding (exit 1) set by the command, not thrown: the next run in the same process starts from 0
    const fmtCheck = await runCli(['policy', 'fmt', '--check', policyFile]);
    assert.equal(fmtCheck.code, 1, fmtCheck.stderr);
    assert.equal((await runCli(['policy', 'fmt', policyFile])).code, 0);
    // commander's own output: help on stdout, a usage error on stderr (exit 2)
    const help = await runCli(['policy', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: apim-rls policy /);
    const unknown = await runCli(['policy', 'lint', '--no-such-flag', policyFile]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown option '--no-such-flag'/);
    assert.equal(unknown.stdout, '');
  });

  it('only scripts/cli.ts and the Functions entry read process.env; commands write and set exit codes only through their io', () => {
    const sources = (dir: string): string[] =>
      readdirSync(join(repoRoot, dir)).flatMap((name) => {
        const rel = join(dir, name);
        return statSync(join(repoRoot, rel)).isDirectory() ? sources(rel) : /\.ts$/.test(name) && !name.endsWith('.d.ts') ? [rel] : [];
      });
    // code only: block and line comments removed (a URL's // in a string removes more, never less, of a line)
    const code = (rel: string) => readFileSync(join(repoRoot, rel), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
    const all = ['exports', 'policies', 'functions', 'scripts', 'local', 'rls'].flatMap(sources);
    assert.ok(all.length > 100, `${all.length} source files`);
    // scripts/csharp-types are build-time generators run by hand, not part of the CLI or the app
    const readers = all.filter((f) => /process\.env\b/.test(code(f)) && !f.startsWith('scripts/csharp-types/'));
    assert.deepEqual(readers.sort(), ['functions/app.ts', 'scripts/cli.ts']);
    const commands = sources('scripts/commands');
    assert.ok(commands.length >= 13);
    for (const f of commands) assert.doesNotMatch(code(f), /process\.(stdout|stderr)\.write|process\.exitCode|console\.(log|error|warn|info)/, f);
  });
});
