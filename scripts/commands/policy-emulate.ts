/**
 * `apim-rls policy emulate FILE.xml --request REQ.json [--scope FILE ...] [--fragment ID=FILE ...]
 * [--named-value NAME=VALUE ...] [--backend URL] [--trace]`: runs the policy against one request
 * and prints the response as JSON. Bad input (unreadable or invalid files, unsupported elements
 * or expressions) → message + exit 2.
 */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { referencedNamedValues } from '../publish/named-values.js';
import { z } from 'zod';
import { pairs, repeatable } from './flags.js';
import { CliError, ExitCode } from '../exit-codes.js';
import type { CommandIo } from '../io.js';
import { emulate, EmulatorError, type EmulateOptions, type EmulatorResult } from '../../policies/emulator/index.js';
import { keyFetchFailedTrace } from '../../policies/emulator/elements/identity.js';
import { JwtValue } from '../../policies/emulator/expressions/jwt-value.js';
import { JToken } from '../../policies/emulator/expressions/json.js';
import { HostObject } from '../../policies/emulator/expressions/values.js';
import { parsePolicyXml, PolicyXmlError, type XmlElement } from '../../policies/xml/index.js';

const RequestFile = z
  .object({
    method: z.string().regex(/^[A-Za-z]+$/).optional(),
    url: z.string().url(),
    headers: z.record(z.string(), z.union([z.string(), z.array(z.string())])).optional(),
    body: z.unknown().optional(),
    ipAddress: z.string().optional(),
    matchedParameters: z.record(z.string(), z.string()).optional(),
  })
  .strict();

