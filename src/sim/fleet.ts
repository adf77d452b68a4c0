// A simulated fleet in one process: builds devices from a scenario, enrolls them through the real
// profile and SCEP (many at once), wakes them on pushes from the fake APNs wake channel, polls at an
// interval, runs their OS update and DDM clocks on one timer wheel, and saves them to a state file.
import { existsSync } from 'node:fs';
import type { FleetOptions } from './fleet-options.js';
import type { PlistDict } from '../plist/index.js';
import { channels, Client, type Channel, type KeyPools } from './client.js';
import { handle, type AfterEffect } from './commands.js';
import type { SimContext } from './context.js';
import * as ddm from './ddm.js';
import { emptyDdm, erase, Interner, newDevice, type DeviceState } from './device.js';
import { Http } from './http.js';
import * as legacy from './osupdate.js';
import { Limit } from './limit.js';
import { KeyPool } from './pki.js';
import { fetchProfile, type Enrollment } from './profile.js';
import { adeCa, registerWithDep } from './ade.js';
import { enrollByStep } from './enroll-steps.js';
import { deviceSeed, Rng } from './random.js';
import type { Scenario } from './scenario.js';
import { readState, writeState } from './state.js';
import { Stats } from './stats.js';
import { Wheel, type EventKind } from './wheel.js';
import { WakeListener } from './wake.js';

export type { FleetOptions } from './fleet-options.js';

const BOOT_SECONDS = 60;
const SHUTDOWN_SECONDS = 300;

export class Fleet implements SimContext {
  readonly stats = new Stats();
  readonly devices: DeviceState[] = [];
  readonly scenario: Scenario;
  private readonly http: Http;
  private keys: KeyPools;
  private client!: Client;
  private enrollment!: Enrollment;
  private readonly wheel: Wheel;
  private readonly factor: number;
  private simStart: number;
  private readonly realStart = performance.now();
  private readonly rngs = new Map<number, Rng>();
  /** Push token → device position × 2 + channel (a number, no object per channel). */
  private readonly byToken = new Map<string, number>();
  private readonly interner = new Interner();
  private readonly busy = new Set<string>();
  private readonly again = new Set<string>();
  private readonly down = new Set<number>();
  /** While enrolling step by step: devices whose DDM sync waits for its own step. */
  private ddmPending: Set<DeviceState> | null = null;
  private readonly sessions: Limit;
  private wake: WakeListener | null = null;
  private saver: NodeJS.Timeout | null = null;
  private stopped = false;

  private constructor(private readonly opts: FleetOptions) {
    this.scenario = opts.scenario;
    this.http = new Http({ maxSockets: 256, newConnectionEvery: opts.newConnectionEvery });
    this.factor = opts.clockFactor ?? opts.scenario.clockFactor;
    this.simStart = opts.scenario.start ? Date.parse(opts.scenario.start) : Date.now();
    const size = opts.keyPoolSize ?? 16;
    this.keys = { rsa: new KeyPool('rsa', size), ec: new KeyPool('ec', size) };
    this.sessions = new Limit(opts.sessionConcurrency ?? 256);
    this.wheel = new Wheel(() => this.now(), this.factor, (i, k) => this.fire(i, k));
  }

  static async start(opts: FleetOptions): Promise<Fleet> {
    const fleet = new Fleet(opts);
    await fleet.boot();
    return fleet;
  }

  now(): number {
    if (this.opts.clock) return this.opts.clock();
    return this.simStart + (performance.now() - this.realStart) * this.factor;
  }

  rngFor(d: DeviceState): Rng {
    let r = this.rngs.get(d.index);
    if (!r) this.rngs.set(d.index, (r = new Rng(deviceSeed(this.scenario.seed ^ 0x5eed, d.index))));
    return r;
  }

  schedule(d: DeviceState, at: number): void {
    this.wheel.add(at, d.index, 'step');
  }

  restart(d: DeviceState): void {
    this.down.add(d.index);
    this.wheel.add(this.now() + BOOT_SECONDS * 1000, d.index, 'boot');
  }

  offline(d: DeviceState): void {
    this.down.add(d.index);
  }

  ddmEnforcing(d: DeviceState): boolean {
    return ddm.enforcing(d);
  }

