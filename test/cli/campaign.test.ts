// `updraft campaign …` and `updraft tags …` as subprocesses against a whole server (the campaign
// engine runs, campaignPollSeconds 1) with the real GDMF and SOFA catalogs imported: the issue's own
// dry run, tags, and the API's refusals. (The create → … → cancel round trip is in
// campaign-lifecycle.test.ts, show --watch in campaign-watch.test.ts.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { IPHONE, MACS, startCampaignServer, type CampaignServer } from './campaign-server.js';
import { runCli } from './run.js';

let server: CampaignServer;
let env: Record<string, string>;
const api: CampaignServer['api'] = (...args) => server.api(...args);

before(async () => {
  server = await startCampaignServer({ catalogs: true, devices: [...Object.values(MACS), IPHONE] });
  env = server.env;
});
after(async () => server.h.close());

/** The rows of a table whose first column is one of `ids`. */
const rowsOf = (text: string, ids: string[]) => text.split('\n').filter((l) => ids.some((id) => l.startsWith(id)));

test('the issue\'s dry run prints a plan row for each selected Mac, the counts, and creates nothing', async () => {
  const args = ['campaign', 'create', '--name', 'macOS 26.2', '--select', 'platform=macOS', '--target', 'latest-minor',
    '--waves', '5%,25%,100%', '--window', 'Mon-Fri 19:00-23:00', '--deadline', '2026-12-15T18:00', '--dry-run'];
  const [r, json, list] = await Promise.all([runCli(args, env), runCli([...args, '--json'], env), runCli(['campaign', 'list'], env)]);
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

  assert.equal(json.code, 0, json.stderr);
  const parsed = JSON.parse(json.stdout) as Record<string, unknown>;
  assert.equal(parsed.dry_run, true);
  assert.deepEqual((parsed.devices as Array<Record<string, unknown>>).map((d) => [d.enrollment_id, d.state, d.target_version]),
    devices.map((d) => [d.enrollment_id, d.state, d.target_version]));

  assert.equal(list.stdout.trim(), 'no campaigns', 'a dry run creates nothing');
  assert.deepEqual((await api('GET', '/v1/campaigns')).body.campaigns, []);
});

test('tags: set, show, select by tag in a dry run, clear; an unknown device is refused', async () => {
  const [set, unknown] = await Promise.all([runCli(['tags', 'set', MACS.m13.UDID, 'pilot,lab', 'ring1'], env), runCli(['tags', 'set', 'NOPE', 'x'], env)]);
  assert.equal(set.code, 0, set.stderr);
  assert.equal(set.stdout, `${MACS.m13.UDID}: lab, pilot, ring1\n`);
  assert.equal(unknown.code, 1);
  assert.equal(unknown.stderr, 'error: id: unknown enrollment: NOPE\n');

  const [show, dry] = await Promise.all([
    runCli(['tags', 'show', MACS.m13.UDID, '--json'], env),
    runCli(['campaign', 'create', '--name', 'pilot', '--select', 'tag=pilot', '--target', '13.7.8', '--dry-run'], env),
  ]);
  assert.deepEqual(JSON.parse(show.stdout), (await api('GET', `/v1/devices/${MACS.m13.UDID}/tags`)).body);
  assert.equal(dry.code, 0, dry.stderr);
  assert.deepEqual(rowsOf(dry.stdout, [...Object.values(MACS).map((m) => m.UDID), IPHONE.UDID]).map((l) => l.split(/\s+/)[0]), [MACS.m13.UDID]);

  const cleared = await runCli(['tags', 'set', MACS.m13.UDID], env);
  assert.equal(cleared.stdout, `${MACS.m13.UDID}: no tags\n`);
  assert.deepEqual((await api('GET', `/v1/devices/${MACS.m13.UDID}/tags`)).body.tags, []);
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
  ];
  const [results, [unknownPause, badState, syntax]] = await Promise.all([
    Promise.all(cases.map(([args]) => runCli(args, env))),
    Promise.all([
      runCli(['campaign', 'pause', 'nope'], env),
      runCli(['campaign', 'list', '--state', 'sleeping'], env),
      runCli([...base, '--select', 'macOS'], env),
    ]),
  ]);
  for (const [i, [, body, expected]] of cases.entries()) {
    const r = results[i]!;
    assert.equal(r.code, 1, r.stdout);
    assert.equal(r.stderr, expected);
    const direct = await api('POST', '/v1/campaigns', { name: 'bad', target: { policy: 'latest' }, ...body });
    assert.equal(direct.status, 400);
    assert.equal(`error: ${direct.body.error}\n`, expected, 'the CLI prints the API\'s own reason');
  }
  assert.equal(((await api('GET', '/v1/campaigns')).body.campaigns as unknown[]).length, before);

  assert.equal(unknownPause.code, 1);
  assert.equal(unknownPause.stderr, 'error: id: unknown campaign: nope\n');
  assert.equal(badState.code, 1);
  assert.match(badState.stderr, /^error: state: /);
  assert.equal(syntax.code, 1);
  assert.match(syntax.stderr, /^updraft: --select expects KEY=VALUE/);
});

