// `updraft tags set ID [TAG…]` and `updraft tags show ID`: a device's tags (PUT|GET
// /v1/devices/{id}/tags), which campaigns select with --select tag=…. `set` replaces the whole list
// (no tags clears it); a tag may also be given comma-separated (a,b). API refusals print
// "error: <field>: <reason>".
import type { Command } from 'commander';
import { call, run } from './api-call.js';
import { ApiClient, clientOptions, type ClientOptions } from './client.js';
import { STDIO, type CliOutput } from './output.js';

interface TagsJson {
  enrollment_id: string;
  tags: string[];
}

export function register(program: Command, io: CliOutput = STDIO): void {
  const tags = program.command('tags').description('device tags, for selecting campaign devices (--select tag=…)');
  const print = (t: TagsJson, json: boolean | undefined) =>
    io.out(json ? `${JSON.stringify(t, null, 2)}\n` : `${t.enrollment_id}: ${t.tags.length ? t.tags.join(', ') : 'no tags'}\n`);

  clientOptions(
    tags
      .command('set')
      .argument('<id>', 'enrollment ID of the device')
      .argument('[tags...]', 'its tags from now on (none clears them)')
      .description("replace a device's tags"),
  ).action(
    run(async (id: string, list: string[], flags: ClientOptions) => {
      const wanted = list.flatMap((t) => t.split(',')).map((t) => t.trim()).filter(Boolean);
      print((await call(new ApiClient(flags), 'PUT', `/v1/devices/${encodeURIComponent(id)}/tags`, { tags: wanted })) as TagsJson, flags.json);
    }, io),
  );

  clientOptions(tags.command('show').argument('<id>', 'enrollment ID of the device').description("a device's tags")).action(
    run(async (id: string, flags: ClientOptions) => {
      print((await call(new ApiClient(flags), 'GET', `/v1/devices/${encodeURIComponent(id)}/tags`)) as TagsJson, flags.json);
    }, io),
  );
}
