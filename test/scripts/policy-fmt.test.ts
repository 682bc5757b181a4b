/** `apim-rls policy fmt` in-process through the CLI's `main` (test/support/cli.ts); the first test spawns the process. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, spawnCli } from '../support/cli.js';

let dir = '';

const cli = (...args: string[]) => runCli(args);

const MESSY = `<!-- exported -->
<policies>
  <inbound>
      <base/>
   <choose><when condition="@(context.Request.Headers.GetValueOrDefault("X-A","") == "b" && true)">
        <set-body>@(context.Request.Body.As<JObject>() != null && true)</set-body></when></choose>
  </inbound>
</policies>`;

const XML = `<!-- exported -->
<policies>
    <inbound>
        <base />
        <choose>
            <when condition="@(context.Request.Headers.GetValueOrDefault(&quot;X-A&quot;,&quot;&quot;) == &quot;b&quot; &amp;&amp; true)">
                <set-body>@(context.Request.Body.As&lt;JObject&gt;() != null &amp;&amp; true)</set-body>
            </when>
        </choose>
    </inbound>
</policies>
`;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'apim-rls-fmt-'));
  writeFileSync(join(dir, 'messy.xml'), MESSY);
  writeFileSync(join(dir, 'canonical.xml'), XML);
  writeFileSync(join(dir, 'broken.xml'), '<policies>\n  <inbound>\n  </outbound>\n</policies>\n');
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('policy fmt as a process: the canonical form on stdout (exit 0); --check of a non-canonical file exits 1 with one line on stderr', async () => {
  const r = await spawnCli(['policy', 'fmt', join(dir, 'messy.xml')]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, XML);
  assert.equal(r.stderr, '');
  const file = join(dir, 'messy.xml');
  const check = await spawnCli(['policy', 'fmt', '--check', file]);
  assert.equal(check.code, 1);
  assert.equal(check.stderr, `apim-rls: ${file} is not in canonical raw form (apim-rls policy fmt --write ${file} rewrites it)\n`);
  assert.equal(check.stdout, '');
});

test('policy fmt prints the canonical well-formed form', async () => {
  const r = await cli('policy', 'fmt', join(dir, 'messy.xml'));
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, XML);
});

test('policy fmt --raw prints APIM raw form, expressions verbatim and decoded', async () => {
  const r = await cli('policy', 'fmt', '--raw', '--indent', '2', join(dir, 'messy.xml'));
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdout.includes('    <when condition="@(context.Request.Headers.GetValueOrDefault("X-A","") == "b" && true)">\n'), r.stdout);
  assert.ok(r.stdout.includes('<set-body>@(context.Request.Body.As<JObject>() != null && true)</set-body>'));
});

test('policy fmt --check: 0 for a canonical file, 1 otherwise', async () => {
  const ok = await cli('policy', 'fmt', '--check', join(dir, 'canonical.xml'));
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout, '');
  const messy = await cli('policy', 'fmt', '--check', join(dir, 'messy.xml'));
  assert.equal(messy.code, 1);
  assert.match(messy.stderr, /not in canonical raw form/);
  // the well-formed canonical file is not the canonical raw form
  assert.equal((await cli('policy', 'fmt', '--check', '--raw', join(dir, 'canonical.xml'))).code, 1);
});

test('policy fmt --check and --write keep a raw-form file raw (regression: --check failed every raw file and suggested the well-formed form)', async () => {
  const rawCanonical = (await cli('policy', 'fmt', '--raw', join(dir, 'messy.xml'))).stdout;
  const raw = join(dir, 'raw-canonical.xml');
  writeFileSync(raw, rawCanonical);
  const ok = await cli('policy', 'fmt', '--check', raw);
  assert.equal(ok.code, 0, ok.stderr);
  const target = join(dir, 'raw-messy.xml');
  writeFileSync(target, MESSY);
  const messy = await cli('policy', 'fmt', '--check', target);
  assert.equal(messy.code, 1);
  assert.equal(messy.stderr, `apim-rls: ${target} is not in canonical raw form (apim-rls policy fmt --write ${target} rewrites it)\n`);
  const written = await cli('policy', 'fmt', '--write', target);
  assert.equal(written.code, 0, written.stderr);
  assert.equal(written.stdout, `formatted ${target}\n`);
  assert.equal(readFileSync(target, 'utf8'), rawCanonical);
  assert.equal((await cli('policy', 'fmt', '--check', target)).code, 0);
  assert.equal((await cli('policy', 'fmt', '--write', target)).stdout, '', 'nothing to do the second time');
  assert.equal((await cli('policy', 'fmt', '--check', '--write', target)).code, 2);
});

test('policy fmt: malformed or unreadable input exits 2 with file:line:column', async () => {
  const broken = join(dir, 'broken.xml');
  const r = await cli('policy', 'fmt', broken);
  assert.equal(r.code, 2);
  assert.ok(r.stderr.startsWith(`apim-rls: ${broken}:3:3: `), r.stderr);
  assert.match(r.stderr, /ERR_XML_MALFORMED/);
  assert.equal(r.stdout, '');
  const missing = await cli('policy', 'fmt', join(dir, 'missing.xml'));
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read .*missing\.xml: ENOENT/);
  assert.equal((await cli('policy', 'fmt', '--indent', 'x', join(dir, 'messy.xml'))).code, 2);
});
