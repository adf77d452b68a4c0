// `updraft campaign show --watch` as a subprocess against a whole server (campaignPollSeconds 1):
// it returns at once for a campaign already done, redraws in place on a terminal until the campaign
// is cancelled, and follows a simulated Mac through the seed's Mojave upgrade until it is done.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Fleet } from '../../src/sim/fleet.js';
import { loadScenario } from '../../src/sim/scenario.js';
import { repoRoot } from '../helpers/fixtures.js';
import { MACS, startCampaignServer, type CampaignServer } from './campaign-server.js';
import { runCli } from './run.js';

let server: CampaignServer;
let env: Record<string, string>;
const api: CampaignServer['api'] = (...args) => server.api(...args);

before(async () => {
  server = await startCampaignServer({ catalogs: false, devices: [MACS.m26, MACS.m15] });
  env = server.env;
});
after(async () => server.h.close());

test('show --watch returns at once, exit 0, for a campaign whose devices are all already there', async () => {
  const created = await runCli(['campaign', 'create', '--name', 'floor', '--ids', MACS.m26.UDID, '--target', 'minimum:14', '--json'], env);
  const c = JSON.parse(created.stdout) as { id: string; counts: Record<string, number> };
  assert.deepEqual(c.counts, { done: 1 });
  const [r, json] = await Promise.all([
    runCli(['campaign', 'show', c.id, '--watch', '--interval', '0.2'], env),
    runCli(['campaign', 'show', c.id, '--watch', '--interval', '0.2', '--devices', '--json'], env),
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(json.code, 0, json.stderr);
  const docs = json.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal((docs.at(-2) as { state: string }).state, 'done');
  const last = docs.at(-1) as { campaign: { id: string; state: string }; devices: Array<{ enrollment_id: string; state: string; reason: string }> };
  assert.deepEqual([last.campaign.id, last.campaign.state], [c.id, 'done']);
  assert.deepEqual(last.devices.map((d) => [d.enrollment_id, d.state, d.reason]), [[MACS.m26.UDID, 'done', 'already at or above 14 (on 26.0)']]);
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
  const created = await runCli(['campaign', 'create', '--name', 'tty', '--ids', MACS.m15.UDID, '--target', 'latest', '--json'], env);
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
  assert.match(drawings[0]!, new RegExp(`^campaign ${id} "tty": running, wave 1 of 1, 0% done \\(0 of 1\\)\\n {2}(pending|scanning)\\s+█{30}  1\\n$`));
  assert.match(drawings.at(-1)!, new RegExp(`^campaign ${id} "tty": cancelled, 1 wave, 0% done \\(0 of 1\\)\\n {2}cancelled\\s+█{30}  1\\n$`));
});

test('show --watch follows a simulated Mac through its upgrade and exits 0 when the campaign is done', async () => {
  const mojave = loadScenario('mojave-2018');
  // The seed's Mac, enrolled through ADE this time, on battery: the download waits until it is plugged in.
  const scenario = { ...mojave, clockFactor: 100, fleet: [{ ...mojave.fleet[0]!, ade: 1, supervised: 1 }] };
  const fleet = await Fleet.start({ server: server.h.url, count: 1, scenario, wakeUrl: server.h.fake.wakeUrl, keyPoolSize: 1 });
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
