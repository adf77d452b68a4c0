// What a simulated fleet is started with: the server, the scenario and its size, the clock, pushes,
// state files, concurrency, device keys and signatures, ADE, and the hooks tests and the CLI listen on.
import type { CommandResult } from './result.js';
import type { DeviceState } from './device.js';
import type { KeyType } from './client.js';
import type { Digest } from './pki.js';
import type { Scenario } from './scenario.js';

export interface FleetOptions {
  server: string;
  count: number;
  scenario: Scenario;
  /** Platform shares, e.g. {macos: 60, ios: 40}; default: the scenario's group weights. */
  mix?: Record<string, number>;
  /** Simulated seconds per real second (default: the scenario's). */
  clockFactor?: number;
  /** The simulated clock (ms) to share with a server in the same process; default: start + real time × clockFactor. */
  clock?: () => number;
  /** Real seconds between polls when no push arrives; 0: only on pushes. */
  interval?: number;
  /** The fake APNs wake channel (http://host:port); null: no pushes, polling only. */
  wakeUrl?: string | null;
  statePath?: string | null;
  /** A state file to start from instead of building devices (not written back; `statePath` is). */
  from?: string | null;
  /** false: devices the loaded state has not enrolled stay so (another process enrolled the fleet). */
  enroll?: boolean;
  /** The wake channel cursor to resume from (pushes since then are replayed), e.g. the enrolling process's. */
  wakeSince?: number;
  /** First device index (processes sharing a fleet take distinct ranges). */
  offset?: number;
  enrollConcurrency?: number;
  sessionConcurrency?: number;
  keyPoolSize?: number;
  /** Identity keys: RSA 2048 from a shared pool, as the profile asks (default), or each device's own EC P-256. */
  keyType?: KeyType;
  /** Mdm-Signature digest: SHA-256 as Apple devices sign (default), or SHA-1 as mdmb does. */
  digest?: Digest;
  profilePath?: string;
  /** Every n-th request says `Connection: close`, so the next opens a new connection (mdmb's churn); 0: keep-alive only. */
  newConnectionEvery?: number;
  /** Enroll one step at a time for the whole fleet (profile, GetCACaps, GetCACert, PKIOperation, Authenticate,
   * TokenUpdate, SetBootstrapToken, first command session, DDM sync), told before and after each step with
   * the requests sent so far: a server's CPU per step can then be measured. */
  onEnrollStep?: (step: string, done: boolean, requests: number) => void;
  /** "Apple's device CA" (PEM certificate and key): ADE devices then enroll through the server's ADE URL
   * with a signed MachineInfo; without it they take the ordinary profile (and still report ADE). */
  adeCa?: { certPem: string; keyPem: string } | null;
  /** A (fake) DEP service: ADE devices are listed in it at start, and in Setup Assistant ask it where to enroll. */
  depUrl?: string | null;
  /** Once ADE devices are listed in the DEP service and before any device enrolls: e.g. a DEP sync, so
   * the server's assigner gives them their ADE profile before they reach Setup Assistant. */
  beforeEnroll?: () => Promise<void>;
  onProgress?: (enrolled: number, total: number) => void;
  onResult?: (d: DeviceState, requestType: string, result: CommandResult) => void;
  /** A command the server handed this device (crash tests compare it with the server's records). */
  onDelivered?: (d: DeviceState, uuid: string, requestType: string) => void;
  /** The server answered 200 to this device's report of a command (the result is on record). */
  onAnswered?: (d: DeviceState, uuid: string, status: string) => void;
  onError?: (d: DeviceState, err: Error) => void;
}
