// `updraft campaign …` and `updraft tags …` as subprocesses against a whole server (the campaign
// engine runs, campaignPollSeconds 1) with the real GDMF and SOFA catalogs imported: the issue's own
// dry run, a create → list → show → pause → resume → cancel round trip, the API's refusals, and
// `show --watch` following a simulated Mac through the seed's Mojave upgrade to the end.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { repoRoot } from '../helpers/fixtures.js';
import { Fleet } from '../../src/sim/fleet.js';
import { loadScenario } from '../../src/sim/scenario.js';
import { TEST_API_KEY } from '../helpers/server.js';
import { TestDevice } from '../helpers/device.js';
import { snapshot, SNAPSHOTS } from '../osupdate/sucatalog.js';
import { startHarness, type Harness } from '../sim/harness.js';
import { runCli } from './run.js';

// The engine's clock runs from 2026-12-07 09:00 UTC (a Monday) whenever the test runs, so the
// issue's deadline (2026-12-15T18:00) stays ahead of it.
const SHIFT = Date.parse('2026-12-07T09:00:00Z') - Date.now();

let h: Harness;
let env: Record<string, string>;
const MACS = {
  m26: { UDID: 'CAMP0000-0000-0000-0000-000000002600', Model: 'Mac14,2', OSVersion: '26.0', BuildVersion: '25A354' },
  m15: { UDID: 'CAMP0000-0000-0000-0000-000000001500', Model: 'Mac14,2', OSVersion: '15.6', BuildVersion: '24G84' },
  m13: { UDID: 'CAMP0000-0000-0000-0000-000000001300', Model: 'MacBookAir10,1', OSVersion: '13.7.1', BuildVersion: '22H221' },
};
const IPHONE = { UDID: 'CAMP0000-0000-0000-0000-0000000000A1', ProductName: 'iPhone15,2', OSVersion: '18.6', BuildVersion: '22G86' };

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await h.api(method, path, body);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

before(async () => {
  h = await startHarness({ config: { campaignPollSeconds: 1, identityOptional: true }, clock: () => new Date(Date.now() + SHIFT) });
  env = { UPDRAFT_SERVER: h.url, UPDRAFT_API_KEY: TEST_API_KEY };
  for (const kind of ['gdmf', 'sofa-macos'] as const) {
    const res = await fetch(`${h.url}/v1/catalogs/${kind}`, {
      method: 'PUT', headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/octet-stream' }, body: new Uint8Array(snapshot(SNAPSHOTS[kind])),
    });
    assert.equal(res.status, 200, await res.text());
  }
  for (const d of [...Object.values(MACS), IPHONE]) {
    const { UDID, ...inv } = d;
    const dev = new TestDevice(h.url, { ids: { UDID } });
    for (const r of [await dev.authenticate({ SerialNumber: `C02${UDID.slice(-6)}`, ...inv }), await dev.tokenUpdate()]) assert.equal(r.status, 200, r.text);
  }
});
after(async () => h.close());

/** The rows of a table whose first column is one of `ids`. */
const rowsOf = (text: string, ids: string[]) => text.split('\n').filter((l) => ids.some((id) => l.startsWith(id)));

