// Posture in the composed server (src/server.ts), on both backends: catalogs imported over the API,
// a Mac enrolls and answers the DeviceInformation and SecurityInfo the server asks for by itself, and
// its posture is stored (the inventory observer writes through the posture hook) and summarized.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../../src/server.js';
import type { PlistDict } from '../../src/plist/index.js';
import { commandOf, TestDevice } from '../helpers/device.js';
import { testDatabase } from '../helpers/store.js';
import { testConfig } from '../helpers/server.js';
import { snapshot, SNAPSHOTS } from './sucatalog.js';

const NOW = new Date('2026-08-22T12:00:00Z');

test('the server keeps a posture for a device that reports, and summarizes it', async () => {
  const db = await testDatabase();
  const running = await startServer(testConfig({ db: db.db, dataDir: db.dataDir }), { clock: () => NOW });
  try {
    const auth = { authorization: `Bearer ${running.deps.config.apiKey}` };
    for (const kind of ['gdmf', 'sofa-macos', 'sofa-ios'] as const) {
      const res = await fetch(`${running.url}/v1/catalogs/${kind}`, { method: 'PUT', headers: auth, body: snapshot(SNAPSHOTS[kind]) });
      assert.equal(res.status, 200, await res.text());
    }
    const udid = 'POSTURE-SERVER-MAC';
    const d = new TestDevice(running.url, { ids: { UDID: udid } });
    assert.equal((await d.authenticate({ OSVersion: '15.7.7', BuildVersion: '24G720', Model: 'MacBookPro15,2', ProductName: 'MacBookPro15,2' })).status, 200);
    assert.equal((await d.tokenUpdate()).status, 200);
    const answers: Record<string, PlistDict> = {
      DeviceInformation: {
        QueryResponses: {
          OSVersion: '15.7.7', BuildVersion: '24G720', ProductName: 'MacBookPro15,2', Model: 'MacBookPro15,2', SoftwareUpdateDeviceID: 'J132AP',
          IsSupervised: true, IsAppleSilicon: false,
        },
      },
      SecurityInfo: { SecurityInfo: { ManagementStatus: { EnrolledViaDEP: true, IsUserEnrollment: false }, BootstrapTokenRequiredForSoftwareUpdate: false } },
    };
    const asked: string[] = [];
    for (let cmd = commandOf(await d.idle()); cmd; ) {
      asked.push(cmd.requestType);
      cmd = commandOf(await d.result('Acknowledged', cmd.uuid, answers[cmd.requestType] ?? {}));
    }
    assert.ok(asked.includes('DeviceInformation') && asked.includes('SecurityInfo'), asked.join(', '));

    const summary = (await (await fetch(`${running.url}/v1/os/summary`, { headers: auth })).json()) as Record<string, unknown>;
    assert.deepEqual([summary.devices, summary.behind, summary.on_latest, summary.exposed_actively_exploited, summary.unknown], [1, 1, 0, 1, 0]);
    const posture = (await (await fetch(`${running.url}/v1/devices/${udid}/os`, { headers: auth })).json()) as Record<string, unknown>;
    assert.deepEqual(
      [posture.latest, posture.releases_behind, posture.days_behind, posture.cve_count, posture.update_allowed, posture.major_upgrade_allowed],
      [{ version: '15.7.9', build: '24G830' }, 2, 26, 139, true, false],
    );
  } finally {
    await running.close();
    await db.remove();
  }
});
