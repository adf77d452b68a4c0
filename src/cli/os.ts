// `updraft os status [ID…] [--platform P] [--model M] [--os-min V] [--os-max V] [--json]`: without
// ids the fleet's OS update posture (GET /v1/os/summary), with ids each device's (GET /v1/devices/{id}/os);
// both show the ADE enrollment minimum OS (ade_minimum_os, and per device whether it runs below it).
import type { Command } from 'commander';
import { ApiClient, CliError, clientOptions, type ClientOptions } from './client.js';
import { action, printJson, table } from './output.js';

interface StatusOptions extends ClientOptions {
  platform?: string;
  model?: string;
  osMin?: string;
  osMax?: string;
}

interface Counts {
  devices: number;
  on_latest: number;
  behind: number;
  major_behind: number;
  exposed_actively_exploited: number;
  unknown: number;
  major_upgrade_allowed: number;
}

interface CatalogJson {
  kind: string;
  age_days: number;
  stale: boolean;
  stale_reason: string | null;
}

export interface SummaryJson extends Counts {
  by_version: Array<Counts & { platform: string | null; os_version: string | null }>;
  catalogs: CatalogJson[];
  outdated: number;
  /** The global ADE enrollment minimums per platform ({} when none is set). */
  ade_minimum_os?: Record<string, string>;
}

interface DeviceJson {
  device_id: string;
  platform: string | null;
  model: string | null;
  os_version: string | null;
  latest: { version: string; build: string } | null;
  latest_in_major: { version: string; build: string } | null;
  releases_behind: number;
  days_behind: number;
  cve_count: number;
  actively_exploited: string[];
  major_upgrade_allowed: boolean;
  reason?: string;
  last_update_attempt: { status: string } | null;
  /** The ADE enrollment minimum of its platform (its DEP name's settings) and whether it runs below it. */
  ade_minimum_os?: string | null;
  below_ade_minimum_os?: boolean | null;
}

/** "15.7 (below)", "15.7" or "-": the ADE enrollment minimum column. */
const adeMinimum = (d: DeviceJson): string | null => (d.ade_minimum_os ? `${d.ade_minimum_os}${d.below_ade_minimum_os ? ' (below)' : ''}` : null);

const ver = (v: { version: string; build: string } | null): string | null => (v ? `${v.version} (${v.build})` : null);

function catalogsLine(catalogs: CatalogJson[]): string {
  if (catalogs.length === 0) return 'catalogs: none imported (updraft catalog import), so no device has a posture';
  return 'catalogs: ' + catalogs.map((c) => `${c.kind} ${c.age_days} d${c.stale ? ' STALE' : ''}`).join(', ');
}

/** The summary as `updraft os status` prints it (the demo prints it too). */
export function summaryText(s: SummaryJson): string {
  const lines = [
    `${s.devices} devices: ${s.on_latest} on the latest release, ${s.behind} behind on their major, ${s.major_behind} a major behind, ` +
      `${s.exposed_actively_exploited} exposed to actively exploited CVEs, ${s.unknown} unknown to the catalogs; ` +
      `${s.major_upgrade_allowed} can take a major upgrade through MDM`,
    catalogsLine(s.catalogs),
  ];
  const minimums = Object.entries(s.ade_minimum_os ?? {});
  if (minimums.length > 0) lines.push('ADE enrollment minimum: ' + minimums.map(([p, v]) => `${p} ${v}`).join(', '));
  if (s.outdated > 0) lines.push(`${s.outdated} postures predate the current catalogs (a recompute is under way)`);
  if (s.by_version.length > 0)
    lines.push(
      '',
      table(
        ['PLATFORM', 'OS', 'DEVICES', 'ON LATEST', 'BEHIND', 'MAJOR BEHIND', 'EXPLOITED', 'UNKNOWN'],
        s.by_version.map((v) => [v.platform, v.os_version, v.devices, v.on_latest, v.behind, v.major_behind, v.exposed_actively_exploited, v.unknown]),
      ),
    );
  return lines.join('\n');
}

function devicesText(devices: DeviceJson[]): string {
  return table(
    ['ID', 'PLATFORM', 'MODEL', 'OS', 'LATEST', 'LATEST IN MAJOR', 'BEHIND', 'DAYS', 'CVES', 'EXPLOITED', 'MAJOR UPGRADE', 'LAST ATTEMPT', 'ADE MINIMUM', 'REASON'],
    devices.map((d) => [
      d.device_id, d.platform, d.model, d.os_version, ver(d.latest), ver(d.latest_in_major), d.releases_behind, d.days_behind, d.cve_count,
      d.actively_exploited.length, d.major_upgrade_allowed ? 'yes' : 'no', d.last_update_attempt?.status, adeMinimum(d), d.reason,
    ]),
  );
}

export function register(program: Command): void {
  const os = program.command('os').description('OS update posture of the fleet and of devices');
  clientOptions(
    os
      .command('status [ids...]')
      .description('without ids: the fleet summary (on latest, behind, exposed, per OS version); with ids: each device')
      .option('--platform <platform>', 'summary of one platform: macOS, iOS, iPadOS, tvOS, watchOS or visionOS')
      .option('--model <model>', 'summary of one model identifier (Mac14,2, iPhone15,2)')
      .option('--os-min <version>', 'summary from this OS version up (15.7 = 15.7.0)')
      .option('--os-max <version>', 'summary up to this OS version (15 = every 15.x)'),
  ).action(
    action(async (ids: string[], opts: StatusOptions) => {
      const client = new ApiClient(opts);
      if (ids.length === 0) {
        const q = new URLSearchParams();
        const params: Record<string, string | undefined> = { platform: opts.platform, model: opts.model, os_min: opts.osMin, os_max: opts.osMax };
        for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, v);
        const { body } = await client.request('GET', `/v1/os/summary${q.size ? `?${q}` : ''}`);
        return opts.json ? printJson(body) : void console.log(summaryText(body as SummaryJson));
      }
      if (opts.platform ?? opts.model ?? opts.osMin ?? opts.osMax) throw new CliError('--platform, --model, --os-min and --os-max filter the summary: give them without device ids');
      const found: DeviceJson[] = [];
      const failed: string[] = [];
      for (const id of ids) {
        const res = await client.request('GET', `/v1/devices/${encodeURIComponent(id)}/os`, undefined, { accept: (s) => s < 300 || s === 404 });
        if (res.status === 404) failed.push(`${id}: ${(res.body as { error?: string } | null)?.error ?? 'not found'}`);
        else found.push(res.body as DeviceJson);
      }
      if (opts.json) {
        if (ids.length > 1) printJson(found);
        else if (found[0]) printJson(found[0]);
      }
      else if (found.length > 0) console.log(devicesText(found));
      if (failed.length > 0) throw new CliError(failed.join('\n'));
    }),
  );
}