  private byIndex(i: number): DeviceState {
    return this.devices[i - (this.opts.offset ?? 0)];
  }

  /** A device by UDID, EnrollmentID or serial number. */
  device(id: string): DeviceState {
    const d = this.devices.find((x) => x.udid === id || x.enrollmentId === id || x.serial === id);
    if (!d) throw new Error(`no simulated device ${id}`);
    return d;
  }

  private build(): void {
    const { scenario, count, mix } = this.opts;
    const offset = this.opts.offset ?? 0;
    const groups = scenario.fleet;
    // "ios" in --mix covers iPads too unless "ipados" has its own share.
    const key = (p: string) => (p === 'ipados' && mix && mix.ipados === undefined ? 'ios' : p);
    const weights = groups.map((g) => {
      if (!mix) return g.weight;
      const share = mix[key(g.platform)] ?? 0;
      const inPlatform = groups.filter((x) => key(x.platform) === key(g.platform)).reduce((s, x) => s + x.weight, 0);
      return (share * g.weight) / inPlatform;
    });
    const total = weights.reduce((a, b) => a + b, 0);
    if (!(total > 0)) throw new Error('--mix leaves no device group: the scenario has none of those platforms');
    const now = this.now();
    for (let i = 0; i < count; i++) {
      const index = offset + i;
      const rng = new Rng(deviceSeed(scenario.seed, index));
      let pick = rng.next() * total;
      let g = 0;
      while (g < groups.length - 1 && (pick -= weights[g]) >= 0) g++;
      this.devices.push(newDevice(index, groups[g], rng, now));
    }
  }

  private load(path: string): boolean {
    if (!existsSync(path)) return false;
    const saved = readState(path, (d) => {
      d.ddm ??= emptyDdm();
      this.interner.compactDdm(d);
      this.devices.push(d);
    });
    const size = (saved: unknown[]) => Math.max(this.opts.keyPoolSize ?? 16, saved.length);
    this.keys = { rsa: new KeyPool('rsa', size(saved.keys.rsa), saved.keys.rsa), ec: new KeyPool('ec', size(saved.keys.ec), saved.keys.ec) };
    this.simStart += saved.simNow - this.simStart;
    return true;
  }

  async save(): Promise<void> {
    const path = this.opts.statePath;
    if (!path) return;
    writeState(path, { version: 1, scenario: this.scenario.name, simNow: this.now(), keys: { rsa: await this.keys.rsa.export(), ec: await this.keys.ec.export() } }, this.devices);
  }

  private async boot(): Promise<void> {
    const from = this.opts.from ?? this.opts.statePath;
    if (!from || !this.load(from)) this.build();
    this.enrollment = await fetchProfile(this.http, this.opts.server, this.opts.profilePath);
    const ade = this.opts.adeCa ? { server: this.opts.server, ca: adeCa(this.opts.adeCa.certPem, this.opts.adeCa.keyPem), depUrl: this.opts.depUrl ?? null } : null;
    this.client = new Client(this.http, this.enrollment, this.keys, this.stats, () => this.now(), this.opts.keyType, ade, this.opts.digest);
    this.devices.forEach((d, i) => this.index(d, i));
    if (this.opts.depUrl && this.opts.enroll !== false) await registerWithDep(this.http, this.opts.depUrl, this.devices.filter((d) => d.ade));
    if (this.opts.wakeUrl) {
      this.wake = new WakeListener(this.http, this.opts.wakeUrl, (token) => this.woken(token));
      await this.wake.start(this.opts.wakeSince);
    }
    if (this.opts.enroll === false) this.stats.enrolled = this.devices.filter((d) => d.enrolled).length;
    else {
      await this.opts.beforeEnroll?.();
      await this.enrollAll();
    }
    const now = this.now();
    const { plugInAfterSeconds } = this.scenario.power;
    const { unlockAfterSeconds } = this.scenario.lock;
    for (const d of this.devices) {
      if (!d.acPower && plugInAfterSeconds !== null) this.wheel.add(now + plugInAfterSeconds * 1000, d.index, 'power');
      if (d.locked && unlockAfterSeconds !== null) this.wheel.add(now + unlockAfterSeconds * 1000, d.index, 'unlock');
      if (d.update) legacy.settle(d, this);
      this.nextPoll(d, true);
    }
    if (this.opts.statePath) {
      this.saver = setInterval(() => void this.save(), 30_000);
      this.saver.unref();
    }
  }

