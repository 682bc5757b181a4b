/**
 * `apim-rls extract --out DIR`: write a service's (or workspace's) policies, fragments and named
 * values into DIR in APIOps's layout, so that `publish DIR --plan` then shows no change. Secret
 * values are never written. Exit codes: 0 written; 2 bad input; 3 ARM failure.
 */
import type { Command } from 'commander';
import { DefaultAzureCredential } from '@azure/identity';
import { CliError, ExitCode } from '../exit-codes.js';
import { ArmResourceClient } from '../publish/estate/arm-client.js';
import { EstateError, isEstateInputError } from '../publish/estate/errors.js';
import { idProblem } from '../publish/estate/resource.js';
import { readServiceEstate } from '../publish/estate/read-service.js';
import { writeEstateFolder } from '../publish/estate/write-folder.js';
import { checkEndpoint, serviceFrom, timeoutSignal } from './policy-publish.js';
import type { PublishSeams } from './publish.js';

interface ExtractFlags {
  out: string;
  subscription?: string;
  resourceGroup?: string;
  service?: string;
  workspace?: string;
  format: string;
  endpoint?: string;
  timeout: string;
}

export function registerExtract(program: Command, seams: PublishSeams): void {
  program
    .command('extract')
    .description("write a service's policies, fragments and named values (no secret values) into a folder in APIOps's layout")
    .requiredOption('--out <dir>', 'the estate folder to write')
    .option('--subscription <id>', 'Azure subscription id (default AZURE_SUBSCRIPTION_ID)')
    .option('--resource-group <name>', 'resource group of the service (default AZURE_RESOURCE_GROUP)')
    .option('--service <name>', 'API Management service name (default APIM_SERVICE_NAME)')
    .option('--workspace <id>', 'extract that workspace into DIR/workspaces/<id>/')
    .option('--format <format>', 'text or json', 'text')
    .option('--endpoint <url>', 'ARM endpoint (https), default https://management.azure.com')
    .option('--timeout <seconds>', 'give up on ARM after this many seconds (exit 3)', '900')
    .exitOverride()
    .action(async (flags: ExtractFlags) => {
      const out = seams.stdout;
      if (flags.format !== 'text' && flags.format !== 'json') throw new CliError(`--format must be text or json, not '${flags.format}'`, ExitCode.BadInput);
      const abortSignal = timeoutSignal(flags.timeout);
      if (flags.workspace !== undefined) {
        const p = idProblem('workspace', flags.workspace, 'workspace');
        if (p) throw new CliError(p, ExitCode.BadInput);
      }
      const env = seams.env;
      const service = serviceFrom(flags, env);
      const endpoint = checkEndpoint(flags.endpoint);
      try {
        const arm = new ArmResourceClient({
          ...seams.arm,
          credential: seams.credential ? seams.credential() : new DefaultAzureCredential(),
          service,
          ...(endpoint !== undefined ? { endpoint } : {}),
        });
        const ws = flags.workspace !== undefined ? { workspace: flags.workspace } : {};
        const remote = await readServiceEstate(arm, { abortSignal, ...ws });
        const files = await writeEstateFolder(flags.out, remote, ws);
        if (flags.format === 'json') out(JSON.stringify({ ok: true, files }, null, 2) + '\n');
        else out(files.map((f) => `wrote ${f.file}`).join('\n') + `${files.length > 0 ? '\n' : ''}extracted ${files.length} file(s) into ${flags.out}\n`);
      } catch (err) {
        if (err instanceof EstateError) throw new CliError(err.message, isEstateInputError(err.code) ? ExitCode.BadInput : ExitCode.RuntimeFailure, err.code);
        throw err;
      }
    });
}
