// `updraft sim` enrolls a fresh fleet in a child process, then the long-lived process loads the state
// and resumes the fake APNs wake channel at the child's cursor. No push may be lost across that
// handover: neither one a device receives while the child is still enrolling, nor one sent when the
// child has exited and the long-lived process is not listening yet. With --interval 0 a push is a
// device's only reason to poll, so a lost push is a command never answered.
//
// The gap is made deterministic by a small HTTP relay between the simulator and the server: the
// second GET /mdm/enroll is the long-lived process loading the fleet (the child has exited by then,
// its wake cursor handed over), and the relay holds it while the test queues commands and pushes.
//
// The waits are generous upper bounds: on a loaded machine a tsx process alone takes seconds to start.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { join } from 'node:path';
import { repoRoot } from '../helpers/fixtures.js';
import { startHarness, type Harness } from './harness.js';

let h: Harness;
const relays: http.Server[] = [];
const sims: ChildProcess[] = [];
before(async () => { h = await startHarness(); });
after(async () => {
  for (const s of sims) s.kill('SIGTERM');
  for (const r of relays) {
    r.closeAllConnections();
    await new Promise((done) => r.close(done));
  }
  await h.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, ms: number, probe: () => Promise<T | null | undefined | false>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(15);
  }
}

/** Forwards every request to the server once `gate` (given the request and its body) lets it through. */
async function startRelay(target: string, gate: (req: http.IncomingMessage, body: Buffer) => Promise<void> | void): Promise<string> {
  const relay = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      await gate(req, body);
      const up = http.request(target + req.url, { method: req.method, headers: { ...req.headers, host: new URL(target).host } }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', (e) => { res.writeHead(502); res.end(e.message); });
      up.end(body);
    });
  });
  relays.push(relay);
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(relay.address() as { port: number }).port}`;
}

/** `updraft sim` (through tsx, as test/sim/cli.test.ts runs it), woken only by pushes. */
function startSim(server: string, count: number, extra: string[] = []) {
  const sim = spawn(process.execPath, [
    '--import', 'tsx', join(repoRoot, 'src/cli/main.ts'), 'sim', '--server', server, '--apns-wake', h.fake.wakeUrl,
    '--count', String(count), '--interval', '0', '--duration', '60', '--key-type', 'ec', '--keys', '1', '--concurrency', '4', ...extra,
  ], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  sims.push(sim);
  const out = { stdout: '', stderr: '', exited: false };
  sim.stdout!.on('data', (d: Buffer) => (out.stdout += d));
  sim.stderr!.on('data', (d: Buffer) => (out.stderr += d));
  sim.on('exit', () => (out.exited = true));
  const alive = () => { if (out.exited) throw new Error(`updraft sim ended early: ${out.stderr}`); };
  return { out, alive };
}

interface Enrollment { id: string; udid: string | null; type: string; push_token_set: boolean }

/** The fleet's device-channel enrollments, as soon as each has a push token (earlier tests' excepted:
 * each test takes its own --offset, since a device index always makes the same device). */
const seen = new Set<string>();
async function enrolled(count: number, alive: () => void): Promise<Enrollment[]> {
  return until('the enrollments', 60_000, async () => {
    alive();
    const { enrollments } = (await (await h.api('GET', '/v1/enrollments?limit=1000')).json()) as { enrollments: Enrollment[] };
    const mine = enrollments.filter((e) => e.type !== 'User' && e.push_token_set && !seen.has(e.id));
    if (mine.length === count) for (const e of mine) seen.add(e.id);
    return mine.length === count ? mine : null;
  });
}

/** True once every enrollment has acknowledged every command. */
async function answered(uuids: string[], count: number): Promise<boolean> {
  for (const uuid of uuids) {
    const { enrollments } = (await (await h.api('GET', `/v1/commands/${uuid}/results`)).json()) as { enrollments: Array<{ status: string }> };
    if (enrollments.length !== count || !enrollments.every((e) => e.status === 'acknowledged')) return false;
  }
  return true;
}


test('pushes sent while the enrolling process ends and before the long-lived one listens are replayed', async () => {
  // The second GET /mdm/enroll is the long-lived process loading the fleet: the child has exited.
  let profiles = 0;
  let onHeld!: () => void;
  let release!: () => void;
  const held = new Promise<void>((r) => (onHeld = r));
  const released = new Promise<void>((r) => (release = r));
  const url = await startRelay(h.url, async (req) => {
    if (req.method === 'GET' && req.url?.startsWith('/mdm/enroll') && ++profiles === 2) {
      onHeld();
      await released;
    }
  });
  const count = 3;
  const { out, alive } = startSim(url, count);
  const devices = (await enrolled(count, alive)).map((e) => e.id);

  // From the moment the devices exist on the server until the child has handed over: a new command
  // (and push) every few milliseconds.
  const uuids: string[] = [];
  let handedOver = false;
  void held.then(() => (handedOver = true));
  while (!handedOver) {
    alive();
    uuids.push(await h.enqueue(devices, { request_type: 'ProfileList' }));
    await Promise.race([sleep(25), held]);
  }
  const beforeGap = uuids.length;

  // In the gap nobody listens on the wake channel: the pushes reach the fake APNs and wait there.
  const pushesBefore = h.fake.pushes().length;
  for (let i = 0; i < 2; i++) uuids.push(await h.enqueue(devices, { request_type: 'ProfileList' }));
  await until('the gap pushes at the fake APNs', 30_000, async () => h.fake.pushes().length >= pushesBefore + 2 * count);
  assert.equal(out.stdout, '', 'the long-lived process has not taken over yet');
  release();

  await until('every device answering every command', 60_000, async () => { alive(); return answered(uuids, count); });
  assert.ok(beforeGap >= 1, 'at least one command was queued while the enrolling process ran');
  await until('the long-lived process reporting', 30_000, async () => /3 devices enrolled in/.test(out.stdout));
  const { enrollments } = (await (await h.api('GET', `/v1/commands/${uuids.at(-1)!}/results`)).json()) as { enrollments: Array<{ enrollment_id: string; result: Record<string, unknown> | null }> };
  assert.deepEqual(enrollments.map((e) => e.enrollment_id).sort(), [...devices].sort());
  for (const e of enrollments) assert.ok(e.result && typeof e.result === 'object', 'the ProfileList result is kept and parsed');
});

test('a push the enrolling process took off the channel is answered before it hands over', async () => {
  // Device X has enrolled (its first Idle went through); device Y's first Idle is held, so the child
  // is still enrolling. A command for X is pushed; the child wakes X, whose Idle is held too. Then Y
  // is let go: the child finishes enrolling and hands over, its cursor past X's push, so only the
  // child can answer it. X's Idle is let through once the long-lived process asks for the profile
  // (the child is gone by then) or after a second, whichever comes first.
  const udidOf = (body: Buffer) => /<key>(?:UDID|EnrollmentID)<\/key>\s*<string>([^<]+)<\/string>/.exec(body.toString('utf8'))?.[1] ?? null;
  const firstIdle = new Set<string>();
  let x: string | null = null;
  let xHeld!: () => void;
  let yHeld!: () => void;
  let releaseX!: () => void;
  let releaseY!: () => void;
  const xWaiting = new Promise<void>((r) => (xHeld = r));
  const yWaiting = new Promise<void>((r) => (yHeld = r));
  const xGo = new Promise<void>((r) => (releaseX = r));
  const yGo = new Promise<void>((r) => (releaseY = r));
  let profiles = 0;
  const url = await startRelay(h.url, async (req, body) => {
    if (req.method === 'GET' && req.url?.startsWith('/mdm/enroll') && ++profiles === 2) releaseX();
    if (req.method !== 'PUT' || !body.includes('<string>Idle</string>')) return;
    const id = udidOf(body);
    if (!id) return;
    if (!firstIdle.has(id)) {
      firstIdle.add(id);
      if (firstIdle.size === 1) x = id;
      else { yHeld(); await yGo; }
    } else if (id === x) {
      xHeld();
      await xGo;
    }
  });
  const { out, alive } = startSim(url, 2, ['--mix', 'ios:100', '--offset', '100']);
  const devices = await enrolled(2, alive);
  await until('Y enrolled and its first Idle held', 60_000, async () => { alive(); return Promise.race([yWaiting.then(() => true), sleep(0).then(() => false)]); });
  const dx = devices.find((e) => e.id === x || e.udid === x);
  assert.ok(dx, 'device X is one of the enrollments');
  const uuid = await h.enqueue([dx.id], { request_type: 'ProfileList' });
  await xWaiting; // the child took the push and X's session is under way
  releaseY();
  setTimeout(releaseX, 1000).unref();

  await until('X answering the command pushed during enrollment', 60_000, async () => { alive(); return answered([uuid], 1); });
  await until('the long-lived process reporting', 30_000, async () => /2 devices enrolled in/.test(out.stdout));
});