test('the issue\'s dry run prints a plan row for each selected Mac, the counts, and creates nothing', async () => {
  const args = ['campaign', 'create', '--name', 'macOS 26.2', '--select', 'platform=macOS', '--target', 'latest-minor',
    '--waves', '5%,25%,100%', '--window', 'Mon-Fri 19:00-23:00', '--deadline', '2026-12-15T18:00', '--dry-run'];
  const r = await runCli(args, env);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines[0], 'dry run of "macOS 26.2": 3 devices selected; nothing was created');
  const header = lines.find((l) => l.startsWith('ENROLLMENT'))!;
  assert.match(header, /^ENROLLMENT\s+MODEL\s+OS\s+PATH\s+TARGET\s+WAVE\s+STATE\s+REASON$/);
  assert.ok(!r.stdout.includes(IPHONE.UDID), 'the iPhone is not selected by platform=macOS');

  // What the API plans for the same request, device by device (the waves of a dry run are drawn anew each time).
  const plan = await api('POST', '/v1/campaigns', {
    name: 'macOS 26.2', select: { platform: ['macOS'] }, target: { policy: 'latest-minor' }, waves: ['5%', '25%', '100%'],
    window: 'Mon-Fri 19:00-23:00', deadline: '2026-12-15T18:00', dry_run: true,
  });
  assert.equal(plan.status, 200);
  const devices = plan.body.devices as Array<Record<string, string | number | null>>;
  const rows = rowsOf(r.stdout, Object.values(MACS).map((m) => m.UDID));
  assert.equal(rows.length, 3);
  for (const d of devices) {
    const row = rows.find((l) => l.startsWith(String(d.enrollment_id)))!;
    const cells = row.split(/\s{2,}/);
    assert.equal(cells[1], d.model);
    assert.equal(cells[2], `${d.os_version} (${d.build_version})`);
    assert.equal(cells[3], d.path ?? '-');
    assert.equal(cells[6], d.state);
    assert.equal(cells.slice(7).join('  '), d.reason);
    assert.equal(header.indexOf('STATE'), row.indexOf(String(d.state)), 'columns line up');
  }
  // The Macs on 26 and 15 get their major's newest release through DDM; the Mac on 13 the legacy commands.
  const m26 = rows.find((l) => l.startsWith(MACS.m26.UDID))!;
  assert.match(m26, /Mac14,2\s+26\.0 \(25A354\)\s+ddm\s+26\.6\.2 \(25G83\)\s+[123]\s+pending\s+will enforce 26\.6\.2 \(25G83\) through DDM$/);
  assert.match(rows.find((l) => l.startsWith(MACS.m15.UDID))!, /\s+ddm\s+15\.7\.\d+ \(24G\d+\)\s+[123]\s+pending\s+/);
  assert.match(rows.find((l) => l.startsWith(MACS.m13.UDID))!, /\s+legacy\s+13\.7\.\d+ \(22H\d+\)\s+[123]\s+pending\s+will install 13\.7\.\d+ \(22H\d+\) with OS update commands$/);
  assert.deepEqual(plan.body.counts, { pending: 3 });
  assert.equal(lines.at(-1), 'counts: pending 3');
  // 5% of three devices is still one device: wave 1 holds exactly one.
  assert.equal(rows.filter((l) => l.split(/\s{2,}/)[5] === '1').length, 1);

  const json = await runCli([...args, '--json'], env);
  assert.equal(json.code, 0, json.stderr);
  const parsed = JSON.parse(json.stdout) as Record<string, unknown>;
  assert.equal(parsed.dry_run, true);
  assert.deepEqual((parsed.devices as Array<Record<string, unknown>>).map((d) => [d.enrollment_id, d.state, d.target_version]),
    devices.map((d) => [d.enrollment_id, d.state, d.target_version]));

  const list = await runCli(['campaign', 'list'], env);
  assert.equal(list.stdout.trim(), 'no campaigns', 'a dry run creates nothing');
});

test('tags: set, show, select by tag in a dry run, clear; an unknown device is refused', async () => {
  const set = await runCli(['tags', 'set', MACS.m13.UDID, 'pilot,lab', 'ring1'], env);
  assert.equal(set.code, 0, set.stderr);
  assert.equal(set.stdout, `${MACS.m13.UDID}: lab, pilot, ring1\n`);
  const show = await runCli(['tags', 'show', MACS.m13.UDID, '--json'], env);
  assert.deepEqual(JSON.parse(show.stdout), (await api('GET', `/v1/devices/${MACS.m13.UDID}/tags`)).body);

  const dry = await runCli(['campaign', 'create', '--name', 'pilot', '--select', 'tag=pilot', '--target', '13.7.8', '--dry-run'], env);
  assert.equal(dry.code, 0, dry.stderr);
  assert.deepEqual(rowsOf(dry.stdout, [...Object.values(MACS).map((m) => m.UDID), IPHONE.UDID]).map((l) => l.split(/\s+/)[0]), [MACS.m13.UDID]);

  const cleared = await runCli(['tags', 'set', MACS.m13.UDID], env);
  assert.equal(cleared.stdout, `${MACS.m13.UDID}: no tags\n`);
  const unknown = await runCli(['tags', 'set', 'NOPE', 'x'], env);
  assert.equal(unknown.code, 1);
  assert.equal(unknown.stderr, 'error: id: unknown enrollment: NOPE\n');
});

