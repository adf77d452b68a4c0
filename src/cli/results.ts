// `updraft results`: a command's status and parsed result for each enrollment it was queued for.
import type { Command } from 'commander';
import { ApiClient, clientOptions, type ClientOptions } from './client.js';
import type { TypedResult } from '../commands/index.js';
import { action, printJson, shortTime, table } from './output.js';
import { printExplanations } from './send.js';

interface ResultsOptions extends ClientOptions {
  enrollment?: string;
}

interface ResultJson {
  enrollment_id: string;
  status: string;
  sent_at: string | null;
  result_at: string | null;
  result: unknown;
  result_typed: TypedResult | null;
}

export function register(program: Command): void {
  clientOptions(
    program
      .command('results')
      .description('show the status and result of a command, per enrollment')
      .argument('<uuid>', 'CommandUUID')
      .option('--enrollment <id>', 'only this enrollment'),
  ).action(
    action(async (uuid: string, opts: ResultsOptions) => {
      const q = opts.enrollment ? `?enrollment_id=${encodeURIComponent(opts.enrollment)}` : '';
      const { body } = await new ApiClient(opts).request('GET', `/v1/commands/${encodeURIComponent(uuid)}/results${q}`);
      if (opts.json) return printJson(body);
      const { request_type, enrollments } = body as { request_type: string; enrollments: ResultJson[] };
      console.log(`${request_type} ${uuid}`);
      console.log(table(['ENROLLMENT', 'STATUS', 'SENT', 'RESULT AT'], enrollments.map((e) => [e.enrollment_id, e.status, shortTime(e.sent_at), shortTime(e.result_at)])));
      for (const e of enrollments) {
        if (e.result === null) continue;
        console.log(`\n${e.enrollment_id}:`);
        console.log(JSON.stringify(e.result, null, 2));
      }
      printExplanations(enrollments.map((e) => ({ id: e.enrollment_id, chain: e.result_typed?.error_chain })));
    }),
  );
}
