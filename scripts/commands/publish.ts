/**
 * `apim-rls publish DIR`: publish an estate folder in APIOps's layout (docs/estate-publish.md)
 * to one API Management service or workspace: read the folder → read the service → check and plan
 * → print → apply. Exit codes: 0 nothing to do or everything applied; 1 changes pending (`--plan`);
 * 2 bad input (layout, XML, lint errors, unresolved references, secrets); 3 ARM failure (a run
 * stopped part-way prints what was applied and what was not). The environment is the one scripts/cli.ts passes (io.env).
 */
import type { Command } from 'commander';
import { DefaultAzureCredential } from '@azure/identity';
import { CliError, ExitCode } from '../exit-codes.js';
import type { CliEnv } from '../io.js';
import { ArmResourceClient, type ArmResourceClientOptions, type TokenCredential } from '../publish/estate/arm-client.js';
import { EstateError, isEstateInputError } from '../publish/estate/errors.js';
import { readEstateFolder } from '../publish/estate/read-folder.js';
import { readServiceEstate } from '../publish/estate/read-service.js';
import { planEstate } from '../publish/estate/plan.js';
import { applyPlan, pendingChanges } from '../publish/estate/apply.js';
import { applyJson, applyText, planJson, planText } from '../publish/estate/format.js';
import { publishCodec } from '../publish/policy-xml.js';
import { lintAtScope } from '../publish/lint.js';
import { checkEndpoint, serviceFrom, timeoutSignal } from './policy-publish.js';

interface EstateFlags {
  subscription?: string;
  resourceGroup?: string;
  service?: string;
  workspace?: string;
  plan?: boolean;
  prune?: boolean;
  force?: boolean;
  format: string;
  endpoint?: string;
  timeout: string;
}

/** What the command takes from its surroundings; tests replace these. */
export interface PublishSeams {
  credential?: () => TokenCredential;
  /** The environment read for AZURE_SUBSCRIPTION_ID, AZURE_RESOURCE_GROUP, APIM_SERVICE_NAME and APIM_NAMED_VALUE_*: scripts/cli.ts passes its io.env. */
  env: CliEnv;
  /** Where the result is printed: scripts/cli.ts passes its io.stdout. */
  stdout: (text: string) => void;
  arm?: Omit<ArmResourceClientOptions, 'credential' | 'service' | 'endpoint'>;
}


export function registerPublish(program: Command, seams: PublishSeams): void {
  program
    .command('publish')
    .description("publish an estate folder in APIOps's layout (policies, fragments, named values): plan, then apply in order")
    .argument('<dir>', "the estate folder (APIOps's artifact layout)")
    .option('--subscription <id>', 'Azure subscription id (default AZURE_SUBSCRIPTION_ID)')
    .option('--resource-group <name>', 'resource group of the service (default AZURE_RESOURCE_GROUP)')
    .option('--service <name>', 'API Management service name (default APIM_SERVICE_NAME)')
    .option('--workspace <id>', "publish DIR/workspaces/<id>/ into that workspace")
    .option('--plan', 'print what would change and write nothing; exit 1 when changes are pending')
    .option('--prune', 'delete what the service has and the folder does not (in reverse order)')
    .option('--force', 'publish despite lint errors')
    .option('--format <format>', 'text or json', 'text')
    .option('--endpoint <url>', 'ARM endpoint (https), default https://management.azure.com')
    .option('--timeout <seconds>', 'give up on ARM after this many seconds (exit 3)', '900')
    .exitOverride()
    .action(async (dir: string, flags: EstateFlags) => {
      const out = seams.stdout;
      const json = flags.format === 'json';
      if (flags.format !== 'text' && !json) throw new CliError(`--format must be text or json, not '${flags.format}'`, ExitCode.BadInput);
      try {
        const abortSignal = timeoutSignal(flags.timeout);
        const env = seams.env;
        const service = serviceFrom(flags, env);
        const endpoint = checkEndpoint(flags.endpoint);
        const local = await readEstateFolder(dir, { env, ...(flags.workspace !== undefined ? { workspace: flags.workspace } : {}) });
        const arm = new ArmResourceClient({
          ...seams.arm,
          credential: seams.credential ? seams.credential() : new DefaultAzureCredential(),
          service,
          ...(endpoint !== undefined ? { endpoint } : {}),
        });
        const remote = await readServiceEstate(arm, { local, abortSignal, ...(flags.workspace !== undefined ? { workspace: flags.workspace } : {}) });
        const plan = planEstate(local, remote, { codec: publishCodec, lint: lintAtScope, force: flags.force === true, prune: flags.prune === true });
        const pending = pendingChanges(plan).length;
        if (flags.plan || pending === 0) {
          if (json) out(JSON.stringify({ ok: true, plan: planJson(plan) }, null, 2) + '\n');
          else out(planText(plan));
          if (pending > 0) throw new CliError(`plan: ${pending} change(s) pending`, ExitCode.Findings, 'ESTATE_PENDING');
          return;
        }
        const result = await applyPlan(arm, plan, { abortSignal });
        if (json) out(JSON.stringify({ ok: result.failure === undefined, plan: planJson(plan), result: applyJson(result) }, null, 2) + '\n');
        else out(planText(plan) + '\n' + applyText(result));
        if (result.failure) {
          const e = result.failure.error;
          throw new CliError(`${e.message} — applied ${result.applied.length}, not applied ${result.notApplied.length}; run again to converge`, ExitCode.RuntimeFailure, e.code);
        }
      } catch (err) {
        if (err instanceof EstateError) {
          if (json) out(JSON.stringify({ ok: false, error: { code: err.code, message: err.message, ...err.details } }, null, 2) + '\n');
          throw new CliError(err.message, isEstateInputError(err.code) ? ExitCode.BadInput : ExitCode.RuntimeFailure, err.code);
        }
        if (err instanceof CliError && json && err.exitCode !== ExitCode.Findings && err.exitCode !== ExitCode.RuntimeFailure) {
          out(JSON.stringify({ ok: false, error: { code: err.code, message: err.message } }, null, 2) + '\n');
        }
        throw err;
      }
    });
}
