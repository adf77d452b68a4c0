// `updraft push`: send APNs pushes to enrollments (NanoMDM's /v1/push).
import type { Command } from 'commander';
import { ApiClient, CliError, clientOptions, type ClientOptions } from './client.js';
import { action, printJson, table } from './output.js';

interface PushResult {
  status?: Record<string, { push_result?: string; push_error?: string }>;
}

export function register(program: Command): void {
  clientOptions(
    program
      .command('push')
      .description('wake enrollments with an APNs push so they check in now')
      .argument('<ids...>', 'enrollment IDs (space- or comma-separated)'),
  ).action(
    action(async (ids: string[], opts: ClientOptions) => {
      const list = ids.flatMap((i) => i.split(',')).filter(Boolean);
      const { status, body } = await new ApiClient(opts).request('POST', `/v1/push/${list.map(encodeURIComponent).join(',')}`, undefined, {
        accept: (s) => [200, 207, 500].includes(s),
      });
      const result = (body as PushResult).status ?? {};
      if (opts.json) printJson(body);
      else console.log(table(['ID', 'PUSH'], list.map((id) => [id, result[id]?.push_error ? `failed: ${result[id]!.push_error}` : `sent ${result[id]?.push_result ?? ''}`.trim()])));
      if (status !== 200) throw new CliError(status === 207 ? 'some pushes failed' : 'the push failed');
    }),
  );
}
