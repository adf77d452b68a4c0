// The demo's Apple Business Manager: the fake DEP service (in process), a throwaway "Apple device CA"
// kept in the data dir (the server trusts it for ADE MachineInfo, the simulated devices sign with
// identities it issues), and a DEP name "demo" set up over the API as an admin would: its server
// token, its base URL, an ADE profile defined through /proxy and made the assigner's default. Before
// the fleet enrolls, a sync lists its ADE devices and gives them that profile, so they enroll through
// ADE (MachineInfo → profile → SCEP → check-in, Await Configuration) and the others the ordinary way.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCA } from '../../src/pki/ca.js';
import { FakeDep } from '../../src/dep/fake/server.js';

export const DEMO_DEP_NAME = 'demo';

/** The device CA's PEM files in the data dir (made on the first run). */
export function demoDeviceCa(dataDir: string): { certFile: string; certPem: string; keyPem: string } {
  const certFile = join(dataDir, 'ade-device-ca.pem');
  const keyFile = join(dataDir, 'ade-device-ca.key');
  if (!existsSync(certFile) || !existsSync(keyFile)) {
    const ca = createCA('Demo Apple Device CA');
    writeFileSync(certFile, `-----BEGIN CERTIFICATE-----\n${ca.certDer.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`);
    writeFileSync(keyFile, ca.key.export({ format: 'pem', type: 'pkcs8' }) as string, { mode: 0o600 });
  }
  return { certFile, certPem: readFileSync(certFile, 'utf8'), keyPem: readFileSync(keyFile, 'utf8') };
}

async function call(server: string, auth: Record<string, string>, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(server + path, {
    method, headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** Starts the fake DEP service and points the DEP name "demo" at it; returns it and the ADE profile's UUID. */
export async function startDemoDep(server: string, auth: Record<string, string>): Promise<{ dep: FakeDep; profileUuid: string }> {
  const dep = await FakeDep.start();
  const name = DEMO_DEP_NAME;
  // A new fake each run: its token replaces the last run's (another consumer key, hence force).
  await call(server, auth, 'PUT', `/v1/tokens/${name}?force=1`, dep.state.tokens);
  await call(server, auth, 'PUT', `/v1/config/${name}`, { base_url: dep.url });
  const profile = await call(server, auth, 'POST', `/proxy/${name}/profile`, {
    profile_name: 'Updraft demo', url: `${server}/mdm/ade/enroll`, is_supervised: true, is_mandatory: true, is_mdm_removable: false, await_device_configured: true,
  });
  const profileUuid = String(profile.profile_uuid);
  await call(server, auth, 'PUT', `/v1/assigner/${name}?profile_uuid=${encodeURIComponent(profileUuid)}`);
  return { dep, profileUuid };
}

/**
 * A DEP sync now (the fleet's ADE devices are listed in the fake): the assigner gives them the profile.
 * A sync that does not complete (e.g. the lease of a sync an interrupted run left, up to 10 minutes)
 * is a notice: the ADE devices still enroll through ADE, with the ADE settings instead of the profile.
 */
export async function syncDemoDep(server: string, auth: Record<string, string>): Promise<void> {
  try {
    const r = (await call(server, auth, 'POST', `/v1/dep/${DEMO_DEP_NAME}/sync`)) as { devices: number; assigned: Record<string, string[]> };
    const assigned = Object.values(r.assigned).reduce((n, s) => n + s.length, 0);
    console.log(`  ABM (fake DEP): ${r.devices} ADE devices synced, ${assigned} given the ADE profile`);
  } catch (err) {
    console.log(`  notice: DEP sync of ${DEMO_DEP_NAME} failed (${(err as Error).message}); ADE devices enroll with the ADE settings (updraft dep sync ${DEMO_DEP_NAME} later)`);
  }
}
