// The campaign bench's simulated fleet, in a process of its own (as real devices are not the server's
// process): the bench forks it, sends it the shared simulated clock every 20 ms, and asks it for its
// devices. The server's CPU is then the bench process's own, and the simulator has a core of its own.
import 'reflect-metadata';
import { Fleet } from '../src/sim/fleet.js';
import { loadScenario } from '../src/sim/scenario.js';

export interface FleetStart {
  type: 'start';
  server: string;
  count: number;
  scenario: string;
  start: string;
  factor: number;
  wakeUrl: string;
  clock: number;
}

export type ToFleet = FleetStart | { type: 'clock'; t: number } | { type: 'dump' } | { type: 'stop' };

export interface SimDevice {
  id: string;
  enrolled: boolean;
  platform: string;
  sim: Record<string, unknown>;
}

export type FromFleet =
  | { type: 'started'; devices: SimDevice[] }
  | { type: 'dump'; devices: SimDevice[]; cpuMs: number }
  | { type: 'stopped' }
  | { type: 'error'; message: string };

// The clock: the bench's latest reading, advanced by real time since (at most 40 ms, as the bench credits it).
let base = 0;
let at = performance.now();
let factor = 1;
const CREDIT = 40;
const now = () => base + Math.min(performance.now() - at, CREDIT) * factor;
let fleet: Fleet | null = null;
const send = (m: FromFleet) => process.send!(m);

function devices(): SimDevice[] {
  return (fleet?.devices ?? []).map((d) => ({
    id: d.enrollmentId ?? d.udid, enrolled: d.enrolled, platform: d.platform,
    sim: {
      platform: d.platform, product: d.product, osVersion: d.osVersion, supervised: d.supervised, ade: d.ade, acPower: d.acPower, locked: d.locked,
      userEnrollment: d.userEnrollment, utcOffsetHours: d.utcOffsetHours, freeBytes: d.freeBytes, update: d.update,
      ddm: { installState: d.ddm.installState, pending: d.ddm.pending, failure: d.ddm.failure },
    },
  }));
}

process.on('message', async (m: ToFleet) => {
  try {
    if (m.type === 'clock') {
      base = m.t;
      at = performance.now();
    } else if (m.type === 'start') {
      base = m.clock;
      at = performance.now();
      factor = m.factor;
      const scenario = { ...loadScenario(m.scenario), start: m.start, clockFactor: m.factor };
      fleet = await Fleet.start({ server: m.server, count: m.count, scenario, clockFactor: m.factor, clock: now, wakeUrl: m.wakeUrl, keyPoolSize: 16, interval: 0 });
      send({ type: 'started', devices: devices() });
    } else if (m.type === 'dump') {
      const cpu = process.cpuUsage();
      send({ type: 'dump', devices: devices(), cpuMs: (cpu.user + cpu.system) / 1000 });
    } else if (m.type === 'stop') {
      await fleet?.stop();
      send({ type: 'stopped' });
      process.disconnect();
    }
  } catch (err) {
    send({ type: 'error', message: err instanceof Error ? err.stack ?? err.message : String(err) });
  }
});
