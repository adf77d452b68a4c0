// A whole Updraft for the campaign CLI tests: the campaign engine on (campaignPollSeconds 1), a
// clock that runs from 2026-12-07 09:00 UTC (a Monday) whenever the tests run (so the issue's
// deadline, 2026-12-15T18:00, stays ahead), optionally the real GDMF and SOFA macOS catalogs, and
// test devices enrolled with the inventory a user would see.
import assert from 'node:assert/strict';
import { TEST_API_KEY } from '../helpers/server.js';
import { TestDevice } from '../helpers/device.js';
import { snapshot, SNAPSHOTS } from '../osupdate/sucatalog.js';
import { startHarness, type Harness } from '../sim/harness.js';

export const MACS = {
  m26: { UDID: 'CAMP0000-0000-0000-0000-000000002600', Model: 'Mac14,2', OSVersion: '26.0', BuildVersion: '25A354' },
  m15: { UDID: 'CAMP0000-0000-0000-0000-000000001500', Model: 'Mac14,2', OSVersion: '15.6', BuildVersion: '24G84' },
  m13: { UDID: 'CAMP0000-0000-0000-0000-000000001300', Model: 'MacBookAir10,1', OSVersion: '13.7.1', BuildVersion: '22H221' },
};
export const IPHONE = { UDID: 'CAMP0000-0000-0000-0000-0000000000A1', ProductName: 'iPhone15,2', OSVersion: '18.6', BuildVersion: '22G86' };

export interface CampaignServer {
  h: Harness;
  /** The environment that points the CLI at it. */
  env: Record<string, string>;
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }>;
}

export async function startCampaignServer(opts: { catalogs: boolean; devices: Array<Record<string, string>> }): Promise<CampaignServer> {
  const shift = Date.parse('2026-12-07T09:00:00Z') - Date.now();
  const h = await startHarness({ config: { campaignPollSeconds: 1, identityOptional: true }, clock: () => new Date(Date.now() + shift) });
  if (opts.catalogs) {
    for (const kind of ['gdmf', 'sofa-macos'] as const) {
      const res = await fetch(`${h.url}/v1/catalogs/${kind}`, {
        method: 'PUT', headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/octet-stream' }, body: new Uint8Array(snapshot(SNAPSHOTS[kind])),
      });
      assert.equal(res.status, 200, await res.text());
    }
  }
  for (const { UDID, ...inventory } of opts.devices) {
    const dev = new TestDevice(h.url, { ids: { UDID: UDID! } });
    for (const r of [await dev.authenticate({ SerialNumber: `C02${UDID!.slice(-6)}`, ...inventory }), await dev.tokenUpdate()]) assert.equal(r.status, 200, r.text);
  }
  return {
    h,
    env: { UPDRAFT_SERVER: h.url, UPDRAFT_API_KEY: TEST_API_KEY },
    async api(method, path, body) {
      const res = await h.api(method, path, body);
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    },
  };
}
