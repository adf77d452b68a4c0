// `updraft os-update scan|available|schedule|status IDS…`: the legacy MDM OS update commands
// (ScheduleOSUpdateScan, AvailableOSUpdates, ScheduleOSUpdate, OSUpdateStatus), with the options of
// MicroMDM's tools/api/commands scripts; --wait prints each device's typed answer as a table.
import type { Command } from 'commander';
import {
  buildCommand, commandSpec, CommandValidationError, type AvailableOsUpdate, type KeySpec, type OsUpdateStatusItem, type TypedResult,
  type UpdateResult, type WireCommand,
} from '../commands/index.js';
import { ApiClient, CliError, clientOptions, type ClientOptions } from './client.js';
import { action, printJson, shortTime, type Cell } from './output.js';
import { errorCell, idList, positiveInt, printQueued, printResults, send, sendOptions, type SendOptions } from './send.js';

interface Options extends ClientOptions, SendOptions {
  force?: boolean;
  productKey?: string;
  productVersion?: string;
  installAction?: string;
  maxUserDeferrals?: string;
  priority?: string;
  commandUuid?: string;
}

/** The allowed values of a ScheduleOSUpdate Updates item key, from Apple's schema. */
function allowed(key: string): readonly string[] {
  const item = commandSpec('ScheduleOSUpdate')?.payload.find((k) => k.key === 'Updates')?.items?.[0];
  return (item?.keys?.find((k: KeySpec) => k.key === key)?.values ?? []).map(String);
}

function oneOf(value: string | undefined, key: string, flag: string): string | undefined {
  if (value === undefined) return undefined;
  const values = allowed(key);
  const match = values.find((v) => v.toLowerCase() === value.toLowerCase());
  if (!match) throw new CliError(`${flag} must be one of ${values.join(', ')} (got ${JSON.stringify(value)})`);
  return match;
}

/** The command to send, checked against Apple's schema. */
function build(requestType: string, payload: Record<string, unknown>, uuid: string | undefined): WireCommand {
  try {
    return buildCommand(requestType, payload as Parameters<typeof buildCommand>[1], { uuid });
  } catch (err) {
    if (err instanceof CommandValidationError) throw new CliError(`${requestType}: ${err.message}`);
    throw err;
  }
}

/** One ScheduleOSUpdate Updates item from the flags, checked against the schema's allowed values. */
export function scheduleItem(o: Options): Record<string, unknown> {
  if (!o.productKey && !o.productVersion) throw new CliError('give --product-key (from `updraft os-update available`) or --product-version');
  const deferrals = positiveInt(o.maxUserDeferrals, '--max-user-deferrals', { zero: true });
  const action = oneOf(o.installAction ?? 'Default', 'InstallAction', '--install-action')!;
  if (deferrals !== undefined && action !== 'InstallLater') throw new CliError('--max-user-deferrals only applies with --install-action InstallLater');
  return {
    ProductKey: o.productKey,
    ProductVersion: o.productVersion,
    InstallAction: action,
    MaxUserDeferrals: deferrals,
    Priority: oneOf(o.priority, 'Priority', '--priority'),
  };
}

const GB = 1e9;
const size = (bytes: number | null): string | null => (bytes === null ? null : bytes >= GB ? `${(bytes / GB).toFixed(1)} GB` : `${Math.round(bytes / 1e6)} MB`);
const items = <T>(t: TypedResult, key: string): T[] => ((t.response?.[key] ?? []) as T[]);

function flags(u: AvailableOsUpdate): string {
  const f = [
    u.is_major_os_update && 'major', u.is_security_response && 'security-response', u.is_config_data_update && 'config-data',
    u.is_firmware_update && 'firmware', u.is_critical && 'critical', u.restart_required && 'restart',
    u.deferred_until && `deferred until ${shortTime(u.deferred_until)}`,
  ];
  return f.filter(Boolean).join(', ');
}

interface Subcommand {
  name: string;
  requestType: string;
  description: string;
  payload(o: Options): Record<string, unknown>;
  headers: string[];
  rows(id: string, t: TypedResult): Cell[][];
}

