import type { Command } from 'commander';
import { resolve } from 'node:path';
import { CliError, ExitCode } from '../exit-codes.js';
import type { CommandIo } from '../io.js';
import { defaultIssuerUrl, defaultKeyDir, maxTtlSeconds, mintFromKeyDir, mintRequestSchema, openKeyStore, type MintRequest } from '../../local/issuer/index.js';
import { sampleUsers } from '../../rls/sample/users.js';

interface TokenFlags {
  sub?: string;
  oid?: string;
  tid?: string;
  roles: string[];
  scp: string[];
  aud: string[];
  ttl?: string;
  claim: string[];
  issuerDir?: string;
  issuerUrl?: string;
}

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];
/** `--roles a,b --roles c` → [a, b, c] */
const splitList = (values: string[], separator: RegExp) => values.flatMap((v) => v.split(separator)).map((v) => v.trim()).filter((v) => v !== '');

/** Turns the flags into a mint request; bad flags throw CliError (exit 2). Exported for tests. */
export function mintRequestFromFlags(flags: TokenFlags): MintRequest {
  if (!flags.sub) throw new CliError('--sub is required', ExitCode.BadInput);
  const request: Record<string, unknown> = { sub: flags.sub };
  // the local stack's directory is the sample's personas: alice's token carries alice's oid, so her seeded orders are hers
  const persona = Object.values(sampleUsers).find((u) => u.sub === flags.sub);
  const oid = flags.oid ?? persona?.oid;
  const tid = flags.tid ?? persona?.tid;
  if (oid !== undefined) request.oid = oid;
  if (tid !== undefined) request.tid = tid;
  const roles = splitList(flags.roles, /,/);
  if (roles.length > 0) request.roles = roles;
  const scp = splitList(flags.scp, /[\s,]+/);
  if (scp.length > 0) request.scp = scp;
  const aud = splitList(flags.aud, /,/);
  if (aud.length > 0) request.aud = aud.length === 1 ? aud[0] : aud;
  if (flags.ttl !== undefined) {
    if (!/^\d+$/.test(flags.ttl) || Number(flags.ttl) < 1 || Number(flags.ttl) > maxTtlSeconds) {
      throw new CliError(`--ttl must be a whole number of seconds between 1 and ${maxTtlSeconds}`, ExitCode.BadInput);
    }
    request.ttlSeconds = Number(flags.ttl);
  }
  if (flags.claim.length > 0) {
    const extra: Record<string, unknown> = {};
    for (const c of flags.claim) {
      const eq = c.indexOf('=');
      if (eq <= 0) throw new CliError(`--claim takes NAME=VALUE (a JSON value or a string), got "${c}"`, ExitCode.BadInput);
      const value = c.slice(eq + 1);
      let parsed: unknown = value;
      try {
        parsed = JSON.parse(value);
      } catch {
        // a plain string
      }
      extra[c.slice(0, eq)] = parsed;
    }
    request.extra = extra;
  }
  const result = mintRequestSchema.safeParse(request);
  if (!result.success) {
    const flagFor: Record<string, string> = { ttlSeconds: '--ttl', extra: '--claim' };
    const detail = result.error.issues.map((i) => `${flagFor[String(i.path[0])] ?? '--' + String(i.path[0] ?? 'sub')}: ${i.message}`).join('; ');
    throw new CliError(`invalid token request: ${detail}`, ExitCode.BadInput);
  }
  return result.data;
}

/** Registers `apim-rls token`: prints a token signed by the local issuer's keys (and nothing else on stdout). */
/**
 * The `iss` to mint when --issuer-url is not given. An issuer records the URL it advertises in
 * its key folder; a token for an issuer that has since stopped (e.g. a test's on a free port)
 * would be refused by the next one. So the recorded URL is used only while an issuer answers
 * there (its discovery document, within 1.5 s); otherwise the default URL, and stderr says so.
 */
export async function chooseIssuer(keyDir: string, probeTimeoutMs = 1500): Promise<{ issuer: string; note?: string }> {
  const stored = (await openKeyStore({ dir: keyDir })).storedIssuer();
  if (stored === undefined || stored === defaultIssuerUrl) return { issuer: defaultIssuerUrl };
  try {
    const res = await fetch(`${stored}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(probeTimeoutMs), redirect: 'manual' });
    await res.body?.cancel();
    if (res.ok) return { issuer: stored, note: `iss ${stored}: the issuer running on ${keyDir}` };
  } catch {
    // not running: fall through
  }
  return { issuer: defaultIssuerUrl, note: `iss ${defaultIssuerUrl}: the issuer last started on ${keyDir} (${stored}) is not running; pass --issuer-url to choose` };
}

export function registerToken(program: Command, io: CommandIo): void {
  program
    .command('token')
    .description("print a token signed by the local OpenID issuer's keys (created in the key folder when missing)")
    .option('--sub <sub>', 'subject (required)')
    .option('--oid <oid>', "object id (default: the sample persona's when --sub is alice, bob, carol, dave or erin, else a stable UUID derived from --sub)")
    .option('--tid <tid>', "tenant id (default: the sample persona's, else none)")
    .option('--roles <roles>', 'app roles, comma-separated (repeatable)', collect)
    .option('--scp <scopes>', 'delegated scopes, space- or comma-separated (repeatable)', collect)
    .option('--aud <audience>', 'audience (repeatable; default api://apim-rls-orders)', collect)
    .option('--ttl <seconds>', 'lifetime in seconds (default 3600)')
    .option('--claim <name=value>', 'an extra claim; the value is JSON or a plain string (repeatable)', collect)
    .option('--issuer-dir <dir>', 'key folder of the local issuer (default .dev/issuer in the project)')
    .option('--issuer-url <url>', 'the iss to mint (default: what the last local issuer on the key folder advertised, else http://127.0.0.1:8081)')
    .exitOverride()
    .action(async (given: Partial<TokenFlags>) => {
      // no default list on the repeatable flags, so help shows no "(default: [])"
      const flags: TokenFlags = { ...given, roles: given.roles ?? [], scp: given.scp ?? [], aud: given.aud ?? [], claim: given.claim ?? [] };
      const request = mintRequestFromFlags(flags);
      if (flags.issuerUrl !== undefined && !/^https?:\/\/[^\s/]+/.test(flags.issuerUrl)) {
        throw new CliError('--issuer-url must be an http(s) URL', ExitCode.BadInput);
      }
      const keyDir = flags.issuerDir !== undefined ? resolve(flags.issuerDir) : defaultKeyDir();
      let token: string;
      try {
        const options: Parameters<typeof mintFromKeyDir>[1] = { keyDir };
        if (flags.issuerUrl !== undefined) options.issuer = flags.issuerUrl.replace(/\/+$/, '');
        else {
          const chosen = await chooseIssuer(keyDir);
          options.issuer = chosen.issuer;
          if (chosen.note !== undefined) io.stderr(`apim-rls: ${chosen.note}\n`);
        }
        ({ token } = await mintFromKeyDir(request, options));
      } catch (err) {
        throw new CliError(`could not use the key folder ${keyDir}: ${err instanceof Error ? err.message : String(err)}`, ExitCode.RuntimeFailure);
      }
      io.stdout(token + '\n');
    });
}
