/**
 * `apim-rls policy publish`: compare a local policy with the one in API Management, show the
 * diff, and write it with If-Match (or only show it, with --dry-run). Exit codes: 0 nothing to
 * do or applied, 1 changes pending on a dry run, 2 bad input (arguments, XML, lint errors,
 * missing named values), 3 ARM failure. Defaults come from the environment scripts/cli.ts passes (io.env).
 */
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { DefaultAzureCredential } from '@azure/identity';
import { CliError, ExitCode } from '../exit-codes.js';
import type { CliEnv } from '../io.js';
import { ArmPolicyStore, type ArmPolicyStoreOptions, type TokenCredential } from '../publish/arm.js';
import { PublishError, PublishErrorCode, isInputError } from '../publish/errors.js';
import { publishPolicy, type PolicyCodec, type PublishOptions, type PublishRequest, type PublishResult } from '../publish/publish.js';
import { publishCodec } from '../publish/policy-xml.js';
import { lintForPublish } from '../publish/lint.js';
import { productPolicies, type ProductPolicy } from '../../policies/product/index.js';
import { buildPolicy } from '../../policies/model/codec.js';
import { writePolicyXml } from '../../policies/xml/index.js';
import { describeTarget, resolveTarget, serviceProblems, type ServiceRef } from '../publish/target.js';
import { idProblem } from '../publish/estate/resource.js';

export interface PublishFlags {
  subscription?: string;
  resourceGroup?: string;
  service?: string;
  workspace?: string;
  api?: string;
  operation?: string;
  product?: string;
  global?: boolean;
  fragment?: string;
  file?: string;
  fromBuild?: string;
  dryRun?: boolean;
  force?: boolean;
  format: string;
  endpoint?: string;
  timeout: string;
}

/** What the command takes from its surroundings; tests replace these, the CLI uses the defaults. */
export interface PolicyPublishSeams {
  /** Default: one `DefaultAzureCredential`, created when the command runs. */
  credential?: () => TokenCredential;
  /** The environment read for defaults (AZURE_SUBSCRIPTION_ID, AZURE_RESOURCE_GROUP, APIM_SERVICE_NAME): scripts/cli.ts passes its io.env. */
  env: CliEnv;
  /** Where the result is printed: scripts/cli.ts passes its io.stdout. */
  stdout: (text: string) => void;
  clientOptions?: ArmPolicyStoreOptions['clientOptions'];
  pollIntervalInMs?: number;
  codec?: PolicyCodec;
  /** Default: `policies/lint` through scripts/publish/lint.ts. */
  lint?: PublishOptions['lint'];
  /** Default: this product's policies (`policies/product`). */
  productPolicies?: () => ProductPolicy[];
}

export function serviceFrom(flags: PublishFlags, env: CliEnv): ServiceRef {
  const svc = {
    subscriptionId: flags.subscription ?? env.AZURE_SUBSCRIPTION_ID,
    resourceGroup: flags.resourceGroup ?? env.AZURE_RESOURCE_GROUP,
    serviceName: flags.service ?? env.APIM_SERVICE_NAME,
  };
  const problems = serviceProblems(svc);
  if (problems.length > 0) throw new CliError(problems.join('; '), ExitCode.BadInput);
  return svc as ServiceRef;
}

/** `--timeout SECONDS` as the signal that gives up on ARM (a whole number, at least 1). */
export function timeoutSignal(seconds: string): AbortSignal {
  if (!/^\d{1,5}$/.test(seconds) || Number(seconds) < 1) throw new CliError('--timeout must be a whole number of seconds (at least 1)', ExitCode.BadInput);
  return AbortSignal.timeout(Number(seconds) * 1000);
}

export function checkEndpoint(endpoint: string | undefined): string | undefined {
  if (endpoint === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new CliError(`--endpoint '${endpoint}' is not a URL`, ExitCode.BadInput);
  }
  if (url.protocol !== 'https:') throw new CliError('--endpoint must be https: the Azure SDK never sends a token over plain http', ExitCode.BadInput);
  return url.origin;
}