  /** Where this process's wake listener is in the wake channel (null: no listener). */
  wakeCursor(): number | null {
    return this.wake?.cursor ?? null;
  }

  /** Hands the wake channel over to another process: stops listening, lets the sessions that pushes
   * already taken off the channel started run to their end (those pushes are not replayed), and
   * returns the cursor the other process resumes from. */
  async handOver(): Promise<number | null> {
    this.wake?.stop();
    const cursor = this.wakeCursor();
    const deadline = performance.now() + 30_000;
    while (this.busy.size && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    return cursor;
  }

  private index(d: DeviceState, position: number): void {
    this.byToken.set(d.token, position * 2);
    if (d.user && channels(d, this.enrollment).length > 1) this.byToken.set(d.user.token, position * 2 + 1);
  }

  /** Requests sent and connections opened so far. */
  get traffic(): { requests: number; connections: number } {
    return { requests: this.http.requests, connections: this.http.connections };
  }

  /** A bounded queue: `enrollConcurrency` workers take the next unenrolled device, so 10,000
   * devices cost no promise or closure each, and enrollments still run many at once. With
   * `onEnrollStep`, the fleet goes through enrollment one step at a time instead (enroll-steps.ts). */
  private async enrollAll(): Promise<void> {
    let next = 0;
    this.stats.enrolled = this.devices.filter((d) => d.enrolled).length;
    this.opts.onProgress?.(this.stats.enrolled, this.devices.length);
    if (this.opts.onEnrollStep) return this.enrollStepwise(this.opts.onEnrollStep);
    const worker = async () => {
      while (next < this.devices.length && !this.stopped) {
        const d = this.devices[next++];
        if (d.enrolled) continue;
        try {
          await this.client.enroll(d);
          this.stats.enrolled++;
          await this.poll(d);
        } catch (err) {
          this.stats.enrollFailed++;
          this.stats.error(err);
          this.opts.onError?.(d, err as Error);
        }
        this.opts.onProgress?.(this.stats.enrolled, this.devices.length);
      }
    };
    const workers = Math.min(this.opts.enrollConcurrency ?? 64, this.devices.length);
    await Promise.all(Array.from({ length: workers }, worker));
  }

  private async enrollStepwise(onStep: NonNullable<FleetOptions['onEnrollStep']>): Promise<void> {
    this.ddmPending = new Set();
    const failed = (d: DeviceState, err: Error) => (this.stats.enrollFailed++, this.fail(d, err));
    await enrollByStep({
      client: this.client, http: this.http, server: this.opts.server, profilePath: this.opts.profilePath,
      concurrency: this.opts.enrollConcurrency ?? 64, ddmPending: this.ddmPending, failed, onStep, stopped: () => this.stopped,
      firstSession: (d) => {
        d.enrolled = true;
        this.stats.enrolled++;
        this.opts.onProgress?.(this.stats.enrolled, this.devices.length);
        return this.poll(d);
      },
      ddmSync: (d) => this.ddmSync(d),
    }, this.devices);
    this.ddmPending = null;
  }

  private ddmSync(d: DeviceState): Promise<void> {
    return ddm.sync(d, this, this.client).then(() => this.interner.compactDdm(d), (e: Error) => this.fail(d, e));
  }

  private nextPoll(d: DeviceState, first = false): void {
    const interval = this.opts.interval ?? 0;
    if (!interval) return;
    const realMs = interval * 1000 * (first ? this.rngFor(d).next() : 1);
    this.wheel.add(this.now() + realMs * this.factor, d.index, 'poll');
  }

  private woken(token: string): void {
    const hit = this.byToken.get(token);
    if (hit !== undefined) void this.poll(this.devices[hit >> 1], hit & 1);
  }

  private fire(index: number, kind: EventKind): void {
    const d = this.byIndex(index);
    if (!d || this.stopped) return;
    switch (kind) {
      case 'step':
        legacy.advance(d, this);
        ddm.advance(d, this, this.client);
        return;
      case 'poll':
        void this.poll(d).finally(() => this.nextPoll(d));
        return;
      case 'boot':
        this.down.delete(d.index);
        d.bootedAt = this.now();
        void this.poll(d).then(() => ddm.report(d, this, this.client, false)).then(() => this.interner.compactDdm(d), (e: Error) => this.fail(d, e));
        return;
      case 'unlock':
        this.unlock(d);
        return;
      case 'power':
        this.setPower(d, true);
    }
  }

  private fail(d: DeviceState, err: Error): void {
    this.stats.error(err);
    this.opts.onError?.(d, err);
  }

  /** Runs a command session on one channel now (a push or poll); a second call while one runs queues one more. */
  async poll(d: DeviceState, channel = 0): Promise<void> {
    if (!d.enrolled || this.down.has(d.index) || this.stopped) return;
    const key = `${d.index}:${channel}`;
    if (this.busy.has(key)) {
      this.again.add(key);
      return;
    }
    this.busy.add(key);
    try {
      do {
        this.again.delete(key);
        await this.sessions.run(() => this.session(d, channels(d, this.enrollment)[channel] ?? channels(d, this.enrollment)[0]));
      } while (this.again.has(key) && !this.stopped);
    } catch (err) {
      this.fail(d, err as Error);
    } finally {
      this.busy.delete(key);
    }
  }

  private async session(d: DeviceState, ch: Channel): Promise<void> {
    let cmd = await this.client.report(d, ch, 'Idle');
    const notNow = new Set<string>();
    while (cmd && !this.stopped) {
      const uuid = String(cmd.CommandUUID);
      const command = (cmd.Command ?? {}) as PlistDict;
      const rt = String(command.RequestType ?? '');
      this.opts.onDelivered?.(d, uuid, rt);
      if (notNow.has(uuid)) break; // the server sent a NotNow'd command again: end the session
      const { result, after } = handle(d, command, this);
      if (result.status === 'NotNow') notNow.add(uuid);
      this.stats.commands++;
      this.opts.onResult?.(d, rt, result);
      cmd = await this.client.report(d, ch, result.status, { CommandUUID: uuid, RequestType: rt, ...result.body });
      this.opts.onAnswered?.(d, uuid, result.status);
      if (this.down.has(d.index)) return; // went down (an install began): the next command waits for the boot
      if (after) {
        this.afterEffect(d, after);
        if (after !== 'ddm-sync') return;
      }
    }
  }

  private afterEffect(d: DeviceState, after: NonNullable<AfterEffect>): void {
    const now = this.now();
    if (after === 'ddm-sync') {
      if (this.ddmPending) this.ddmPending.add(d);
      else void this.ddmSync(d);
    } else if (after === 'restart') {
      this.restart(d);
    } else if (after === 'shutdown') {
      this.down.add(d.index);
      this.wheel.add(now + SHUTDOWN_SECONDS * 1000, d.index, 'boot');
    } else {
      this.down.add(d.index); // erased: gone until re-provisioned (an ADE device enrolls again)
      erase(d);
      if (d.ade) setTimeout(() => void this.reenroll(d), (BOOT_SECONDS * 1000) / this.factor).unref();
    }
  }

  /** Enrolls the device again (after an erase, or with changed flags: e.g. now through ADE). */
  async reenroll(d: DeviceState, flags: Partial<Pick<DeviceState, 'ade' | 'supervised' | 'userApproved'>> = {}): Promise<void> {
    if (flags.ade && !d.ade && this.opts.depUrl) await registerWithDep(this.http, this.opts.depUrl, [d]);
    Object.assign(d, flags);
    this.down.delete(d.index);
    await this.client.enroll(d);
    await this.poll(d);
  }

  setPower(d: DeviceState, on: boolean): void {
    legacy.setPower(d, on, this);
    ddm.advance(d, this, this.client);
  }

  /** The user unlocks the device: it polls on its own, as real devices do after NotNow. */
  unlock(d: DeviceState): void {
    d.locked = false;
    void this.poll(d);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wheel.stop();
    if (this.saver) clearInterval(this.saver);
    this.wake?.stop();
    // The requests in flight finish first (a DDM sync, a status report): the state saved is the state they leave.
    await this.http.settled(30_000);
    await this.save();
    this.http.close();
  }
}
