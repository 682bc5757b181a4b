/**
 * Writes what a service holds into an estate folder in APIOps's layout (layout.ts): policies in
 * the raw form APIM exports (`format=rawxml`, as read), fragment descriptions, and named values'
 * information without secret values — a secret becomes `"secret": true` with no value (publish
 * then takes it from `APIM_NAMED_VALUE_<NAME>`), a Key Vault one keeps only its reference.
 * Existing files are replaced; nothing else in the folder is touched.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { LAYOUT } from './layout.js';
import type { RemoteEstate, RemoteEntry } from './read-service.js';

export interface WrittenFile {
  /** Folder-relative path. */
  file: string;
  path: string;
}

function fileFor(e: RemoteEntry, prefix: string): { policy?: string; info?: string } {
  const segs = e.path.slice(prefix.length).split('/');
  switch (e.kind) {
    case 'namedValue':
      return { info: [LAYOUT.namedValues, segs[1]!, LAYOUT.namedValueInformation].join('/') };
    case 'fragment':
      return { policy: [LAYOUT.fragments, segs[1]!, LAYOUT.policyFile].join('/'), info: [LAYOUT.fragments, segs[1]!, LAYOUT.fragmentInformation].join('/') };
    case 'global':
      return { policy: LAYOUT.policyFile };
    case 'product':
      return { policy: [LAYOUT.products, segs[1]!, LAYOUT.policyFile].join('/') };
    case 'api':
      return { policy: [LAYOUT.apis, segs[1]!, LAYOUT.policyFile].join('/') };
    case 'operation':
      return { policy: [LAYOUT.apis, segs[1]!, LAYOUT.operations, segs[3]!, LAYOUT.policyFile].join('/') };
  }
}

export async function writeEstateFolder(dir: string, remote: RemoteEstate, o: { workspace?: string } = {}): Promise<WrittenFile[]> {
  const prefix = o.workspace === undefined ? '' : `workspaces/${o.workspace}/`;
  const base = o.workspace === undefined ? '' : `${LAYOUT.workspaces}/${o.workspace}/`;
  const written: WrittenFile[] = [];
  const put = async (rel: string, text: string, path: string): Promise<void> => {
    const file = base + rel;
    await mkdir(dirname(join(dir, file)), { recursive: true });
    await writeFile(join(dir, file), text);
    written.push({ file, path });
  };
  for (const e of [...remote.entries.values()].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    const f = fileFor(e, prefix);
    if (e.kind === 'namedValue') {
      const properties: Record<string, unknown> = { displayName: e.displayName, secret: e.secret, tags: e.tags };
      if (e.keyVault) properties.keyVault = e.keyVault;
      else if (!e.secret && e.value !== undefined) properties.value = e.value;
      await put(f.info!, JSON.stringify({ properties }, null, 2) + '\n', e.path);
      continue;
    }
    await put(f.policy!, e.value, e.path);
    if (e.kind === 'fragment') await put(f.info!, JSON.stringify({ properties: e.description !== undefined ? { description: e.description } : {} }, null, 2) + '\n', e.path);
  }
  return written;
}
