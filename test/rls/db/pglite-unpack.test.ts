/**
 * A new PGlite cluster in an empty folder unpacked with Node's fs from the cached dump
 * (rls/db/pglite-unpack.ts, used by openPglite): the same database as PGlite's own loader makes,
 * private modes, nothing written for a dump it refuses, nothing left of a failed unpack, and
 * PGlite's loader (with its own fallback) when the unpacked cluster does not start.
 */
import assert from 'node:assert/strict';
import fs, { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, lutimesSync, utimesSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pgliteTemplateFile } from '../../../rls/db/pglite-cluster.js';
import { openPglite } from '../../../rls/db/pglite.js';
import { readDumpEntries, staleUnpackInMs, unpackDump } from '../../../rls/db/pglite-unpack.js';
import { freshPglite } from '../../support/pglite.js';

const tmp = mkdtempSync(join(tmpdir(), 'apim-rls-unpack-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A ustar archive of the given entries (type '5' folder, '0' file, or any other type byte). */
function tar(entries: { name: string; type?: string; data?: string }[], options: { magic?: string; cut?: number } = {}): Uint8Array {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const data = Buffer.from(e.data ?? '');
    const h = Buffer.alloc(512);
    h.write(e.name, 0, 'utf8');
    h.write('0000600\0', 100);
    h.write(data.length.toString(8).padStart(11, '0') + '\0', 124);
    h.write(e.type ?? '0', 156);
    h.write(options.magic ?? 'ustar\0', 257);
    blocks.push(h, Buffer.concat([data, Buffer.alloc((512 - (data.length % 512)) % 512)]));
  }
  blocks.push(Buffer.alloc(1024));
  const all = Buffer.concat(blocks);
  return new Uint8Array(options.cut === undefined ? all : all.subarray(0, options.cut));
}

/** A small dump of nested folders and files. */
const dump = tar([
  { name: '/PG_VERSION', data: '17\n' },
  { name: '/base', type: '5' },
  { name: '/base/1', type: '5' },
  { name: '/base/1/f', data: 'one' },
  { name: '/base/4/g', data: 'four' },
  { name: '/global', type: '5' },
]);
let n = 0;

const emptyDir = (name: string) => {
  const d = join(tmp, name);
  mkdirSync(d);
  return d;
};

describe('readDumpEntries / unpackDump', () => {
  it('refuses, writing nothing, what is not a data folder dump of folders and files inside the folder', () => {
    const ok = [{ name: '/PG_VERSION', data: '17\n' }];
    const refused: [Uint8Array, RegExp][] = [
      [tar([...ok, { name: '/base', type: '2' }]), /tar type "2"/],
      [tar([...ok, { name: '../escape' }]), /does not stay inside/],
      [tar([...ok, { name: '/base/./x' }]), /does not stay inside/],
      [tar(ok, { magic: 'other\0' }), /not a ustar header/],
      [tar([{ name: '/PG_VERSION', data: 'x'.repeat(600) }], { cut: 700 }), /cut short/],
      [tar([{ name: '/base', type: '5' }]), /no PG_VERSION/],
    ];
    for (const [archive, why] of refused) {
      const r = readDumpEntries(archive);
      assert.ok(!Array.isArray(r));
      assert.match(r.refused, why);
      const dir = emptyDir(`refused-${Math.random().toString(36).slice(2)}`);
      assert.equal(unpackDump(archive, dir), false);
      assert.deepEqual(readdirSync(dir), []);
    }
  });

  it('a folder that holds anything is left as it is: false, nothing replaced, no temporary folder left', () => {
    const parent = emptyDir(`clash-${n++}`);
    const dir = join(parent, 'db');
    mkdirSync(join(dir, 'base'), { recursive: true });
    writeFileSync(join(dir, 'base', 'mine'), 'kept');
    const archive = tar([{ name: '/PG_VERSION', data: '17\n' }, { name: '/global', type: '5' }, { name: '/global/x', data: 'x' }, { name: '/base/mine', data: 'theirs' }]);
    assert.equal(unpackDump(archive, dir), false);
    assert.deepEqual(readdirSync(dir).sort(), ['base']);
    assert.equal(readFileSync(join(dir, 'base', 'mine'), 'utf8'), 'kept');
    assert.deepEqual(readdirSync(parent), ['db']);
  });

  it('never writes through a symbolic link in the folder (regression: a planted base -> elsewhere got base/1 written into elsewhere; failed before the fix)', () => {
    const parent = emptyDir(`planted-${n++}`);
    const elsewhere = emptyDir(`elsewhere-${n++}`);
    const dir = join(parent, 'db');
    mkdirSync(dir);
    symlinkSync(elsewhere, join(dir, 'base'));
    assert.equal(unpackDump(dump, dir), false);
    assert.deepEqual(readdirSync(elsewhere), [], 'nothing written into the folder the link names');
    assert.deepEqual(readdirSync(dir), ['base']);
    assert.deepEqual(readdirSync(parent), ['db'], 'no temporary folder left');
  });

  it('never writes through the folder itself when it is a symbolic link or a file (rename(2): ENOTDIR)', () => {
    const parent = emptyDir(`linked-${n++}`);
    const target = emptyDir(`target-${n++}`);
    symlinkSync(target, join(parent, 'db'));
    assert.equal(unpackDump(dump, join(parent, 'db')), false);
    assert.deepEqual(readdirSync(target), []);
    writeFileSync(join(parent, 'file'), 'kept');
    assert.equal(unpackDump(dump, join(parent, 'file')), false);
    assert.equal(readFileSync(join(parent, 'file'), 'utf8'), 'kept');
    assert.deepEqual(readdirSync(parent).sort(), ['db', 'file']);
  });

  it('an empty folder anyone may write to ends the current user\'s, 0700 (regression: a 0777 folder stayed 0777 with the cluster in it; failed before the fix)', { skip: !process.getuid }, () => {
    const parent = emptyDir(`open-${n++}`);
    const dir = join(parent, 'db');
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    assert.equal(unpackDump(dump, dir), true);
    const st = statSync(dir);
    assert.equal(st.mode & 0o777, 0o700);
    assert.equal(st.uid, process.getuid!());
    assert.deepEqual(readdirSync(dir).sort(), ['PG_VERSION', 'base', 'global']);
    assert.equal(readFileSync(join(dir, 'base', '1', 'f'), 'utf8'), 'one');
    assert.deepEqual(readdirSync(parent), ['db'], 'no temporary folder left');
  });

  it('removes what a killed unpack left beside the folder once it is an hour old (the user\'s own folders only, never a link)', () => {
    const parent = emptyDir(`stale-${n++}`);
    const old = new Date(Date.now() - staleUnpackInMs - 60_000);
    const stale = join(parent, '.apim-rls-unpack-stale1');
    mkdirSync(join(stale, 'base'), { recursive: true });
    utimesSync(stale, old, old);
    const fresh = join(parent, '.apim-rls-unpack-fresh1');
    mkdirSync(fresh);
    const elsewhere = emptyDir(`stale-target-${n++}`);
    const link = join(parent, '.apim-rls-unpack-link1');
    symlinkSync(elsewhere, link);
    lutimesSync(link, old, old);
    const other = join(parent, 'other-old');
    mkdirSync(other);
    utimesSync(other, old, old);
    assert.equal(unpackDump(dump, join(parent, 'db')), true);
    assert.deepEqual(readdirSync(parent).sort(), ['.apim-rls-unpack-fresh1', '.apim-rls-unpack-link1', 'db', 'other-old']);
    assert.ok(existsSync(elsewhere));
  });

  it('a write that fails removes all the unpack wrote, parents too (regression: a/b/c removed, a and a/b left; failed before the fix)', () => {
    const parent = emptyDir(`fails-${n++}`);
    const dir = join(parent, 'db');
    mkdirSync(dir);
    const archive = tar([{ name: '/PG_VERSION', data: '17\n' }, { name: '/a/b/c/one', data: '1' }, { name: '/a/b/c/two', data: '2' }]);
    // the third file write fails (a full disk): node:fs patched, its ES module bindings synced
    const write = fs.writeFileSync;
    let writes = 0;
    fs.writeFileSync = ((...args: Parameters<typeof write>) => {
      if (++writes === 3) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      return write(...args);
    }) as typeof write;
    syncBuiltinESMExports();
    try {
      assert.throws(() => unpackDump(archive, dir), { code: 'ENOSPC' });
    } finally {
      fs.writeFileSync = write;
      syncBuiltinESMExports();
    }
    assert.equal(writes, 3);
    assert.deepEqual(readdirSync(dir), []);
    assert.deepEqual(readdirSync(parent), ['db'], 'no temporary folder left');
  });
});

/** A dump of a fresh initdb (made once) and the pg_class count it holds. */
let fresh: { dump: Buffer; catalog: number | undefined } | undefined;
/** A cache folder holding the dump of a fresh initdb. */
async function realCache(name: string): Promise<{ cache: string; dump: Buffer; catalog: number | undefined }> {
  fresh ??= await (async () => {
    const source = await freshPglite();
    try {
      const dump = Buffer.from(await (await source.dumpDataDir('none')).arrayBuffer());
      const catalog = (await source.query<{ n: number }>('select count(*)::int as n from pg_class')).rows[0]?.n;
      return { dump, catalog };
    } finally {
      await source.close();
    }
  })();
  const cache = join(tmp, name);
  mkdirSync(cache, { mode: 0o700 });
  writeFileSync(pgliteTemplateFile(cache), fresh.dump, { mode: 0o600 });
  return { cache, ...fresh };
}

describe('openPglite in an empty folder with a cached dump', () => {
  it('unpacks the dump (private modes) into a cluster that holds what PGlite makes, keeps its writes, and opens again', async () => {
    const { cache, catalog } = await realCache('cache');
    const dir = join(tmp, 'db'); // missing: created
    const db = await openPglite(dir, cache);
    try {
      assert.equal((await db.query<{ n: number }>('select count(*)::int as n from pg_class')).rows[0]?.n, catalog);
      await db.exec('create table kept (x int); insert into kept values (42)');
    } finally {
      await db.close();
    }
    // unpacked by Node's fs, not PGlite's loader: the folders 0700, the files 0600
    assert.equal(statSync(join(dir, 'base')).mode & 0o777, 0o700);
    assert.equal(statSync(join(dir, 'PG_VERSION')).mode & 0o777, 0o600);
    const again = await openPglite(dir, cache);
    try {
      assert.deepEqual((await again.query('select x from kept')).rows, [{ x: 42 }]);
    } finally {
      await again.close();
    }
  });

  it('a process killed mid-unpack leaves the data folder missing, and the next open succeeds (regression: a half-written folder failed every later open with "reading \'call\'"; failed before the fix)', async () => {
    const { cache } = await realCache('cache-killed');
    const parent = join(tmp, 'killed');
    const dir = join(parent, 'db');
    // the child kills itself (SIGKILL: no clean-up runs) at its 300th file write, mid-unpack
    const module = new URL('../../../rls/db/pglite.ts', import.meta.url).href;
    const script = [
      "import fs from 'node:fs'; import { syncBuiltinESMExports } from 'node:module';",
      'const write = fs.writeFileSync; let n = 0;',
      "fs.writeFileSync = (...a) => { if (++n === 300) process.kill(process.pid, 'SIGKILL'); return write(...a); };",
      'syncBuiltinESMExports();',
      `const { openPglite } = await import(${JSON.stringify(module)});`,
      'await openPglite(process.env.DIR, process.env.CACHE);',
      "console.log('not killed');",
    ].join('\n');
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, DIR: dir, CACHE: cache } });
    assert.equal(r.signal, 'SIGKILL', r.stdout + r.stderr);
    assert.ok(!existsSync(dir), 'the data folder was never made');
    const left = readdirSync(parent);
    assert.equal(left.length, 1);
    assert.match(left[0]!, /^\.apim-rls-unpack-/, 'the half-written unpack is a temporary folder');
    const db = await openPglite(dir, cache);
    try {
      assert.deepEqual((await db.query('select 1 as one')).rows, [{ one: 1 }]);
    } finally {
      await db.close();
    }
  });

  it('pglite:LINK where LINK is a symbolic link to an empty folder opens, in that folder, and the dump survives (regression: ErrnoError errno 44, and the good dump deleted; failed before the fix)', async () => {
    const { cache, dump } = await realCache('cache-link');
    const target = join(tmp, 'link-target');
    mkdirSync(target);
    const link = join(tmp, 'link');
    symlinkSync(target, link);
    const db = await openPglite(link, cache);
    try {
      assert.deepEqual((await db.query('select 1 as one')).rows, [{ one: 1 }]);
    } finally {
      await db.close();
    }
    assert.ok(existsSync(join(target, 'PG_VERSION')), 'the cluster is in the folder the link names');
    assert.ok(readFileSync(pgliteTemplateFile(cache)).equals(dump), 'the dump is kept as it was');
  });

  it('a dump that unpacks but does not start: the folder is emptied and PGlite makes the cluster (the damaged dump replaced)', async () => {
    const cache = join(tmp, 'cache-damaged');
    mkdirSync(cache, { mode: 0o700 });
    const file = pgliteTemplateFile(cache);
    const damaged = tar([{ name: '/PG_VERSION', data: '17\n' }, { name: '/global', type: '5' }]);
    writeFileSync(file, damaged, { mode: 0o600 });
    const dir = join(tmp, 'db-damaged');
    const db = await openPglite(dir, cache);
    try {
      assert.deepEqual((await db.query('select 1 as one')).rows, [{ one: 1 }]);
    } finally {
      await db.close();
    }
    assert.ok(existsSync(join(dir, 'base')));
    // the damaged dump was removed and initdb left a good one in its place
    assert.ok(readFileSync(file).length > damaged.length);
  });
});
