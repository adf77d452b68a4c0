// The demo's OS update posture: import the shipped catalog snapshots (../shared/catalogs beside the
// repository) over the API, and once the fleet has answered DeviceInformation, print the fleet's
// posture as `updraft os status` does. Without the snapshots it says so and the demo goes on.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { summaryText, type SummaryJson } from '../../src/cli/os.js';

const CATALOGS = fileURLToPath(new URL('../../../shared/catalogs/', import.meta.url));
const SNAPSHOTS = [
  ['gdmf', 'gdmf_pmv_2026-08.json'],
  ['sofa-macos', 'sofa/v2_macos_data_feed.json'],
  ['sofa-ios', 'sofa/v2_ios_data_feed.json'],
] as const;

/** PUT each shipped snapshot to /v1/catalogs/{kind}; a notice (not a failure) when they are absent or refused. */
export async function importCatalogSnapshots(server: string, auth: Record<string, string>): Promise<void> {
  if (!existsSync(join(CATALOGS, SNAPSHOTS[0][1]))) {
    console.log(`  notice: no catalog snapshots in ${CATALOGS}: posture will say no catalog is imported (updraft catalog import …)`);
    return;
  }
  const done: string[] = [];
  for (const [kind, file] of SNAPSHOTS) {
    const res = await fetch(`${server}/v1/catalogs/${kind}?file=${encodeURIComponent(file.split('/').pop()!)}`, {
      method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: readFileSync(join(CATALOGS, file)),
    });
    const body = (await res.json()) as { entries?: number; error?: string };
    if (res.ok) done.push(`${kind} (${body.entries} entries)`);
    else console.log(`  notice: catalog ${kind} not imported: ${res.status} ${body.error}`);
  }
  if (done.length > 0) console.log(`  catalogs imported from ${CATALOGS}: ${done.join(', ')}`);
}

/** Waits until the number of devices with a posture stops growing (at most `seconds`), then prints the summary. */
export async function printFleetPosture(server: string, auth: Record<string, string>, expected: number, seconds = 60): Promise<void> {
  const summary = async () => (await (await fetch(`${server}/v1/os/summary`, { headers: auth })).json()) as SummaryJson;
  let s = await summary();
  let steady = 0;
  for (const end = Date.now() + seconds * 1000; Date.now() < end && s.devices < expected && steady < 10; ) {
    await new Promise((r) => setTimeout(r, 1000));
    const next = await summary();
    steady = next.devices === s.devices ? steady + 1 : 0;
    s = next;
  }
  console.log(`\n  OS update posture of the fleet (updraft os status):\n${summaryText(s).replace(/^/gm, '    ')}\n`);
}