test('create, then list, show, pause, resume and cancel report the states the API reports', async () => {
  const created = await runCli(['campaign', 'create', '--name', 'round trip', '--ids', `${MACS.m13.UDID},${MACS.m15.UDID}`,
    '--target', 'latest-minor', '--waves', '50%,100%', '--max-in-flight', '5', '--deadline', '2026-12-20T18:00', '--time-zone', 'Europe/Paris'], env);
  assert.equal(created.code, 0, created.stderr);
  const id = /^created campaign ([0-9a-f]{12}) "round trip": running, wave 1 of 2, 0% done \(0 of 2\)$/m.exec(created.stdout)?.[1];
  assert.ok(id, created.stdout);
  assert.match(created.stdout, /^devices: 2 \(pending 2\)$/m);

  // The timer starts the wave-1 device; the other waits for wave 2 (these test devices never answer).
  let devices: Array<Record<string, string>> = [];
  for (let i = 0; i < 100; i++) {
    devices = (await api('GET', `/v1/campaigns/${id}/devices`)).body.devices as typeof devices;
    if (devices.some((d) => d.state !== 'pending')) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const started = devices.find((d) => d.state !== 'pending')!;
  const waiting = devices.find((d) => d.state === 'pending')!;
  assert.ok(started && waiting, JSON.stringify(devices));
  assert.equal(waiting.reason, 'waiting for wave 2 (wave 1 is in progress)');

  const list = await runCli(['campaign', 'list'], env);
  assert.match(list.stdout, /^ID\s+NAME\s+STATE\s+WAVE\s+DEVICES\s+DONE\s+COUNTS\s+CREATED$/m);
  assert.match(list.stdout, new RegExp(`^${id}\\s+round trip\\s+running\\s+1/2\\s+2\\s+0%\\s+`, 'm'));

  const show = await runCli(['campaign', 'show', id!, '--devices'], env);
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, new RegExp(`^campaign ${id} "round trip"$`, 'm'));
  assert.match(show.stdout, /^ {2}state\s+running, wave 1 of 2$/m);
  assert.match(show.stdout, /^ {2}target\s+latest-minor$/m);
  assert.match(show.stdout, /^ {2}deadline\s+2026-12-20T18:00 \(Europe\/Paris\)$/m);
  assert.match(show.stdout, /^ {2}in flight\s+at most 5$/m);
  assert.match(show.stdout, /^1\s+yes\s+1\s+/m);
  assert.match(show.stdout, /^2\s+no\s+1\s+pending 1$/m);
  assert.match(show.stdout, new RegExp(`^${waiting.enrollment_id}\\s+.*\\s+2\\s+pending\\s+waiting for wave 2 \\(wave 1 is in progress\\)\\s+`, 'm'));
  assert.match(show.stdout, new RegExp(`^${started.enrollment_id}\\s+(ddm|legacy)\\s+.*\\s+1\\s+(scanning|enforcing)\\s+`, 'm'));

  const filtered = await runCli(['campaign', 'show', id!, '--state', 'pending', '--json'], env);
  const fj = JSON.parse(filtered.stdout) as { campaign: { id: string }; devices: Array<{ enrollment_id: string }> };
  assert.equal(fj.campaign.id, id);
  assert.deepEqual(fj.devices.map((d) => d.enrollment_id), [waiting.enrollment_id]);

  const paused = await runCli(['campaign', 'pause', id!], env);
  assert.equal(paused.code, 0, paused.stderr);
  assert.match(paused.stdout, new RegExp(`^campaign ${id} "round trip": paused, wave 1 of 2`));
  assert.equal((await api('GET', `/v1/campaigns/${id}`)).body.state, 'paused');
  assert.match((await runCli(['campaign', 'list', '--state', 'paused'], env)).stdout, new RegExp(`^${id}\\s+round trip\\s+paused`, 'm'));
  assert.equal((await runCli(['campaign', 'list', '--state', 'running'], env)).stdout.trim(), 'no campaigns');

  const resumed = await runCli(['campaign', 'resume', id!, '--json'], env);
  assert.equal(JSON.parse(resumed.stdout).state, 'running');

  const again = await runCli(['campaign', 'resume', id!], env);
  assert.equal(again.code, 0, 'resuming a running campaign changes nothing');
  assert.match(again.stdout, /: running, wave 1 of 2/);

  // What the started device was given: OS update commands in its queue (legacy) or a DDM set (ddm).
  const given = async () => ({
    commands: ((await api('GET', `/v1/enrollments/${started.enrollment_id}/queue`)).body.commands as Array<{ request_type: string }>)
      .map((c) => c.request_type).filter((t) => /OSUpdate|DeviceInformation/.test(t)),
    sets: ((await api('GET', '/v1/ddm/sets')).body.sets as Array<{ name: string; enrollments: string[] }>)
      .filter((x) => x.name.startsWith(`campaign.${id}.`) && x.enrollments.includes(started.enrollment_id)).map((x) => x.name),
  });
  const held = await given();
  if (started.path === 'legacy') assert.deepEqual(held.commands, ['ScheduleOSUpdateScan']);
  else assert.equal(held.sets.length, 1, JSON.stringify(held));

  const cancelled = await runCli(['campaign', 'cancel', id!], env);
  assert.equal(cancelled.code, 0, cancelled.stderr);
  assert.match(cancelled.stdout, new RegExp(`^campaign ${id} "round trip": cancelled, 2 waves, 0% done \\(0 of 2\\)\\ncounts: cancelled 2\\n$`));
  const after = await api('GET', `/v1/campaigns/${id}/devices`);
  assert.deepEqual((after.body.devices as Array<{ state: string; reason: string }>).map((d) => [d.state, d.reason]), [['cancelled', 'campaign cancelled'], ['cancelled', 'campaign cancelled']]);
  // Cancel withdraws what the campaign gave the device: its queued commands and its DDM set.
  assert.deepEqual(await given(), { commands: [], sets: [] });
  const shown = await runCli(['campaign', 'show', id!], env);
  assert.match(shown.stdout, /^ {2}state\s+cancelled, 2 waves$/m);
  assert.match(shown.stdout, /^ {2}ended\s+\d{4}-/m);
  const late = await runCli(['campaign', 'pause', id!], env);
  assert.equal(late.code, 1);
  assert.equal(late.stderr, `error: campaign ${id} is cancelled: cannot pause it\n`);
});

