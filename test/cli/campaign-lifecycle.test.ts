// `updraft campaign create`, `list`, `show`, `pause`, `resume` and `cancel` as subprocesses against a
// whole server (the campaign engine runs, campaignPollSeconds 1, the real GDMF and SOFA catalogs
// imported): each prints the states the API reports, and cancel withdraws what the campaign gave.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { MACS, startCampaignServer, type CampaignServer } from './campaign-server.js';
import { runCli } from './run.js';

let server: CampaignServer;
let env: Record<string, string>;
const api: CampaignServer['api'] = (...args) => server.api(...args);

before(async () => {
  server = await startCampaignServer({ catalogs: true, devices: [MACS.m15, MACS.m13] });
  env = server.env;
});
after(async () => server.h.close());

test('create, then list, show, pause, resume and cancel report the states the API reports', async () => {
  const created = await runCli(['campaign', 'create', '--name', 'round trip', '--ids', `${MACS.m13.UDID},${MACS.m15.UDID}`,
    '--target', 'latest-minor', '--waves', '50%,100%', '--max-in-flight', '5', '--deadline', '2026-12-20T18:00', '--time-zone', 'Europe/Paris', '--install-within-hours', '48'], env);
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

  const [list, show, filtered] = await Promise.all([
    runCli(['campaign', 'list'], env),
    runCli(['campaign', 'show', id!, '--devices'], env),
    runCli(['campaign', 'show', id!, '--state', 'pending', '--json'], env),
  ]);
  assert.match(list.stdout, /^ID\s+NAME\s+STATE\s+WAVE\s+DEVICES\s+DONE\s+COUNTS\s+CREATED$/m);
  assert.match(list.stdout, new RegExp(`^${id}\\s+round trip\\s+running\\s+1/2\\s+2\\s+0%\\s+`, 'm'));

  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, new RegExp(`^campaign ${id} "round trip"$`, 'm'));
  assert.match(show.stdout, /^ {2}state\s+running, wave 1 of 2$/m);
  assert.match(show.stdout, /^ {2}target\s+latest-minor$/m);
  assert.match(show.stdout, /^ {2}deadline\s+2026-12-20T18:00 \(Europe\/Paris\)$/m);
  assert.match(show.stdout, /^ {2}in flight\s+at most 5$/m);
  assert.match(show.stdout, /^ {2}ddm within\s+48 h of a wave's start$/m);
  assert.match(show.stdout, /^1\s+yes\s+1\s+/m);
  assert.match(show.stdout, /^2\s+no\s+1\s+pending 1$/m);
  assert.match(show.stdout, new RegExp(`^${waiting.enrollment_id}\\s+.*\\s+2\\s+pending\\s+waiting for wave 2 \\(wave 1 is in progress\\)\\s+`, 'm'));
  assert.match(show.stdout, new RegExp(`^${started.enrollment_id}\\s+(ddm|legacy)\\s+.*\\s+1\\s+(scanning|enforcing)\\s+`, 'm'));

  const fj = JSON.parse(filtered.stdout) as { campaign: { id: string }; devices: Array<{ enrollment_id: string }> };
  assert.equal(fj.campaign.id, id);
  assert.deepEqual(fj.devices.map((d) => d.enrollment_id), [waiting.enrollment_id]);

  const paused = await runCli(['campaign', 'pause', id!], env);
  assert.equal(paused.code, 0, paused.stderr);
  assert.match(paused.stdout, new RegExp(`^campaign ${id} "round trip": paused, wave 1 of 2`));
  assert.equal((await api('GET', `/v1/campaigns/${id}`)).body.state, 'paused');
  const [listPaused, pausedAgain] = await Promise.all([runCli(['campaign', 'list', '--state', 'paused'], env), runCli(['campaign', 'pause', id!, '--json'], env)]);
  assert.match(listPaused.stdout, new RegExp(`^${id}\\s+round trip\\s+paused`, 'm'));
  assert.equal(JSON.parse(pausedAgain.stdout).state, 'paused', 'pausing a paused campaign changes nothing');

  const resumed = await runCli(['campaign', 'resume', id!, '--json'], env);
  assert.equal(JSON.parse(resumed.stdout).state, 'running', resumed.stderr);

  // What the started device was given: OS update commands in its queue (legacy) or a DDM set (ddm);
  // the inventory's own DeviceInformation and SecurityInfo are not the campaign's.
  const given = async () => ({
    commands: ((await api('GET', `/v1/enrollments/${started.enrollment_id}/queue`)).body.commands as Array<{ request_type: string }>)
      .map((c) => c.request_type).filter((t) => /OSUpdate/.test(t)),
    sets: ((await api('GET', '/v1/ddm/sets')).body.sets as Array<{ name: string; enrollments: number }>)
      .filter((x) => x.name.startsWith(`campaign.${id}.`)).map((x) => `${x.name} (${x.enrollments})`),
  });
  const held = await given();
  if (started.path === 'legacy') assert.deepEqual(held.commands, ['ScheduleOSUpdateScan']);
  else assert.match(held.sets.join(), new RegExp(`^campaign\\.${id}\\.15\\.7\\.\\d+-24G\\d+\\.w1 \\(1\\)$`), JSON.stringify(held));

  const cancelled = await runCli(['campaign', 'cancel', id!], env);
  assert.equal(cancelled.code, 0, cancelled.stderr);
  assert.match(cancelled.stdout, new RegExp(`^campaign ${id} "round trip": cancelled, 2 waves, 0% done \\(0 of 2\\)\\ncounts: cancelled 2\\n$`));
  const after = await api('GET', `/v1/campaigns/${id}/devices`);
  assert.deepEqual((after.body.devices as Array<{ state: string; reason: string }>).map((d) => [d.state, d.reason]), [['cancelled', 'campaign cancelled'], ['cancelled', 'campaign cancelled']]);
  // Cancel withdraws what the campaign gave the device: its queued commands and its DDM set.
  assert.deepEqual(await given(), { commands: [], sets: [] });
  const [shown, late, badState] = await Promise.all([
    runCli(['campaign', 'show', id!], env), runCli(['campaign', 'pause', id!], env), runCli(['campaign', 'show', id!, '--state', 'sleeping'], env),
  ]);
  assert.match(shown.stdout, /^ {2}state\s+cancelled, 2 waves$/m);
  assert.match(shown.stdout, /^ {2}ended\s+\d{4}-/m);
  assert.equal(late.code, 1);
  assert.equal(late.stderr, `error: campaign ${id} is cancelled: cannot pause it\n`);
  assert.equal(badState.code, 1);
  assert.match(badState.stderr, /^error: state: unknown device state "sleeping" \(one of pending, scanning, .*, done, blocked, not_eligible, failed, cancelled\)\n$/);
});
