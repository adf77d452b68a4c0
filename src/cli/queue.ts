// `updraft queue`: an enrollment's command queue; --cancel one command or --clear them all.
import type { Command } from 'commander';
import { ApiClient, CliError, clientOptions, type ClientOptions } from './client.js';
import { action, printJson, shortTime, table } from './output.js';

interface QueueOptions extends ClientOptions {
  all?: boolean;
  cancel?: string;
  clear?: boolean;
}

interface QueueEntryJson {
  command_uuid: string;
  request_type: string;
  status: string;
  priority: number;
  not_now_tally: number;
  created_at: string;
  sent_at: string | null;
  expires_at: string | null;
}

export function register(program: Command): void {
  clientOptions(
    program
      .command('queue')
      .description("show an enrollment's queued commands, or cancel them")
      .argument('<id>', 'enrollment ID')
      .option('--all', 'include finished, cancelled and expired commands')
      .option('--cancel <uuid>', 'cancel this queued command')
      .option('--clear', 'cancel every queued command'),
  ).action(
    action(async (id: string, opts: QueueOptions) => {
      if (opts.cancel && opts.clear) throw new CliError('give --cancel UUID or --clear, not both');
      const client = new ApiClient(opts);
      const base = `/v1/enrollments/${encodeURIComponent(id)}/queue`;
      if (opts.cancel || opts.clear) {
        const { body } = await client.request('DELETE', opts.cancel ? `${base}/${encodeURIComponent(opts.cancel)}` : base);
        if (opts.json) return printJson(body);
        const n = (body as { cancelled: number }).cancelled;
        return void console.log(`cancelled ${n} command${n === 1 ? '' : 's'}`);
      }
      const { body } = await client.request('GET', `${base}${opts.all ? '?all=true' : ''}`);
      if (opts.json) return printJson(body);
      const rows = (body as { commands: QueueEntryJson[] }).commands;
      if (rows.length === 0) return void console.log(opts.all ? 'no commands' : 'queue is empty');
      console.log(
        table(
          ['COMMAND UUID', 'REQUEST TYPE', 'STATUS', 'PRIORITY', 'NOT NOW', 'CREATED', 'SENT', 'EXPIRES'],
          rows.map((c) => [c.command_uuid, c.request_type, c.status, c.priority, c.not_now_tally, shortTime(c.created_at), shortTime(c.sent_at), shortTime(c.expires_at)]),
        ),
      );
    }),
  );
}
