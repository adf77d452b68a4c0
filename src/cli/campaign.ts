// `updraft campaign …`: OS update campaigns through the running server's API (/v1/campaigns).
//   campaign create --name N (--select K=V[,…] | --ids ID,… | --all) --target T [rollout flags] [--dry-run]
//   campaign list [--state S] | show ID [--devices] [--state S] [--watch [--interval S]]
//   campaign pause|resume|cancel ID
// Every subcommand takes --json (the API's JSON as it is). API refusals print "error: <field>: <reason>".
import type { Command } from 'commander';
import { call, run } from './api-call.js';
import { createBody, type CreateFlags } from './campaign-request.js';
import {
  barsText, campaignText, countsText, devicesText, ENDED, headline, planText, watchLine,
  type CampaignJson, type DeviceJson, type PlanJson,
} from './campaign-view.js';
import { ApiClient, CliError, clientOptions, type ClientOptions } from './client.js';
import { shortTime, STDIO, table, type CliOutput } from './output.js';

const seg = encodeURIComponent;
const collect = (value: string, prev: string[] = []) => [...prev, value];

interface ShowFlags extends ClientOptions {
  devices?: boolean;
  state?: string;
  watch?: boolean;
  interval?: string;
}

/** Every device of a campaign (the API pages by enrollment id), optionally only some states. */
async function allDevices(client: ApiClient, id: string, states?: string): Promise<DeviceJson[]> {
  const out: DeviceJson[] = [];
  for (let after: string | null = null; ;) {
    const q = new URLSearchParams({ limit: '1000' });
    if (states) q.set('state', states);
    if (after) q.set('after', after);
    const page = (await call(client, 'GET', `/v1/campaigns/${seg(id)}/devices?${q}`)) as { devices: DeviceJson[]; next: string | null };
    out.push(...page.devices);
    if (!page.next) return out;
    after = page.next;
  }
}

function seconds(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text.trim()) || !(n >= 0.1) || n > 3600) throw new CliError(`--interval must be seconds from 0.1 to 3600, got ${JSON.stringify(text)}`);
  return n;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Redraws (terminal) or prints a line per refresh (pipe, log) until the campaign is done or cancelled. */
