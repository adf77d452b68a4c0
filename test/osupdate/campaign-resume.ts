// Shared by the crash and multi-node campaign tests: a fleet of Macs taking a minor update through
// the legacy commands, the campaign's progress read over the API, and the check that no command was
// ever sent twice (the engine keeps at most one of its commands outstanding per device).
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeApns } from '../../src/push/fake-apns.js';
import { makeFakePushCert } from '../../src/push/selfsigned.js';
import { ScenarioSchema } from '../../src/sim/scenario.js';
import type { Fleet } from '../../src/sim/fleet.js';
import type { Store } from '../../src/storage/types.js';
import { testDatabase } from '../helpers/store.js';
import type { ServeProcess } from './serve-process.js';

export const scenario = ScenarioSchema.parse({
  name: 'campaign-resume', seed: 7, clockFactor: 300,
  fleet: [{ platform: 'macos', models: ['Mac14,2', 'MacBookAir10,1', 'Macmini9,1'], os: ['13.7.8'], supervised: 1, ade: 1, acPower: 1 }],
  quirks: { installNeedsResend: 0.5 },
  timing: { downloadSeconds: 900, installSeconds: 900 },
});

export async function fakeApns(dataDir: string) {
  const made = await makeFakePushCert({ topic: 'com.apple.mgmt.External.5e3c1a2b-5a11-4c8e-8a63-dd17d3dd35d9' });
  const fake = await FakeApns.start({ trust: [made.certPem] });
  const ca = join(dataDir, 'apns-ca.pem');
  writeFileSync(ca, fake.ca);
  return { fake, ca, pushcert: made.certPem + made.keyPem };
}

/** A test file's database and fake APNs, made before its tests; after them, the server and fleet that
 * `running` names are stopped, the fake closed and the database removed. */
export function serveRig(running: () => { server: ServeProcess | null | undefined; fleet: Fleet | null | undefined }) {
  const rig = {} as { database: Awaited<ReturnType<typeof testDatabase>>; apns: Awaited<ReturnType<typeof fakeApns>> };
  before(async () => {
    rig.database = await testDatabase();
    rig.apns = await fakeApns(rig.database.dataDir);
  });
  after(async () => {
    const { server, fleet } = running();
    await fleet?.stop();
    await server?.kill('SIGTERM');
    await rig.apns.fake.close();
    await rig.database.remove();
  });
  return rig;
}

export type Api = (method: string, path: string, body?: unknown) => Promise<Response>;

export async function devices(api: Api, id: string): Promise<Array<Record<string, unknown>>> {
  const res = await api('GET', `/v1/campaigns/${id}/devices`);
  assert.equal(res.status, 200);
  return ((await res.json()) as { devices: Array<Record<string, unknown>> }).devices;
}

export async function waitFor<T>(what: string, probe: () => Promise<T | null>, ms = 90_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => null);
    if (v !== null) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const ENGINE = new Set(['ScheduleOSUpdateScan', 'AvailableOSUpdates', 'ScheduleOSUpdate', 'OSUpdateStatus']);

/** Every engine command of a device, in order: none may be queued while another is still unanswered. */
export async function assertNoDuplicates(store: Store, ids: string[]): Promise<number> {
  let total = 0;
  for (const id of ids) {
    const q = (await store.listQueue(id, { includeDone: true, limit: 1000 })).filter((e) => ENGINE.has(e.requestType));
    q.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    total += q.length;
    for (let i = 1; i < q.length; i++) {
      const prev = q[i - 1]!;
      const answered = prev.resultAt ?? (prev.status === 'cancelled' || prev.status === 'expired' ? prev.updatedAt : null);
      assert.ok(answered !== null && answered.getTime() <= q[i]!.createdAt.getTime(),
        `${id}: ${q[i]!.requestType} queued at ${q[i]!.createdAt.toISOString()} while ${prev.requestType} (${prev.uuid}) was unanswered`);
    }
  }
  return total;
}