interface EmulateFlags {
  request: string;
  scope?: string[];
  fragment?: string[];
  namedValue?: string[];
  backend?: string;
  managedIdentity?: string;
  issuerDir?: string;
  trace?: boolean;
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? 'EIO'}`, ExitCode.BadInput);
  }
}

function readPolicy(file: string): XmlElement {
  const text = readText(file, 'policy');
  try {
    return parsePolicyXml(text);
  } catch (err) {
    if (err instanceof PolicyXmlError) throw new CliError(`${file}:${err.line}:${err.column}: ${err.reason} (${err.code})`, ExitCode.BadInput);
    throw err;
  }
}

/** Variables as JSON: a Jwt shows its header and claims (never the token itself). */
function plain(v: unknown): unknown {
  if (v === null || v === undefined || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v ?? null;
  if (Array.isArray(v)) return v.map(plain);
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (v instanceof JwtValue) return { type: 'Jwt', header: v.header, claims: v.payload };
  if (v instanceof JToken) return v.value;
  if (v instanceof HostObject) return v.toCsString();
  return String(v);
}

export function emulatorOutput(result: EmulatorResult, trace: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {
    status: result.status,
    reason: result.reason,
    headers: result.headers,
    body: result.body,
    variables: Object.fromEntries(Object.entries(result.variables).map(([k, v]) => [k, plain(v)])),
    lastError: result.lastError,
  };
  if (trace) {
    out.trace = result.trace;
    out.metrics = result.metrics;
    out.backendCalls = result.backendCalls.map((c) => ({ method: c.method, url: c.url, headers: Object.fromEntries(Object.entries(c.headers).map(([k, v]) => [k, /^authorization$/i.test(k) ? '[redacted]' : v])) }));
  }
  return out;
}

/** The local issuer's managed-identity stand-in, signing with the key folder (no running issuer needed). */
async function devCredential(clientId: string, issuerDir: string | undefined): Promise<NonNullable<EmulateOptions['credential']>> {
  const { createDevCredential, defaultKeyDir, mintFromKeyDir } = await import('../../local/issuer/index.js');
  const keyDir = issuerDir !== undefined ? resolve(issuerDir) : defaultKeyDir();
  return createDevCredential(clientId, async (request) => (await mintFromKeyDir(request, { keyDir })).token, Date.now);
}

export function registerPolicyEmulate(policy: Command, io: CommandIo): void {
  policy
    .command('emulate')
    .description('run a policy in the emulator against one request and print the response as JSON')
    .argument('<file>', 'policy XML (the most specific scope)')
    .requiredOption('--request <file>', 'request JSON: {"method","url","headers","body","ipAddress","matchedParameters"}')
    // one value per flag, repeated (a variadic <file...> would swallow the policy FILE after it)
    .option('--scope <file>', 'an enclosing scope policy, outermost first (global, product, API); repeat the flag for each', repeatable)
    .option('--fragment <id=file>', 'a policy fragment for include-fragment; repeatable', repeatable)
    .option('--named-value <name=value>', 'a named value for {{name}} references; repeatable', repeatable)
    .option('--managed-identity <client-id>', "authentication-managed-identity gets its tokens from the local OpenID issuer's managed-identity stand-in for this client id (keys in --issuer-dir)")
    .option('--issuer-dir <dir>', 'key folder of the local issuer, for --managed-identity (default .dev/issuer in the project)')
    .option('--backend <url>', 'backend URL for forward-request (default: no network, the backend answers 200 with an empty body)')
    .option('--trace', 'also print trace, metrics and the backend calls')
    .exitOverride()
    .action(async (file: string, flags: EmulateFlags) => {
      const root = readPolicy(file);
      const scopes = (flags.scope ?? []).map(readPolicy);
      const fragments = Object.fromEntries(pairs(flags.fragment, '--fragment').map(([id, f]) => [id, readPolicy(f)]));
      let requestJson: unknown;
      try {
        requestJson = JSON.parse(readText(flags.request, 'request'));
      } catch (err) {
        if (err instanceof CliError) throw err;
        throw new CliError(`${flags.request} is not JSON`, ExitCode.BadInput);
      }
      const parsed = RequestFile.safeParse(requestJson);
      if (!parsed.success) {
        throw new CliError(`${flags.request}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`, ExitCode.BadInput);
      }
      if (flags.backend !== undefined && !/^https?:\/\//.test(flags.backend)) throw new CliError('--backend must be an http(s) URL', ExitCode.BadInput);
      const namedValues = Object.fromEntries(pairs(flags.namedValue, '--named-value'));
      // every missing named value in one message, rather than one per run
      const referenced = new Set([root, ...scopes, ...Object.values(fragments)].flatMap((el) => referencedNamedValues(el)));
      const missing = [...referenced].filter((n) => !(n in namedValues)).sort();
      if (missing.length > 0) {
        throw new CliError(`named values not given: ${missing.join(', ')} (pass --named-value NAME=VALUE for each)`, ExitCode.BadInput);
      }
      const options: EmulateOptions = { scopes, fragments, namedValues };
      if (flags.managedIdentity !== undefined) options.credential = await devCredential(flags.managedIdentity, flags.issuerDir);
      if (flags.backend) options.backendUrl = flags.backend;
      else options.backend = async () => ({ status: 200 });
      const req = parsed.data;
      try {
        const emulator = emulate(root, options);
        const result = await emulator.send({
          url: req.url,
          ...(req.method !== undefined ? { method: req.method } : {}),
          ...(req.headers !== undefined ? { headers: req.headers } : {}),
          ...(req.body !== undefined ? { body: typeof req.body === 'string' ? req.body : (req.body as object) } : {}),
          ...(req.ipAddress !== undefined ? { ipAddress: req.ipAddress } : {}),
          ...(req.matchedParameters !== undefined ? { matchedParameters: req.matchedParameters } : {}),
          tracing: flags.trace === true,
        });
        io.stdout(`${JSON.stringify(emulatorOutput(result, flags.trace === true), null, 2)}\n`);
        // lastError keeps APIM's TokenSignatureKeyNotFound; why the keys were missing goes to stderr (and the trace)
        for (const t of result.trace) {
          if (t.metadata?.['reason'] === keyFetchFailedTrace) io.stderr(`apim-rls: ${t.source}: ${t.message}\n`);
        }
      } catch (err) {
        if (err instanceof EmulatorError) throw new CliError(`${file}: ${err.message} (${err.code})`, ExitCode.BadInput);
        if (err instanceof PolicyXmlError) throw new CliError(`${err.message} (${err.code})`, ExitCode.BadInput);
        throw err;
      }
    });
}