async function watch(client: ApiClient, id: string, intervalMs: number, json: boolean, io: CliOutput, tty: boolean): Promise<CampaignJson> {
  let drawn = 0;
  for (;;) {
    const c = (await call(client, 'GET', `/v1/campaigns/${seg(id)}`)) as CampaignJson;
    if (json) io.out(JSON.stringify(c) + '\n');
    else if (tty) {
      const text = barsText(c);
      io.out(`${drawn ? `\x1b[${drawn}A\r\x1b[J` : ''}${text}\n`);
      drawn = text.split('\n').length;
    } else io.out(watchLine(c, new Date()) + '\n');
    if (ENDED.has(c.state)) return c;
    await sleep(intervalMs);
  }
}

export function register(program: Command, io: CliOutput = STDIO): void {
  const campaign = program
    .command('campaign')
    .description('OS update campaigns: plan (dry run), create, follow, pause, resume, cancel')
    .addHelpText('after', '\nSee docs/osupdate.md (Campaigns). Device tags for --select tag=…: updraft tags --help.');
  const print = (text: string) => io.out(text + '\n');
  const printJson = (value: unknown) => io.out(JSON.stringify(value, null, 2) + '\n');

  clientOptions(
    campaign
      .command('create')
      .description('create a campaign, or with --dry-run see what each selected device would do')
      .requiredOption('--name <name>', 'a name people recognize (at most 200 characters)')
      .option('--select <key=value,…>', 'devices by platform, model(s), os_min, os_max, tag(s) or ids; values of a key comma-separated (platform=macOS,iPadOS); repeat to add', collect)
      .option('--ids <id,id,…>', 'these enrollment IDs (same as --select ids=…)')
      .option('--all', 'every enrolled device')
      .requiredOption('--target <target>', 'latest | latest-minor | latest-major | minimum:VERSION | VERSION[:BUILD]')
      .option('--waves <p,p,…>', 'cumulative shares released one after the other, e.g. 5%,25%,100% (default 100%)')
      .option('--window <window>', 'maintenance window "DAYS HH:MM-HH:MM [ZONE]", e.g. "Mon-Fri 19:00-23:00", on each device\'s clock unless a zone is named (default: any time)')
      .option('--time-zone <zone>', 'IANA zone of the deadline and of a window that names none, or "device" (default: UTC for the deadline, the device\'s clock for a window)')
      .option('--deadline <date-time>', 'install by then, e.g. 2026-12-15T18:00 (wall time in --time-zone unless it has an offset)')
      .option('--max-in-flight <n>', 'at most this many devices updating at once')
      .option('--retries <n>', 'attempts after the first before a device is failed (default 3)')
      .option('--install-action <action>', 'macOS before the deadline: InstallASAP (default), InstallLater, Default or InstallForceRestart')
      .option('--install-within-hours <n>', 'DDM: the update is enforced this long after a wave starts, never after the deadline (default 24)')
      .option('--max-user-deferrals <n>', 'with InstallLater: how many times the user may defer (macOS minor updates)')
      .option('--details-url <url>', 'a page about the update shown by devices on the DDM path')
      .option('--success-rate <r>', 'promote the next wave once this share (0-1) of a wave is done (default 0.9)')
      .option('--soak-seconds <s>', 'and once the wave has run this long (default 0)')
      .option('--ddm-settings <file>', 'a softwareupdate.settings payload (JSON) for devices on the DDM path (- reads stdin)')
      .option('--dry-run', 'plan only: each device\'s path, target, wave, state and reason; nothing is created')
      .addHelpText('after', [
        '', 'Examples:',
        '  updraft campaign create --name "macOS 26.2" --select platform=macOS --target latest-minor \\',
        '      --waves 5%,25%,100% --window "Mon-Fri 19:00-23:00" --deadline 2026-12-15T18:00 --dry-run',
        '  updraft campaign create --name pilot --select tag=pilot --select os_min=15 --target 26.2:25C56 --time-zone Europe/Paris',
        '  updraft campaign create --name floor --ids UDID1,UDID2 --target minimum:15.7',
      ].join('\n')),
  ).action(
    run(async (flags: CreateFlags & ClientOptions) => {
      const client = new ApiClient(flags);
      const body = await call(client, 'POST', '/v1/campaigns', createBody(flags));
      if (flags.json) return printJson(body);
      if (flags.dryRun) return print(planText(body as { name: string; counts: Record<string, number>; unknown_ids: string[]; devices: PlanJson[] }));
      const c = body as CampaignJson & { refused: Array<{ enrollment_id: string; reason: string }>; unknown_ids: string[] };
      const lines = [`created ${headline(c)}`, `devices: ${c.devices} (${countsText(c.counts)})`];
      if (c.refused.length) {
        lines.push('', `refused ${c.refused.length} device${c.refused.length === 1 ? '' : 's'}:`, table(['ENROLLMENT', 'REASON'], c.refused.map((r) => [r.enrollment_id, r.reason])));
      }
      if (c.unknown_ids.length) lines.push(`unknown ids (not enrolled): ${c.unknown_ids.join(', ')}`);
      print(lines.join('\n'));
    }, io),
  );

  clientOptions(
    campaign
      .command('list')
      .description('campaigns, newest first')
      .option('--state <state>', 'running, paused, done or cancelled')
      .option('--limit <n>', 'at most this many (default 100, at most 1000)'),
  ).action(
    run(async (flags: ClientOptions & { state?: string; limit?: string }) => {
      const q = new URLSearchParams();
      if (flags.state) q.set('state', flags.state);
      if (flags.limit) q.set('limit', flags.limit);
      const body = (await call(new ApiClient(flags), 'GET', `/v1/campaigns${q.size ? `?${q}` : ''}`)) as { campaigns: CampaignJson[] };
      if (flags.json) return printJson(body);
      if (body.campaigns.length === 0) return print('no campaigns');
      print(table(
        ['ID', 'NAME', 'STATE', 'WAVE', 'DEVICES', 'DONE', 'COUNTS', 'CREATED'],
        body.campaigns.map((c) => [c.id, c.name, c.state, `${c.wave}/${c.waves.length}`, c.devices, `${c.progress}%`, countsText(c.counts), shortTime(c.created_at)]),
      ));
    }, io),
  );

  clientOptions(
    campaign
      .command('show')
      .argument('<id>', 'campaign ID')
      .description('a campaign: state, progress, waves; --devices each device with its reason; --watch follows it')
      .option('--devices', 'each device: path, OS, target, wave, state and the reason')
      .option('--state <states>', 'only devices in these states, comma-separated (implies --devices)')
      .option('--watch', 'redraw a progress bar per state until the campaign is done or cancelled (a line per refresh when not on a terminal)')
      .option('--interval <seconds>', 'seconds between --watch refreshes (default 2)'),
  ).action(
    run(async (id: string, flags: ShowFlags) => {
      const client = new ApiClient(flags);
      const withDevices = flags.devices || flags.state !== undefined;
      let c: CampaignJson;
      if (flags.watch) {
        c = await watch(client, id, seconds(flags.interval, 2) * 1000, Boolean(flags.json), io, Boolean(process.stdout.isTTY) && io === STDIO);
        if (!withDevices) return;
      } else {
        c = (await call(client, 'GET', `/v1/campaigns/${seg(id)}`)) as CampaignJson;
      }
      const devices = withDevices ? await allDevices(client, id, flags.state) : null;
      if (flags.json) return flags.watch ? io.out(JSON.stringify({ campaign: c, devices }) + '\n') : printJson(devices ? { campaign: c, devices } : c);
      if (!flags.watch) print(campaignText(c));
      if (devices) print(`${flags.watch ? '' : '\n'}${devicesText(devices)}`);
    }, io),
  );

  for (const [verb, what] of [
    ['pause', 'pause a running campaign: no device starts and no new command is sent until it is resumed (updates already under way go on)'],
    ['resume', 'resume a paused campaign'],
    ['cancel', 'cancel a campaign: withdraws its DDM declarations and the commands it queued'],
  ] as const) {
    clientOptions(campaign.command(verb).argument('<id>', 'campaign ID').description(what)).action(
      run(async (id: string, flags: ClientOptions) => {
        const c = (await call(new ApiClient(flags), 'POST', `/v1/campaigns/${seg(id)}/${verb}`)) as CampaignJson;
        if (flags.json) return printJson(c);
        print(`${headline(c)}\ncounts: ${countsText(c.counts)}`);
      }, io),
    );
  }
}
