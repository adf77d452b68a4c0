// `updraft devices`: list enrollments, with the API's filters.
import type { Command } from 'commander';
import { ApiClient, clientOptions, type ClientOptions } from './client.js';
import { action, printJson, shortTime, table } from './output.js';

interface DevicesOptions extends ClientOptions {
  platform?: string;
  osVersion?: string;
  seenSince?: string;
  seenBefore?: string;
  type?: string;
  limit?: string;
  offset?: string;
}

interface EnrollmentJson {
  id: string;
  type: string;
  serial_number: string | null;
  platform: string | null;
  os_version: string | null;
  model: string | null;
  device_name: string | null;
  enabled: boolean;
  last_seen_at: string | null;
}

export function register(program: Command): void {
  clientOptions(
    program
      .command('devices')
      .description('list enrolled devices and user channels')
      .option('--platform <platform>', 'macOS, iOS, iPadOS, tvOS, watchOS or visionOS')
      .option('--os-version <version>', 'exact OS version, or a prefix ending in "." (e.g. 14.)')
      .option('--seen-since <when>', 'last seen since an RFC 3339 time or a duration ago (24h, 7d)')
      .option('--seen-before <when>', 'last seen before an RFC 3339 time or a duration ago (30d)')
      .option('--type <type>', 'Device, User, SharediPad, UserEnrollmentDevice or UserEnrollment')
      .option('--limit <n>', 'at most this many (default 100, max 1000)')
      .option('--offset <n>', 'skip this many'),
  ).action(
    action(async (opts: DevicesOptions) => {
      const q = new URLSearchParams();
      const params: Record<string, string | undefined> = {
        platform: opts.platform, os_version: opts.osVersion, seen_since: opts.seenSince, seen_before: opts.seenBefore,
        type: opts.type, limit: opts.limit, offset: opts.offset,
      };
      for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, v);
      const { body } = await new ApiClient(opts).request('GET', `/v1/enrollments${q.size ? `?${q}` : ''}`);
      if (opts.json) return printJson(body);
      const rows = (body as { enrollments: EnrollmentJson[] }).enrollments;
      if (rows.length === 0) return void console.log('no enrollments');
      console.log(
        table(
          ['ID', 'TYPE', 'SERIAL', 'PLATFORM', 'OS', 'MODEL', 'NAME', 'ENABLED', 'LAST SEEN'],
          rows.map((e) => [e.id, e.type, e.serial_number, e.platform, e.os_version, e.model, e.device_name, e.enabled ? 'yes' : 'no', shortTime(e.last_seen_at)]),
        ),
      );
    }),
  );
}
