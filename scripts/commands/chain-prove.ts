/**
 * `chain check --prove --cases FILE`: the CLI side of the proof (scripts/chain/prove). Reads the
 * verify cases, runs `proveChain` on what `chain check` loaded, and maps its errors to the exit
 * codes: bad input (cases, settings, a policy that cannot run) → 2, a call through the chain that
 * did not answer in time → 3. Mismatches are findings (exit 1), decided by the caller.
 */
import { loadCases } from '../../rls/cases.js';
import { pgliteCacheDirFromEnv } from '../../rls/db/pglite-cluster.js';
import { RlsError } from '../../rls/errors.js';
import type { ChainInput } from '../chain/check/types.js';
import { proveChain, ProveError, type ProveReport } from '../chain/prove/index.js';
import { CliError, ExitCode } from '../exit-codes.js';
import type { CliEnv } from '../io.js';

export async function proveFromFlags(input: ChainInput, casesFile: string | undefined, env: CliEnv): Promise<ProveReport> {
  if (casesFile === undefined) throw new CliError('--prove needs the verify cases: --cases FILE (as rls verify --cases)', ExitCode.BadInput, 'CHAIN_PROVE_INPUT');
  let cases;
  try {
    cases = await loadCases(casesFile);
  } catch (err) {
    if (err instanceof RlsError) throw new CliError(err.message, ExitCode.BadInput, err.code);
    throw err;
  }
  try {
    return await proveChain({
      policy: input.policy.root,
      scopes: (input.scopes ?? []).map((s) => s.root),
      fragments: Object.fromEntries(Object.entries(input.fragments ?? {}).map(([id, f]) => [id, f.root])),
      namedValues: { ...input.namedValues },
      spec: input.spec,
      cases,
      settings: input.settings,
      // the in-memory cluster comes from the cached dump of a fresh initdb (APIM_RLS_PGLITE_CACHE, docs/local-stack.md)
      pgliteCache: pgliteCacheDirFromEnv(env),
      ...(input.claimMap ? { claimMap: input.claimMap } : {}),
    });
  } catch (err) {
    if (err instanceof ProveError) throw new CliError(err.message, err.code === 'CHAIN_PROVE_TIMEOUT' ? ExitCode.RuntimeFailure : ExitCode.BadInput, err.code);
    throw err;
  }
}
