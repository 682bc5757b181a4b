import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import azureFunctions, { type HttpFunctionOptions } from '@azure/functions';
import { registerFunctions, registerTerminate } from '../../functions/register.js';
import type { Runtime } from '../../functions/runtime.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const settings = {
  APIM_RLS_DB: 'pglite:memory',
  APIM_RLS_OPENID_CONFIG_URL: 'http://127.0.0.1:9/.well-known/openid-configuration',
  APIM_RLS_AUDIENCE: 'api://apim-rls-orders',
};

describe('Functions entry', () => {
  it('registers every operation under its route, method and anonymous auth level (proof is checked by the app)', () => {
    const registered: [string, HttpFunctionOptions][] = [];
    const never = new Promise<Runtime>(() => undefined);
    registerFunctions({ http: (name, options) => void registered.push([name, options]) }, never);
    assert.deepEqual(
      registered.map(([name, o]) => [name, o.methods, o.route, o.authLevel]),
      [
        ['listOrders', ['GET'], 'orders', 'anonymous'],
        ['createOrder', ['POST'], 'orders', 'anonymous'],
        ['getOrder', ['GET'], 'orders/{id}', 'anonymous'],
        ['updateOrder', ['PATCH'], 'orders/{id}', 'anonymous'],
        ['deleteOrder', ['DELETE'], 'orders/{id}', 'anonymous'],
        ['getMe', ['GET'], 'me', 'anonymous'],
        ['health', ['GET'], 'health', 'anonymous'],
      ],
    );
  });

  it('a failed start-up answers 503 problem+json, never a stack', async () => {
    const registered: [string, HttpFunctionOptions][] = [];
    const failed = Promise.reject(new Error('boom: secret detail'));
    failed.catch(() => undefined);
    registerFunctions({ http: (name, options) => void registered.push([name, options]) }, failed);
    const handler = registered[0]![1].handler as (req: unknown, ctx: unknown) => Promise<{ status: number; headers: Record<string, string>; body: string }>;
    const res = await handler({}, {});
    assert.equal(res.status, 503);
    assert.equal(res.headers['content-type'], 'application/problem+json');
    assert.doesNotMatch(res.body, /secret|boom/);
  });

  describe('the host\'s terminate hook (app.hook.appTerminate)', () => {
    const hookOf = (runtime: Promise<Runtime>, log?: (line: string) => void) => {
      const handlers: (() => void | Promise<void>)[] = [];
      registerTerminate({ hook: { appTerminate: (h) => void handlers.push(h) } }, runtime, log);
      assert.equal(handlers.length, 1);
      return handlers[0]!;
    };

    it('closes the runtime (ends the database pool) once, however often the host calls it', async () => {
      let closed = 0;
      const hook = hookOf(Promise.resolve({ close: async () => void closed++ } as unknown as Runtime));
      await hook();
      await hook();
      assert.equal(closed, 1);
    });

    it('a runtime that never started has nothing to close; a failing close is logged, not thrown', async () => {
      const failed = Promise.reject(new Error('no start'));
      failed.catch(() => undefined);
      await hookOf(failed)();
      const lines: string[] = [];
      await hookOf(Promise.resolve({ close: () => Promise.reject(new Error('pool already ended')) } as unknown as Runtime), (l) => void lines.push(l))();
      assert.deepEqual(lines, ['apim-rls: closing the database connections at shutdown failed: pool already ended']);
    });

    it('the entry registers it with the installed @azure/functions (app.hook.appTerminate exists)', () => {
      assert.equal(typeof azureFunctions.app.hook.appTerminate, 'function');
      assert.match(readFileSync(join(repoRoot, 'functions', 'app.ts'), 'utf8'), /registerTerminate\(azureFunctions\.app, runtime\)/);
    });
  });

  // the run's PGlite cache (scripts/run-tests.mjs), not the user's home, for the spawned entry
  const runCache = process.env.APIM_RLS_PGLITE_CACHE ? { APIM_RLS_PGLITE_CACHE: process.env.APIM_RLS_PGLITE_CACHE } : {};
  describe('build output', () => {
    let dir: string;
    before(() => {
      // compile the entry with the project's build settings (rootDir '.', outDir 'dist') into a scratch folder;
      // noCheck: the emit only (the same files, byte for byte; type errors fail `npm run typecheck` and `npm run
      // build` in CI), a third less CPU than checking the entry's whole program again here
      mkdirSync(join(repoRoot, '.dev'), { recursive: true });
      dir = mkdtempSync(join(repoRoot, '.dev', 'fn-build-'));
      const rel = relative(dir, repoRoot);
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
        extends: join(rel, 'tsconfig.build.json'),
        compilerOptions: { rootDir: rel, outDir: './dist', declaration: false, sourceMap: false, noCheck: true },
        include: [],
        files: [join(rel, 'functions', 'app.ts')],
      }));
      const tsc = spawnSync(process.execPath, [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' });
      assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
    });
    after(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    it("package.json main is where the build puts the entry, and loading it registers every function", () => {
      const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { main: string };
      assert.equal(pkg.main, 'dist/functions/app.js');
      const r = spawnSync(process.execPath, [join(dir, pkg.main)], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...runCache, ...settings } });
      assert.equal(r.status, 0, r.stderr);
      const out = r.stdout + r.stderr;
      for (const name of ['listOrders', 'createOrder', 'getOrder', 'updateOrder', 'deleteOrder', 'getMe', 'health']) {
        // outside the Functions host the package is in test mode and says which function it would register
        assert.match(out, new RegExp(`register function "${name}"`));
      }
    });

    it('bad app settings stop the start-up with one message naming every problem', () => {
      const r = spawnSync(process.execPath, [join(dir, 'dist', 'functions', 'app.js')], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', APIM_RLS_DB: 'mysql://nope' } });
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /invalid app settings/);
      for (const name of ['APIM_RLS_DB', 'APIM_RLS_OPENID_CONFIG_URL', 'APIM_RLS_AUDIENCE']) assert.match(r.stderr, new RegExp(name));
    });
  });
});
