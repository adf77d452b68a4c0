// `updraft enqueue`: queue a command for enrollments, from a raw plist file (NanoMDM's PUT /v1/enqueue)
// or from a RequestType and a MicroMDM-style JSON payload checked against Apple's schema (POST /v1/enqueue).
import type { Command } from 'commander';
import { ApiClient, CliError, clientOptions, readInput, type ClientOptions } from './client.js';
import { action, printJson, table } from './output.js';

interface EnqueueOptions extends ClientOptions {
  type?: string;
  payload?: string;
  nopush?: boolean;
  expiresIn?: string;
  priority?: string;
}

interface NanoResult {
  status?: Record<string, { push_result?: string; push_error?: string; command_error?: string }>;
  no_push?: boolean;
  command_uuid?: string;
  request_type?: string;
}

function int(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value)) throw new CliError(`${flag} must be an integer, got ${JSON.stringify(value)}`);
  return Number(value);
}

function payloadJson(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new CliError(`--payload is not JSON: ${(err as Error).message}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new CliError('--payload must be a JSON object, e.g. \'{"queries":["OSVersion"]}\'');
  return v as Record<string, unknown>;
}

export function register(program: Command): void {
  clientOptions(
    program
      .command('enqueue')
      .description('queue a command for enrollments and push them')
      .argument('<ids>', 'enrollment IDs, comma-separated')
      .argument('[plist]', 'a command plist file with CommandUUID and Command (- reads stdin); or use --type')
      .option('--type <RequestType>', 'build the command from its RequestType, e.g. DeviceInformation')
      .option('--payload <json>', 'command keys as MicroMDM JSON (snake_case, data as base64), e.g. \'{"queries":["OSVersion"]}\'')
      .option('--nopush', 'queue only; devices get it at their next check-in')
      .option('--expires-in <seconds>', 'drop the command if not sent within this many seconds')
      .option('--priority <n>', 'higher is sent first (default 0)')
      .addHelpText('after', '\nExamples:\n  updraft enqueue UDID1,UDID2 --type DeviceInformation --payload \'{"queries":["OSVersion","BuildVersion"]}\'\n  updraft enqueue UDID1 restart.plist --nopush'),
  ).action(
    action(async (ids: string, file: string | undefined, opts: EnqueueOptions) => {
      const list = ids.split(',').map((s) => s.trim()).filter(Boolean);
      if (list.length === 0) throw new CliError('give at least one enrollment ID');
      if (!file && !opts.type) throw new CliError('give a command plist file, or --type RequestType (see updraft enqueue --help)');
      if (file && opts.type) throw new CliError('give a plist file or --type, not both');
      const expiresIn = int(opts.expiresIn, '--expires-in');
      const priority = int(opts.priority, '--priority');
      const client = new ApiClient(opts);
      const anyOutcome = (s: number) => [200, 207, 500].includes(s);
      let res;
      if (file) {
        const q = new URLSearchParams();
        if (opts.nopush) q.set('nopush', '1');
        if (expiresIn !== undefined) q.set('expires_in', String(expiresIn));
        if (priority !== undefined) q.set('priority', String(priority));
        const path = `/v1/enqueue/${list.map(encodeURIComponent).join(',')}${q.size ? `?${q}` : ''}`;
        res = await client.request('PUT', path, readInput(file), { accept: anyOutcome });
      } else {
        const body = {
          ids: list,
          command: { ...payloadJson(opts.payload), request_type: opts.type },
          ...(opts.nopush ? { nopush: true } : {}),
          ...(expiresIn !== undefined ? { expires_in: expiresIn } : {}),
          ...(priority !== undefined ? { priority } : {}),
        };
        res = await client.request('POST', '/v1/enqueue', body, { accept: anyOutcome });
      }
      const result = res.body as NanoResult;
      const status = result.status ?? {};
      const failed = list.filter((id) => status[id]?.command_error);
      if (opts.json) printJson(result);
      else {
        console.log(`${result.request_type} ${result.command_uuid}`);
        const push = (id: string) => (result.no_push ? 'not requested' : status[id]?.push_error ? `failed: ${status[id]!.push_error}` : 'sent');
        console.log(table(['ID', 'QUEUED', 'PUSH'], list.map((id) => (status[id]?.command_error ? [id, `no: ${status[id]!.command_error}`, '-'] : [id, 'yes', push(id)]))));
      }
      if (failed.length > 0) throw new CliError(`not queued for ${failed.length} of ${list.length} enrollments`);
    }),
  );
}
