// `updraft sim` through the real command: --bench against a running server prints its figures as
// JSON; bad flags give a clear message and exit code 1.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../helpers/fixtures.js';
import { startHarness, type Harness } from './harness.js';

let h: Harness;
before(async () => { h = await startHarness(); });
after(() => h.close());

const updraft = (args: string[], env: NodeJS.ProcessEnv = process.env) =>
  promisify(execFile)(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli/main.ts'), 'sim', ...args], { cwd: repoRoot, env });

test('--bench enrolls the devices and reports rates, latencies and errors', async () => {
  const { stdout, stderr } = await updraft(['--server', h.url, '--count', '4', '--bench', '--duration', '1', '--key-type', 'ec', '--keys', '1', '--mix', 'macos:50,ios:50', '--server-pid', String(process.pid)]);
  const figures = JSON.parse(stdout) as Record<string, number> & { idleFleet: Record<string, number> };
  assert.equal(figures.enrolled, 4);
  assert.equal(figures.errors, 0);
  assert.ok(figures.roundTrips > 0 && figures.roundTripsPerSecond > 0 && figures.p99ms >= figures.p50ms);
  assert.ok(figures.enrollPerSecond > 0 && figures.simulatorRssMb > 0 && figures.simCpuMsPerRoundTrip > 0);
  // the idle fleet's memory, measured after enrollment and before the load; the server's with --server-pid
  assert.ok(figures.idleFleet.simRssMb > 0 && figures.idleFleet.simHeapMb > 0);
  assert.ok(figures.idleFleet.serverRssMb > 0 && figures.serverRssMb > 0, 'the server is this test process');
  assert.match(stderr, /idle fleet of 4 devices/);
  // keep-alive by default: the load's sessions (4 at once) reuse the connections they opened
  assert.equal(figures.newConnectionEvery, 0);
  assert.ok(figures.connectionsOpened <= 4, `${figures.connectionsOpened} connections for the load`);
});

test('--new-connection-every churns connections; --server-pid gives server CPU per enrollment step and for the cold and warm load', async () => {
  let accepted = 0;
  const count = () => { accepted++; };
  h.server.app.server.on('connection', count);
  try {
    const { stdout } = await updraft(['--server', h.url, '--count', '3', '--bench', '--duration', '1', '--key-type', 'rsa', '--keys', '1', '--digest', 'sha1', '--concurrency', '2', '--new-connection-every', '2', '--server-pid', String(process.pid)]);
    type Cpu = { requests: number; serverCpuMs: number; serverCpuMsPerRequest: number | null };
    const f = JSON.parse(stdout) as Record<string, number> & { serverCpuByEnrollmentStep: Array<Cpu & { step: string }>; serverCpuCold: Cpu & { checkins: number }; serverCpuWarm: Cpu };
    assert.equal(f.enrolled, 3);
    assert.equal(f.errors, 0);
    // every second request closes its connection: the load opened about half as many connections as it sent requests, and the server saw them
    assert.equal(f.newConnectionEvery, 2);
    assert.ok(f.connectionsOpened >= f.roundTrips / 2 - 2, `${f.connectionsOpened} connections for ${f.roundTrips} requests`);
    assert.ok(accepted >= f.connectionsOpened, `the server accepted ${accepted}`);
    const steps = f.serverCpuByEnrollmentStep;
    assert.deepEqual(steps.map((s) => s.step), ['profile', 'SCEP GetCACaps', 'SCEP GetCACert', 'SCEP PKIOperation', 'Authenticate', 'TokenUpdate', 'SetBootstrapToken', 'first command session', 'DeclarativeManagement sync']);
    for (const s of steps.slice(0, 5)) assert.equal(s.requests, 3, `${s.step}: one request per device`);
    for (const s of steps) {
      assert.ok(s.serverCpuMs >= 0);
      assert.equal(s.serverCpuMsPerRequest === null, s.requests === 0, s.step);
    }
    assert.ok(steps.reduce((n, s) => n + s.serverCpuMs, 0) > 0, 'enrollment costs the server CPU');
    assert.equal(f.serverCpuCold.checkins, 3, 'cold: the first check-ins, one per device of a fleet under 250');
    assert.ok(f.serverCpuCold.requests >= 3 && f.serverCpuWarm.requests > 0);
    assert.ok(f.serverCpuCold.requests + f.serverCpuWarm.requests >= f.roundTrips);
    assert.ok(f.serverCpuMsPerRoundTrip >= 0);
  } finally {
    h.server.app.server.off('connection', count);
  }
});

test('a fresh fleet enrolls in a child process: the state file it wrote is kept with --state, a temporary one is removed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'updraft-sim-cli-'));
  const state = join(dir, 'fleet.json');
  const args = ['--server', h.url, '--count', '3', '--bench', '--duration', '0.5', '--key-type', 'ec', '--keys', '1'];
  const first = await updraft([...args, '--state', state]);
  assert.equal((JSON.parse(first.stdout) as { enrolled: number }).enrolled, 3);
  assert.match(first.stderr, /\[#+\] 3\/3 enrolled/, 'the progress bar, fed by the enrolling process');
  const saved = JSON.parse(readFileSync(state, 'utf8')) as { devices: Array<{ enrolled: boolean; certDer: string }> };
  assert.deepEqual(saved.devices.map((d) => d.enrolled), [true, true, true]);
  const again = JSON.parse((await updraft([...args, '--state', state])).stdout) as { enrolled: number; enrollFailed: number };
  assert.deepEqual([again.enrolled, again.enrollFailed], [3, 0], 'loaded, nobody enrolls twice');
  const certs = (JSON.parse(readFileSync(state, 'utf8')) as typeof saved).devices.map((d) => d.certDer);
  assert.deepEqual(certs, saved.devices.map((d) => d.certDer));
  const tmp = mkdtempSync(join(tmpdir(), 'updraft-sim-tmp-'));
  const noState = await updraft(args, { ...process.env, TMPDIR: tmp });
  assert.equal((JSON.parse(noState.stdout) as { enrolled: number }).enrolled, 3);
  assert.deepEqual(readdirSync(tmp).filter((f) => f.startsWith('updraft-sim-')), [], 'the temporary state file is gone (tsx keeps its cache there too)');
});

test('an unreachable server: the reason the enrolling process met, exit code 1', async () => {
  await assert.rejects(updraft(['--server', 'http://127.0.0.1:9', '--count', '2', '--bench']), (err: { code: number; stderr: string }) => {
    assert.equal(err.code, 1);
    assert.match(err.stderr, /updraft sim: .*(ECONNREFUSED|connect)/);
    return true;
  });
});

test('bad flags are refused with the reason', async () => {
  for (const [args, reason] of [
    [['--mix', 'windows:10'], /--mix: expected platform:percent/],
    [['--scenario', 'no-such'], /no scenario "no-such"/],
    [['--key-type', 'dsa'], /--key-type must be rsa or ec/],
    [['--server-pid', 'x'], /--server-pid must be a number/],
    [['--new-connection-every', '-1'], /--new-connection-every must be a number/],
    [['--server-db', 'updraft'], /--server-db goes with --server-pid/],
  ] as const) {
    await assert.rejects(updraft(['--server', h.url, ...args]), (err: { code: number; stderr: string }) => {
      assert.equal(err.code, 1);
      assert.match(err.stderr, reason);
      return true;
    });
  }
});

test('help stays complete with lazily loaded commands: every command listed, sim with all its options', async () => {
  const run = (args: string[]) => promisify(execFile)(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli/main.ts'), ...args], { cwd: repoRoot });
  const top = (await run(['--help'])).stdout;
  for (const c of ['serve', 'certs', 'devices', 'enqueue', 'push', 'queue', 'results', 'pushcert', 'fake-apns', 'profile', 'challenge', 'ddm', 'sim']) {
    assert.match(top, new RegExp(`^  ${c}\\b`, 'm'), `updraft --help lists ${c}`);
  }
  const sim = (await updraft(['--help'])).stdout;
  for (const o of ['--count', '--mix', '--scenario', '--state', '--offset', '--concurrency', '--keys', '--key-type', '--bench', '--server-pid', '--new-connection-every', '--server-db']) assert.ok(sim.includes(o), `sim --help lists ${o}`);
});