test('bad input: the API\'s field and reason as "error: <field>: <reason>", exit 1, nothing created', async () => {
  const before = ((await api('GET', '/v1/campaigns')).body.campaigns as unknown[]).length;
  const base = ['campaign', 'create', '--name', 'bad', '--target', 'latest'];
  const cases: Array<[string[], Record<string, unknown>, string]> = [
    [[...base, '--select', 'platform=macOS', '--deadline', '2020-01-01T00:00'], { select: { platform: ['macOS'] }, deadline: '2020-01-01T00:00' },
      'error: deadline: 2020-01-01T00:00 is in the past\n'],
    [[...base, '--select', 'colour=blue'], { select: { colour: ['blue'] } },
      'error: select.colour: unknown key (expected enrollment_ids, platform, models, os_min, os_max, tags, all)\n'],
    [[...base, '--select', 'platform=tvOS'], { select: { platform: ['tvOS'] } }, 'error: select: selects no enrolled device\n'],
    [[...base, '--ids', 'NOPE1,NOPE2'], { select: { enrollment_ids: ['NOPE1', 'NOPE2'] } }, 'error: select: selects no enrolled device (unknown: NOPE1, NOPE2)\n'],
    [[...base, '--all', '--max-in-flight', 'ten'], { select: { all: true }, max_in_flight: 'ten' }, 'error: max_in_flight: must be an integer from 1 to 1000000\n'],
    [[...base, '--all', '--window', 'Mon-Fri 19:00'], { select: { all: true }, window: 'Mon-Fri 19:00' }, 'error: window: "19:00" is not a range of times (HH:MM-HH:MM)\n'],
  ];
  const results = await Promise.all(cases.map(([args]) => runCli(args, env)));
  for (const [i, [, body, expected]] of cases.entries()) {
    const r = results[i]!;
    assert.equal(r.code, 1, r.stdout);
    assert.equal(r.stderr, expected);
    const direct = await api('POST', '/v1/campaigns', { name: 'bad', target: { policy: 'latest' }, ...body });
    assert.equal(direct.status, 400);
    assert.equal(`error: ${direct.body.error}\n`, expected, 'the CLI prints the API\'s own reason');
  }
  assert.equal(((await api('GET', '/v1/campaigns')).body.campaigns as unknown[]).length, before);

  const [unknown, badState, syntax] = await Promise.all([
    runCli(['campaign', 'show', 'nope'], env),
    runCli(['campaign', 'list', '--state', 'sleeping'], env),
    runCli([...base, '--select', 'macOS'], env),
  ]);
  assert.equal(unknown.code, 1);
  assert.equal(unknown.stderr, 'error: id: unknown campaign: nope\n');
  assert.equal(badState.code, 1);
  assert.match(badState.stderr, /^error: state: /);
  assert.equal(syntax.code, 1);
  assert.match(syntax.stderr, /^updraft: --select expects KEY=VALUE/);
});

