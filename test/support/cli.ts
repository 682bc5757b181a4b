/**
 * The `apim-rls` CLI for tests. `runCli` runs it in-process through scripts/cli.ts's `main` with
 * its own stdout, stderr and environment: no node + tsx start-up per case, and what the command
 * opened must be closed by the time it returns (a leak keeps the test file from ending). `spawnCli`
 * runs it as a real process, for the one test per command that proves the process boundary
 * (exit status, stdout and stderr of a real process).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { main } from '../../scripts/cli.js';
import type { CommandIo } from '../../scripts/io.js';

export const repoRoot = join(import.meta.dirname, '..', '..');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunCliOptions {
  /**
   * The environment the command reads, besides the run's PGlite cache setting (below). Nothing
   * else of the test process's environment reaches the command.
   */
  env?: Record<string, string | undefined>;
}

/**
 * What a spawned CLI would take from the test run: where new PGlite clusters come from
 * (APIM_RLS_PGLITE_CACHE, set by scripts/run-tests.mjs for the run; else XDG_CACHE_HOME, as the CLI reads it).
 */
function runSettings(): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of ['APIM_RLS_PGLITE_CACHE', 'XDG_CACHE_HOME']) {
    const value = process.env[name];
    if (value !== undefined) picked[name] = value;
  }
  return picked;
}

/** Runs `apim-rls ARGS` in-process and returns its exit code and what it wrote. */
export async function runCli(args: readonly string[], options: RunCliOptions = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await main([...args], { stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s), env: { ...runSettings(), ...options.env } });
  return { code, stdout, stderr };
}

export interface SpawnCliOptions {
  /** Added to the test process's environment. */
  env?: Record<string, string | undefined>;
  /** Kill the process after this long (default 120 s). */
  timeoutInMs?: number;
}

/** Runs `node --import tsx scripts/cli.ts ARGS` in the repository root as a separate process. */
export function spawnCli(args: readonly string[], options: SpawnCliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'scripts', 'cli.ts'), ...args], {
      cwd: repoRoot,
      env: { ...process.env, ...options.env },
      timeout: options.timeoutInMs ?? 120_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A CommandIo that records what a command registered on its own wrote (for tests that call a register function). */
export function recordingIo(env: Record<string, string | undefined> = {}): CommandIo & { out: () => string; err: () => string; exitCode: () => number } {
  let stdout = '';
  let stderr = '';
  let exitCode = 0;
  return {
    stdout: (s) => void (stdout += s),
    stderr: (s) => void (stderr += s),
    env,
    setExitCode: (c) => void (exitCode = c),
    out: () => stdout,
    err: () => stderr,
    exitCode: () => exitCode,
  };
}
