// Enrollment one step at a time for a whole fleet, so a server's CPU per step can be attributed
// (`updraft sim --bench --server-pid`): every device downloads its profile, then every device asks
// GetCACaps, then GetCACert, PKIOperation, Authenticate, TokenUpdate, SetBootstrapToken, its first
// command session (the commands the server queued at enrollment), and last the DDM sync a
// DeclarativeManagement command started. A device whose step fails leaves the later steps.
import type { Client } from './client.js';
import type { DeviceState } from './device.js';
import type { Http } from './http.js';
import { fetchProfile, type Enrollment } from './profile.js';
import { getCaCaps, getCaCert } from './scep.js';

export interface StepwiseHost {
  client: Client;
  http: Http;
  server: string;
  profilePath?: string;
  concurrency: number;
  /** Marks the device enrolled and runs its first command session (DDM syncs it starts wait in `ddmPending`). */
  firstSession(d: DeviceState): Promise<void>;
  /** Devices whose first session started a DDM sync, and how to run one. */
  ddmPending: Set<DeviceState>;
  ddmSync(d: DeviceState): Promise<void>;
  failed(d: DeviceState, err: Error): void;
  /** Called before (done false) and after (done true) each step, with the requests sent so far. */
  onStep(step: string, done: boolean, requests: number): void;
  stopped(): boolean;
}

export async function enrollByStep(host: StepwiseHost, devices: DeviceState[]): Promise<void> {
  const { client, http } = host;
  const profiles = new Map<DeviceState, Enrollment>();
  const caCerts = new Map<DeviceState, Buffer>();
  const needsScep = (d: DeviceState) => !d.certDer;
  const steps: Array<[string, (d: DeviceState) => Promise<unknown> | undefined]> = [
    // The fleet read the profile once already; each device downloads it as a user opening the enrollment URL does.
    ['profile', async (d) => profiles.set(d, d.ade && client.ade ? await client.profile(d) : (await fetchProfile(http, host.server, host.profilePath), client.enrollment))],
    ['SCEP GetCACaps', (d) => (needsScep(d) ? getCaCaps(http, profiles.get(d)!.scepUrl) : undefined)],
    ['SCEP GetCACert', async (d) => { if (needsScep(d)) caCerts.set(d, await getCaCert(http, profiles.get(d)!.scepUrl)); }],
    ['SCEP PKIOperation', (d) => (needsScep(d) ? client.scep(d, profiles.get(d)!, caCerts.get(d)) : undefined)],
    ['Authenticate', (d) => client.authenticate(d)],
    ['TokenUpdate', (d) => client.tokenUpdates(d)],
    ['SetBootstrapToken', (d) => client.bootstrapToken(d)],
    ['first command session', (d) => host.firstSession(d)],
    ['DeclarativeManagement sync', (d) => (host.ddmPending.delete(d) ? host.ddmSync(d) : undefined)],
  ];
  let left = devices.filter((d) => !d.enrolled);
  for (const [name, step] of steps) {
    const failed = new Set<DeviceState>();
    let next = 0;
    host.onStep(name, false, http.requests);
    const worker = async () => {
      while (next < left.length && !host.stopped()) {
        const d = left[next++];
        try {
          await step(d);
        } catch (err) {
          failed.add(d);
          host.failed(d, err as Error);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(host.concurrency, left.length) }, worker));
    host.onStep(name, true, http.requests);
    left = left.filter((d) => !failed.has(d));
  }
}
