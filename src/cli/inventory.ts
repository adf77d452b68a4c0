// `updraft inventory ID`: a device's inventory (OS, build, model, software update ID, supervision,
// bootstrap token, last update attempt), or with --history the changes of its fields, newest first.
import type { Command } from 'commander';
import { ApiClient, clientOptions, type ClientOptions } from './client.js';
import { action, printJson, shortTime, table, type Cell } from './output.js';

interface InventoryOptions extends ClientOptions {
  history?: boolean;
  field?: string;
  limit?: string;
}

interface ChangeJson {
  field: string;
  old_value: unknown;
  new_value: unknown;
  at: string;
}

/** A value on one line: text as it is, anything else as JSON. */
const cell = (v: unknown): Cell => (v === null || v === undefined ? null : typeof v === 'object' ? JSON.stringify(v) : (v as Cell));

export function register(program: Command): void {
  clientOptions(
    program
      .command('inventory')
      .description("show a device's inventory, or with --history how it changed (e.g. its OS versions over time)")
      .argument('<id>', 'device id (UDID or EnrollmentID; a user channel shows its device)')
      .option('--history', 'list the changes of its fields, newest first')
      .option('--field <name>', 'with --history: only this field (e.g. os_version, build_version)')
      .option('--limit <n>', 'with --history: at most this many changes (default 100, max 1000)'),
  ).action(
    action(async (id: string, opts: InventoryOptions) => {
      const client = new ApiClient(opts);
      const path = `/v1/devices/${encodeURIComponent(id)}/inventory`;
      if (!opts.history) {
        if (opts.field !== undefined || opts.limit !== undefined) console.error('updraft: --field and --limit apply to --history only; ignored');
        const { body } = await client.request('GET', path);
        if (opts.json) return printJson(body);
        const rows = Object.entries(body as Record<string, unknown>).map(([k, v]) => [k, k.endsWith('_at') ? shortTime(v) : cell(v)]);
        return void console.log(table(['FIELD', 'VALUE'], rows));
      }
      const q = new URLSearchParams();
      if (opts.field !== undefined) q.set('field', opts.field);
      if (opts.limit !== undefined) q.set('limit', opts.limit);
      const { body } = await client.request('GET', `${path}/history${q.size ? `?${q}` : ''}`);
      if (opts.json) return printJson(body);
      const changes = (body as { changes: ChangeJson[] }).changes;
      if (changes.length === 0) return void console.log('no changes');
      console.log(table(['AT', 'FIELD', 'FROM', 'TO'], changes.map((c) => [shortTime(c.at), c.field, cell(c.old_value), cell(c.new_value)])));
    }),
  );
}