/** `--from-build NAME`: this product's policy NAME, built and written in the raw form. */
function fromBuild(name: string, flags: PublishFlags, seams: PolicyPublishSeams): PublishRequest {
  const all = (seams.productPolicies ?? productPolicies)();
  const found = all.find((p) => p.name === name);
  if (!found) throw new CliError(`--from-build: no product policy '${name}' (there are: ${all.map((p) => p.name).join(', ')})`, ExitCode.BadInput);
  const isFragment = found.document.kind === 'fragment';
  const noTarget = !flags.global && flags.product === undefined && flags.api === undefined && flags.fragment === undefined;
  // the global policy needs no identifier, so --from-build global is enough
  const resolved = resolveTarget(noTarget && found.scope === 'global' && !isFragment ? { global: true } : {
    global: flags.global,
    productId: flags.product,
    apiId: flags.api,
    operationId: flags.operation,
    fragmentId: flags.fragment,
  });
  if ('problems' in resolved) throw new CliError(resolved.problems.join('; '), ExitCode.BadInput, PublishErrorCode.BadTarget);
  const want = isFragment ? 'fragment' : found.scope;
  if (resolved.target.scope !== want) {
    throw new CliError(`--from-build ${name} is for the ${want} scope; it cannot be published as ${describeTarget(resolved.target)}`, ExitCode.BadInput);
  }
  let source: string;
  try {
    source = writePolicyXml(buildPolicy(found.document), { form: 'raw' });
  } catch (err) {
    throw new CliError(`--from-build ${name}: cannot build the policy: ${err instanceof Error ? err.message : String(err)}`, ExitCode.BadInput);
  }
  return { target: resolved.target, source, sourceLabel: `build:${name}` };
}