const SUBCOMMANDS: Subcommand[] = [
  {
    name: 'scan', requestType: 'ScheduleOSUpdateScan', description: 'ask Macs to scan for updates now (ScheduleOSUpdateScan; macOS only)',
    payload: (o) => ({ Force: o.force ? true : undefined }),
    headers: ['ENROLLMENT', 'SCAN INITIATED'],
    rows: (id, t) => [[id, t.response?.scan_initiated === undefined ? 'yes (acknowledged)' : t.response.scan_initiated ? 'yes' : 'no']],
  },
  {
    name: 'available', requestType: 'AvailableOSUpdates', description: 'list the updates each device offers (AvailableOSUpdates)',
    payload: () => ({}),
    headers: ['ENROLLMENT', 'PRODUCT KEY', 'NAME', 'VERSION', 'BUILD', 'SIZE', 'FLAGS'],
    rows: (id, t) => items<AvailableOsUpdate>(t, 'available_os_updates').map((u) => [
      id, u.product_key, u.human_readable_name, u.version, u.build, size(u.download_size), flags(u),
    ]),
  },
  {
    name: 'schedule', requestType: 'ScheduleOSUpdate', description: 'download or install an update (ScheduleOSUpdate)',
    payload: (o) => ({ Updates: [scheduleItem(o)] }),
    headers: ['ENROLLMENT', 'PRODUCT KEY', 'INSTALL ACTION', 'STATUS', 'ERROR'],
    rows: (id, t) => items<UpdateResult>(t, 'update_results').map((u) => [id, u.product_key, u.install_action, u.status, errorCell(u.error_chain)]),
  },
  {
    name: 'status', requestType: 'OSUpdateStatus', description: 'show the progress of updates on each device (OSUpdateStatus)',
    payload: () => ({}),
    headers: ['ENROLLMENT', 'PRODUCT KEY', 'STATUS', 'DOWNLOADED', 'PROGRESS', 'DEFERRALS LEFT', 'NEXT INSTALL', 'ERROR'],
    rows: (id, t) => items<OsUpdateStatusItem>(t, 'os_update_status').map((u) => [
      id, u.product_key, u.status, u.is_downloaded === null ? null : u.is_downloaded ? 'yes' : 'no',
      u.download_percent_complete === null ? null : `${Math.round(u.download_percent_complete * 100)}%`,
      u.deferrals_remaining === null ? null : `${u.deferrals_remaining}${u.max_deferrals !== null ? ` of ${u.max_deferrals}` : ''}`,
      shortTime(u.next_scheduled_install), errorCell(u.error_chain),
    ]),
  },
];

export function register(program: Command): void {
  const group = program
    .command('os-update')
    .description('the legacy OS update commands: scan, available, schedule, status (macOS/iOS/tvOS up to 26)')
    .addHelpText('after', '\nExamples:\n  updraft os-update available UDID1 UDID2 --wait\n' +
      '  updraft os-update schedule UDID1 --product-key MSU_UPDATE_23G93_patch_14.6.1_minor --install-action InstallASAP --wait\n' +
      '  updraft os-update status UDID1 --wait --json');
  for (const sub of SUBCOMMANDS) {
    const cmd = group.command(sub.name).description(sub.description).argument('<ids...>', 'enrollment IDs (space- or comma-separated)');
    if (sub.name === 'scan') cmd.option('--force', 'scan now rather than when the system chooses');
    if (sub.name === 'schedule') {
      cmd
        .option('--product-key <key>', 'the update, as AvailableOSUpdates lists it (ProductKey)')
        .option('--product-version <version>', 'the update by version, e.g. 14.6.1, instead of --product-key (iOS 11.3+, macOS 12+, tvOS 12.2+; not for RSRs)')
        .option('--install-action <action>', `${allowed('InstallAction').join(' | ')} (default Default)`)
        .option('--max-user-deferrals <n>', 'with InstallLater: how often the user may postpone (macOS 12+, minor updates)')
        .option('--priority <priority>', `${allowed('Priority').join(' | ')}: download and preparation priority (macOS 12.3+, minor updates)`);
    }
    cmd.option('--command-uuid <uuid>', 'the CommandUUID to use (default: a new one)');
    clientOptions(sendOptions(cmd)).action(
      action(async (args: string[], o: Options) => {
        const ids = idList(args);
        const command = build(sub.requestType, sub.payload(o), o.commandUuid);
        const outcome = await send(new ApiClient(o), ids, command, o);
        if (!o.wait) {
          if (o.json) printJson(outcome.enqueue);
          else printQueued(outcome, ids);
          return;
        }
        printResults(outcome, !!o.json, sub.headers, sub.rows);
      }),
    );
  }
}
