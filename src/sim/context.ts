// What device behaviour needs from the fleet around it: the scenario, the simulated clock, a
// per-device random stream, the shared timer wheel, and the restart hook.
import type { DeviceState } from './device.js';
import type { Rng } from './random.js';
import type { Scenario } from './scenario.js';

export interface SimContext {
  scenario: Scenario;
  /** Simulated time, ms since the epoch. */
  now(): number;
  rngFor(d: DeviceState): Rng;
  /** Calls the device's update/DDM step at this simulated time. */
  schedule(d: DeviceState, atSimMs: number): void;
  /** The device reboots (new OS installed): it checks in again once back. */
  restart(d: DeviceState): void;
  /** The device stops answering (installing an OS) until a restart brings it back. */
  offline(d: DeviceState): void;
  /** A DDM software update enforcement is active on the device. */
  ddmEnforcing(d: DeviceState): boolean;
}
