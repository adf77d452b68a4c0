// `updraft dep devices [NAME] [--not-enrolled] [--all]`: devices Apple Business Manager lists, synced
// per DEP name (op_type, profile status, whether enrolled); `updraft dep sync NAME`: a sync pass now.
import type { Command } from 'commander';
import { ApiClient, clientOptions, type ClientOptions } from './client.js';
import { action, printJson, shortTime, table } from './output.js';

interface DepDeviceJson {
  dep_name: string; serial_number: string; model: string | null; os: string | null; device_family: string | null;
  op_type: string | null; op_date: string | null; profile_uuid: string | null; profile_status: string | null; enrolled: boolean;
}

export function registerDepDevices(dep: Command): void {
  clientOptions(
    dep
      .command('devices [name]')
      .description('devices Apple Business Manager lists (from the last sync): model, OS, last op_type, ADE profile and status, enrolled or not')
      .option('--not-enrolled', 'only devices not enrolled yet')
      .option('--all', 'include devices released from the organization (op_type deleted)')
      .option('--limit <n>', 'at most this many (up to 1000)', '1000'),
  ).action(
    action(async (name: string | undefined, opts: ClientOptions & { notEnrolled?: boolean; all?: boolean; limit: string }) => {
      const q = new URLSearchParams({ limit: opts.limit });
      if (name) q.set('dep_name', name);
      if (opts.notEnrolled) q.set('enrolled', 'false');
      if (opts.all) q.set('include_deleted', 'true');
      const { body } = await new ApiClient(opts).request('GET', `/v1/dep-devices?${q}`);
      if (opts.json) return printJson(body);
      const list = (body as { devices: DepDeviceJson[] }).devices;
      if (list.length === 0) return void console.log('no DEP devices (run `updraft dep sync NAME`, or wait for the next sync)');
      console.log(table(
        ['DEP NAME', 'SERIAL', 'MODEL', 'OS', 'OP', 'OP DATE', 'PROFILE', 'STATUS', 'ENROLLED'],
        list.map((d) => [d.dep_name, d.serial_number, d.model ?? d.device_family, d.os, d.op_type ?? 'fetched', shortTime(d.op_date), d.profile_uuid, d.profile_status, d.enrolled ? 'yes' : 'no']),
      ));
    }),
  );
  clientOptions(dep.command('sync <name>').description('sync the DEP name\'s devices now (the first time: fetch them all), then give new ones their ADE profile')).action(
    action(async (name: string, opts: ClientOptions) => {
      const { body } = await new ApiClient(opts).request('POST', `/v1/dep/${encodeURIComponent(name)}/sync`);
      if (opts.json) return printJson(body);
      const r = body as { mode: string; devices: number; added: string[]; assigned: Record<string, string[]> };
      console.log(`${name}: ${r.mode} of ${r.devices} device(s), ${r.added.length} new`);
      for (const [p, serials] of Object.entries(r.assigned)) console.log(`  profile ${p}: ${serials.join(', ')}`);
    }),
  );
}