test('show --watch returns at once, exit 0, for a campaign whose devices are all already there', async () => {
  const created = await runCli(['campaign', 'create', '--name', 'floor', '--ids', MACS.m26.UDID, '--target', 'minimum:14', '--json'], env);
  const c = JSON.parse(created.stdout) as { id: string; counts: Record<string, number> };
  assert.deepEqual(c.counts, { done: 1 });
  const r = await runCli(['campaign', 'show', c.id, '--watch', '--interval', '0.2'], env);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.match(lines.at(-1)!, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ done 1 wave 100% done: done 1$/);
  assert.ok(lines.slice(0, -1).every((l) => / running wave 1 of 1 100% done: done 1$/.test(l)), r.stdout);
});

/** `updraft ARGS…` on a terminal (a pseudo-terminal from script(1)); `onOutput` sees the output as it comes. */
function runOnTty(args: string[], onOutput: (soFar: string) => void): Promise<{ code: number | null; output: string }> {
  const quote = (a: string) => `'${a.replace(/'/g, "'\\''")}'`;
  const command = [process.execPath, '--import', 'tsx', 'src/cli/main.ts', ...args].map(quote).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
      onOutput(output);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

test('show --watch on a terminal redraws a bar per state in place, and exits 0 once the campaign is cancelled', async () => {
  const created = await runCli(['campaign', 'create', '--name', 'tty', '--ids', MACS.m26.UDID, '--target', 'latest', '--json'], env);
  assert.equal(created.code, 0, created.stderr);
  const id = (JSON.parse(created.stdout) as { id: string }).id;
  let cancelling: Promise<unknown> | null = null;
  const r = await runOnTty(['campaign', 'show', id, '--watch', '--interval', '0.2'], (out) => {
    // Cancel once the bars have been drawn a second time (cursor moved up over the first drawing).
    if (!cancelling && /\x1b\[\d+A/.test(out)) cancelling = api('POST', `/v1/campaigns/${id}/cancel`);
  });
  assert.equal(r.code, 0, r.output);
  assert.ok(cancelling, 'the watch redrew in place');
  const drawings = r.output.replace(/\r/g, '').split(/\x1b\[\d+A\x1b\[J/);
  assert.ok(drawings.length >= 2, JSON.stringify(r.output));
  assert.match(drawings[0]!, new RegExp(`^campaign ${id} "tty": running, wave 1 of 1, 0% done \\(0 of 1\\)\\n {2}(pending|enforcing)\\s+█{30}  1\\n$`));
  assert.match(drawings.at(-1)!, new RegExp(`^campaign ${id} "tty": cancelled, 1 wave, 0% done \\(0 of 1\\)\\n {2}cancelled\\s+█{30}  1\\n$`));
});

test('show --watch follows a simulated Mac through its upgrade and exits 0 when the campaign is done', async () => {
  const mojave = loadScenario('mojave-2018');
  // The seed's Mac, enrolled through ADE this time, on battery: the download waits until it is plugged in.
  const scenario = { ...mojave, clockFactor: 100, fleet: [{ ...mojave.fleet[0]!, ade: 1, supervised: 1 }] };
  const fleet = await Fleet.start({ server: h.url, count: 1, scenario, wakeUrl: h.fake.wakeUrl, keyPoolSize: 1 });
  try {
    const mac = fleet.devices[0]!;
    const created = await runCli(['campaign', 'create', '--name', 'Mojave', '--ids', mac.udid, '--target', '10.14', '--json'], env);
    assert.equal(created.code, 0, created.stderr);
    const id = (JSON.parse(created.stdout) as { id: string }).id;
    let plugged = false;
    const r = await runCli(['campaign', 'show', id, '--watch', '--interval', '0.3', '--devices'], env, undefined, (out) => {
      if (!plugged && / downloading 1$/m.test(out)) {
        plugged = true;
        fleet.setPower(mac, true);
      }
    });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(plugged, r.stdout);
    const lines = r.stdout.trimEnd().split('\n');
    const watch = lines.filter((l) => /^\d{4}-/.test(l));
    for (const l of watch.slice(0, -1)) assert.match(l, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ running wave 1 of 1 (0|100)% done: [a-z_]+ 1$/);
    assert.match(watch.at(-1)!, / done 1 wave 100% done: done 1$/);
    const states = [...new Set(watch.map((l) => /: ([a-z_]+) 1$/.exec(l)![1]))];
    assert.ok(states.length >= 3 && states.indexOf('downloading') < states.indexOf('done'), states.join(' '));
    assert.match(lines.at(-1)!, new RegExp(`^${mac.udid}\\s+legacy\\s+10\\.14 \\(18A391\\)\\s+10\\.14\\s+1\\s+done\\s+done: 10\\.14 \\(18A391\\)\\s+`));
    assert.equal(mac.osVersion, '10.14');
  } finally {
    await fleet.stop();
  }
});