async function requestsFrom(flags: PublishFlags, seams: PolicyPublishSeams): Promise<PublishRequest[]> {
  if (flags.file !== undefined && flags.fromBuild !== undefined) throw new CliError('give either --file or --from-build, not both', ExitCode.BadInput);
  if (flags.fromBuild !== undefined) return [fromBuild(flags.fromBuild, flags, seams)];
  const resolved = resolveTarget({
    global: flags.global,
    productId: flags.product,
    apiId: flags.api,
    operationId: flags.operation,
    fragmentId: flags.fragment,
  });
  if ('problems' in resolved) throw new CliError(resolved.problems.join('; '), ExitCode.BadInput, PublishErrorCode.BadTarget);
  if (flags.file === undefined) throw new CliError('give the policy to publish with --file POLICY.xml or --from-build NAME', ExitCode.BadInput);
  let source: string;
  try {
    source = await readFile(flags.file, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'unreadable';
    throw new CliError(`cannot read ${flags.file}: ${code}`, ExitCode.BadInput);
  }
  return [{ target: resolved.target, source, sourceLabel: flags.file }];
}

function resultJson(r: PublishResult): Record<string, unknown> {
  return {
    target: r.target,
    action: r.action,
    applied: r.applied,
    dryRun: r.dryRun,
    format: r.format,
    namedValues: r.namedValues,
    findings: r.findings,
    diff: r.diff,
  };
}

function resultText(r: PublishResult): string {
  const where = describeTarget(r.target);
  const lines: string[] = [];
  for (const f of r.findings) lines.push(`${f.severity} ${f.rule}${f.line !== undefined ? ` (line ${f.line})` : ''}: ${f.message}`);
  if (r.action === 'unchanged') {
    lines.push(`${where}: unchanged, nothing sent`);
    return lines.join('\n') + '\n';
  }
  const verb = r.action === 'create' ? 'create' : 'update';
  lines.push(r.diff.trimEnd());
  lines.push(r.applied ? `${where}: published (${verb}, format ${r.format})` : `${where}: would ${verb} (dry run, format ${r.format})`);
  return lines.join('\n') + '\n';
}

/** Registers `policy publish`. */
export function registerPolicyPublish(program: Command, seams: PolicyPublishSeams): void {
  program
    .command('publish')
    .description('publish a policy to API Management through ARM: compare, show the diff, write with If-Match')
    .option('--subscription <id>', 'Azure subscription id (default AZURE_SUBSCRIPTION_ID)')
    .option('--resource-group <name>', 'resource group of the service (default AZURE_RESOURCE_GROUP)')
    .option('--service <name>', 'API Management service name (default APIM_SERVICE_NAME)')
    .option('--workspace <id>', 'a policy of this workspace (workspaces/<id>/…); --global is then the workspace policy')
    .option('--global', 'the service-wide (global) policy')
    .option('--product <id>', 'a product policy')
    .option('--api <id>', 'an API policy')
    .option('--operation <id>', 'an operation policy (with --api)')
    .option('--fragment <name>', 'a policy fragment')
    .option('--file <policy.xml>', 'the policy to publish (raw or well-formed XML)')
    .option('--from-build <name>', "this product's policy NAME from policies/product (e.g. global, orders-api)")
    .option('--dry-run', 'show the diff and write nothing; exit 1 when changes are pending')
    .option('--force', 'publish despite lint errors')
    .option('--format <format>', 'text or json', 'text')
    .option('--endpoint <url>', 'ARM endpoint (https), default https://management.azure.com')
    .option('--timeout <seconds>', 'give up on ARM after this many seconds (exit 3)', '300')
    .exitOverride()
    .action(async (flags: PublishFlags) => {
      const out = seams.stdout;
      const json = flags.format === 'json';
      if (flags.format !== 'text' && !json) throw new CliError(`--format must be text or json, not '${flags.format}'`, ExitCode.BadInput);
      try {
        const abortSignal = timeoutSignal(flags.timeout);
        const env = seams.env;
        const service = serviceFrom(flags, env);
        const endpoint = checkEndpoint(flags.endpoint);
        if (flags.workspace !== undefined) {
          const p = idProblem('--workspace', flags.workspace, 'workspace');
          if (p) throw new CliError(p, ExitCode.BadInput, PublishErrorCode.BadTarget);
        }
        const requests = await requestsFrom(flags, seams);
        const store = new ArmPolicyStore({
          ...(flags.workspace !== undefined ? { workspace: flags.workspace } : {}),
          credential: seams.credential ? seams.credential() : new DefaultAzureCredential(),
          service,
          ...(endpoint !== undefined ? { endpoint } : {}),
          ...(seams.pollIntervalInMs !== undefined ? { pollIntervalInMs: seams.pollIntervalInMs } : {}),
          ...(seams.clientOptions ? { clientOptions: seams.clientOptions } : {}),
        });
        const results: PublishResult[] = [];
        for (const req of requests) {
          results.push(
            await publishPolicy(store, req, {
              codec: seams.codec ?? publishCodec,
              lint: seams.lint ?? lintForPublish,
              dryRun: flags.dryRun === true,
              force: flags.force === true,
              abortSignal,
            }),
          );
        }
        if (json) out(JSON.stringify({ ok: true, results: results.map(resultJson) }, null, 2) + '\n');
        else for (const r of results) out(resultText(r));
        const pending = results.filter((r) => r.action !== 'unchanged' && !r.applied).length;
        if (pending > 0) throw new CliError(`dry run: ${pending} policy change(s) pending`, ExitCode.Findings, 'PUBLISH_PENDING');
      } catch (err) {
        if (err instanceof PublishError) {
          const e = err.details.armCode === 'Aborted' ? new PublishError(err.code, `${err.message.replace(/: cancelled$/, '')}: no answer from ARM within ${flags.timeout} s`, err.details) : err;
          if (json) out(JSON.stringify({ ok: false, error: { code: e.code, message: e.message, ...e.details } }, null, 2) + '\n');
          throw new CliError(e.message, isInputError(e.code) ? ExitCode.BadInput : ExitCode.RuntimeFailure, e.code);
        }
        if (err instanceof CliError && json && err.exitCode !== ExitCode.Findings) {
          out(JSON.stringify({ ok: false, error: { code: err.code, message: err.message } }, null, 2) + '\n');
        }
        throw err;
      }
    });
}
