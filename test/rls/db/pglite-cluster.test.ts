import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { newPglite, pgliteCacheDirFromEnv, pgliteTemplateFile, readTemplate } from '../../../rls/db/pglite-cluster.js';
import { freshPglite } from '../../support/pglite.js';

const root = mkdtempSync(join(tmpdir(), 'apim-rls-pglite-cluster-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const folder = (name: string) => join(root, `${name}-${n++}`);

const tables = async (pg: PGlite) => (await pg.query<{ relname: string }>("select relname from pg_class where relname like 'marker%' order by 1")).rows.map((r) => r.relname);

/**
 * A dump holding a table initdb never makes, put where the cache's dump goes: a cluster that has
 * the table came from the cache file, one without it did not.
 */
let marked: Buffer | undefined;
async function markedCache(mode = 0o700): Promise<string> {
  const cache = folder('cache');
  mkdirSync(cache, { mode });
  chmodSync(cache, mode);
  marked ??= await (async () => {
    const pg = await freshPglite();
    await pg.exec('create table marker_from_cache (x int)');
    const bytes = Buffer.from(await (await pg.dumpDataDir('none')).arrayBuffer());
    await pg.close();
    return bytes;
  })();
  writeFileSync(pgliteTemplateFile(cache), marked, { mode: 0o600 });
  return cache;
}

describe('newPglite: a new cluster from the cached dump of a fresh initdb', () => {
  it('the first new cluster runs initdb and leaves its dump (private to the user); the next ones load it; a lock left by a process that is gone is taken over and released', async () => {
    const cache = folder('cache');
    mkdirSync(cache, { mode: 0o700 });
    const file = pgliteTemplateFile(cache);
    const gone = spawnSync(process.execPath, ['-e', '0']).pid!;
    writeFileSync(`${file}.lock`, String(gone));
    const first = await newPglite(undefined, cache);
    try {
      assert.ok(existsSync(file), 'the dump is written');
      assert.ok(!existsSync(`${file}.lock`), 'the lock is released');
      if (process.getuid) {
        assert.equal(statSync(file).mode & 0o777, 0o600);
        assert.equal(statSync(cache).mode & 0o777, 0o700);
      }
      // taken before anyone wrote: what the first cluster does later never reaches the next ones
      await first.exec('create table marker_written_later (x int)');
      const second = await newPglite(undefined, cache);
      assert.deepEqual(await tables(second), []);
      assert.deepEqual((await second.query('select current_user as u')).rows, [{ u: 'postgres' }]);
      await second.close();
    } finally {
      await first.close();
    }
  });

  it('loads the dump into memory and into a missing or empty folder; a folder holding a cluster is opened as it is', async () => {
    const cache = await markedCache();
    const memory = await newPglite(undefined, cache);
    assert.deepEqual(await tables(memory), ['marker_from_cache']);
    await memory.close();

    const dir = join(folder('db'), 'nested');
    const inFolder = await newPglite(dir, cache);
    assert.deepEqual(await tables(inFolder), ['marker_from_cache']);
    await inFolder.exec('create table marker_kept (x int)');
    await inFolder.close();
    // opened again: the folder's own cluster, nothing loaded over it
    const again = await newPglite(dir, cache);
    assert.deepEqual(await tables(again), ['marker_from_cache', 'marker_kept']);
    await again.close();

    const empty = folder('empty');
    mkdirSync(empty);
    const fromEmpty = await newPglite(empty, cache);
    assert.deepEqual(await tables(fromEmpty), ['marker_from_cache']);
    await fromEmpty.close();
  });

  it('a new cluster waits for the dump another live process is making (its lock) and loads it, instead of a second initdb', async () => {
    const cache = folder('cache');
    mkdirSync(cache, { mode: 0o700 });
    const file = pgliteTemplateFile(cache);
    // the other process: alive while the test says so
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      await new Promise((resolve, reject) => holder.once('spawn', resolve).once('error', reject));
      writeFileSync(`${file}.lock`, String(holder.pid));
      const waiting = newPglite(undefined, cache);
      await new Promise((resolve) => setTimeout(resolve, 200));
      // the other process leaves its dump as newPglite does (a temporary file, then a rename) and releases the lock
      const bytes = readFileSync(pgliteTemplateFile(await markedCache()));
      writeFileSync(`${file}.part`, bytes, { mode: 0o600 });
      renameSync(`${file}.part`, file);
      rmSync(`${file}.lock`);
      const pg = await waiting;
      // before: it ran initdb of its own beside the other one (no marker)
      assert.deepEqual(await tables(pg), ['marker_from_cache']);
      await pg.close();
    } finally {
      holder.kill();
    }
  });

  it('a dump in a folder others may write to, or that others may write, is not used', async () => {
    for (const [dirMode, fileMode] of [[0o777, 0o600], [0o700, 0o666], [0o770, 0o600]] as const) {
      const cache = await markedCache(dirMode);
      chmodSync(pgliteTemplateFile(cache), fileMode);
      assert.equal(readTemplate(pgliteTemplateFile(cache)), process.getuid ? undefined : readTemplate(pgliteTemplateFile(cache)), `folder ${dirMode.toString(8)}, file ${fileMode.toString(8)}`);
    }
    const own = await markedCache();
    assert.ok(readTemplate(pgliteTemplateFile(own)) instanceof Blob, 'the private one is used');
    // opened once, never through a symbolic link (owner and mode read from the open file: review finding, a folder renamed between check and read)
    const linked = folder('cache');
    mkdirSync(linked, { mode: 0o700 });
    symlinkSync(pgliteTemplateFile(own), pgliteTemplateFile(linked));
    assert.equal(readTemplate(pgliteTemplateFile(linked)), undefined);
  });

  it('a damaged dump is replaced by a fresh one, and the cluster (in memory or in a folder) is made by initdb', async () => {
    const cache = folder('cache');
    mkdirSync(cache, { mode: 0o700 });
    const file = pgliteTemplateFile(cache);
    writeFileSync(file, 'not a tar file at all', { mode: 0o600 });
    const dir = folder('db');
    const pg = await newPglite(dir, cache);
    assert.deepEqual((await pg.query('select 1 as one')).rows, [{ one: 1 }]);
    await pg.close();
    assert.ok(statSync(file).size > 1_000_000, 'a real dump was written in its place');
    const reopened = await newPglite(dir, cache);
    assert.deepEqual((await reopened.query('select 1 as one')).rows, [{ one: 1 }]);
    await reopened.close();
  });

  it('a symbolic link to an empty folder: the cluster is loaded from the dump into the folder it names, and the dump survives (regression: ErrnoError errno 44, and the good dump deleted as damaged; failed before the fix)', async () => {
    const cache = await markedCache();
    const file = pgliteTemplateFile(cache);
    const target = folder('target');
    mkdirSync(target);
    const link = folder('link');
    symlinkSync(target, link);
    const pg = await newPglite(link, cache);
    try {
      assert.deepEqual(await tables(pg), ['marker_from_cache']);
    } finally {
      await pg.close();
    }
    assert.ok(existsSync(join(target, 'PG_VERSION')));
    assert.ok(readFileSync(file).equals(marked!), 'the dump is kept as it was');
  });

  it('an empty folder anyone may write to ends 0700 with the new cluster in it, loaded by PGlite (regression: it stayed 0777; failed before the fix)', { skip: !process.getuid }, async () => {
    const cache = await markedCache();
    const dir = folder('open');
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    const pg = await newPglite(dir, cache);
    try {
      assert.deepEqual(await tables(pg), ['marker_from_cache']);
    } finally {
      await pg.close();
    }
    assert.equal(statSync(dir).mode & 0o777, 0o700);
  });

  it('a process that loads a cluster from the dump and never closes it still exits (regression: the Functions app in test mode hung)', async () => {
    const cache = await markedCache();
    const module = new URL('../../../rls/db/pglite-cluster.ts', import.meta.url).href;
    const script = `import { newPglite } from ${JSON.stringify(module)}; const pg = await newPglite(undefined, process.env.CACHE); await pg.query('select 1'); console.log('ready');`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, CACHE: cache } });
    assert.equal(r.stdout.trim(), 'ready', r.stderr);
    assert.equal(r.signal, null, 'killed at the timeout: something kept the process alive');
    assert.equal(r.status, 0, r.stderr);
  });

});

describe('pgliteCacheDirFromEnv', () => {
  it('APIM_RLS_PGLITE_CACHE, off for none, else XDG_CACHE_HOME/apim-rls, else ~/.cache/apim-rls', () => {
    assert.equal(pgliteCacheDirFromEnv({ APIM_RLS_PGLITE_CACHE: '/c', XDG_CACHE_HOME: '/x' }), '/c');
    assert.equal(pgliteCacheDirFromEnv({ APIM_RLS_PGLITE_CACHE: 'off' }), null);
    assert.equal(pgliteCacheDirFromEnv({ XDG_CACHE_HOME: '/x' }), join('/x', 'apim-rls'));
    assert.equal(pgliteCacheDirFromEnv({ APIM_RLS_PGLITE_CACHE: '' }), join(homedir(), '.cache', 'apim-rls'));
    // a relative XDG_CACHE_HOME is invalid (the XDG base directory spec): ignored
    assert.equal(pgliteCacheDirFromEnv({ XDG_CACHE_HOME: 'cache' }), join(homedir(), '.cache', 'apim-rls'));
  });
});
