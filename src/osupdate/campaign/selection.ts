// Which devices a campaign selects, what is known about each (enrollment + inventory), and how the
// eligible ones are split into waves (a stable order from the campaign's name and the device ids, so
// the dry run shows the waves the campaign then uses).
import { createHash } from 'node:crypto';
import type { EnrollmentRecord, Store } from '../../storage/types.js';
import type { DeviceInventory } from '../types.js';
import { compareVersions } from '../version.js';
import type { DeviceFacts } from './plan.js';
import type { Plan, Selection, Wave } from './types.js';

/** Reads the inventory of devices (the inventory store, when it is there). */
export type InventoryReader = (deviceIds: string[]) => Promise<Map<string, DeviceInventory>>;

const PAGE = 1000;

/** Device channels matching the selection (user channels never take OS updates). */
export async function selectDevices(store: Store, s: Selection): Promise<EnrollmentRecord[]> {
  const out: EnrollmentRecord[] = [];
  const tagged = s.tags ? new Set(await store.devicesTagged(s.tags)) : null;
  const keep = (e: EnrollmentRecord) =>
    (e.type === 'Device' || e.type === 'UserEnrollmentDevice') &&
    (!s.platform || (e.platform !== null && s.platform.includes(e.platform))) &&
    (!s.models || (e.model !== null && s.models.includes(e.model))) &&
    (!s.osMin || (e.osVersion !== null && compareVersions(e.osVersion, s.osMin) >= 0)) &&
    (!s.osMax || (e.osVersion !== null && compareVersions(e.osVersion, s.osMax) <= 0)) &&
    (!tagged || tagged.has(e.id));
  if (s.enrollmentIds) {
    for (let i = 0; i < s.enrollmentIds.length; i += PAGE) {
      const rows = await store.listEnrollments({ ids: s.enrollmentIds.slice(i, i + PAGE), limit: PAGE });
      out.push(...rows.filter(keep));
    }
    return out;
  }
  const platforms = s.platform?.length === 1 ? s.platform[0] : undefined;
  for (let offset = 0; ; offset += PAGE) {
    const rows = await store.listEnrollments({ platform: platforms, limit: PAGE, offset });
    out.push(...rows.filter(keep));
    if (rows.length < PAGE) break;
  }
  return out;
}

/** Ids the selection names that are not enrolled devices (reported, never silently dropped). */
export function unknownIds(s: Selection, found: EnrollmentRecord[]): string[] {
  if (!s.enrollmentIds) return [];
  const seen = new Set(found.map((e) => e.id));
  return s.enrollmentIds.filter((id) => !seen.has(id));
}

export async function deviceFacts(store: Store, devices: EnrollmentRecord[], inventory?: InventoryReader): Promise<DeviceFacts[]> {
  const inv = inventory ? await inventory(devices.map((d) => d.id)) : new Map<string, DeviceInventory>();
  // Enrollments Updraft saw come through ADE: known before the device answers SecurityInfo.
  const ade = await store.activeAdeEnrollments(devices.filter((d) => d.udid !== null && d.id === d.deviceId).map((d) => d.id));
  const escrowed = new Set<string>();
  if (!inventory) {
    for (const d of devices) if (d.platform === 'macOS' && (await store.getBootstrapToken(d.id))) escrowed.add(d.id);
  }
  return devices.map((e) => {
    const i = inv.get(e.id);
    return {
      deviceId: e.id,
      userEnrollment: e.type === 'UserEnrollmentDevice' || e.type === 'UserEnrollment' || i?.isUserEnrollment === true,
      platform: i?.platform ?? e.platform,
      osVersion: i?.osVersion ?? e.osVersion,
      buildVersion: i?.buildVersion ?? e.buildVersion,
      model: i?.model ?? e.model ?? e.productName,
      softwareUpdateDeviceId: i?.softwareUpdateDeviceId ?? null,
      boardId: i?.boardId ?? null,
      supervised: i?.isSupervised ?? ade.get(e.id)?.supervised ?? null,
      enrolledViaDep: i?.enrolledViaDep ?? (ade.has(e.id) ? true : null),
      appleSilicon: i?.isAppleSilicon ?? null,
      bootstrapTokenRequired: i?.bootstrapTokenRequiredForSoftwareUpdate ?? null,
      bootstrapTokenEscrowed: i ? i.bootstrapTokenEscrowed : escrowed.has(e.id),
      timeZone: i?.timeZone ?? null,
      freeGB: i?.availableDeviceCapacity ?? null,
    };
  });
}

const rank = (seed: string, deviceId: string) => createHash('sha1').update(`${seed}\0${deviceId}`).digest('hex');

/** Wave index per device: explicit groups first, then cumulative percentages over the rest in a stable order. */
export function assignWaves(seed: string, plans: Plan[], waves: Wave[]): Map<string, number> {
  const out = new Map<string, number>();
  const eligible = plans.filter((p) => p.state === 'pending' || p.state === 'blocked');
  const rest: string[] = [];
  for (const p of eligible) {
    const explicit = waves.findIndex((w) => w.enrollmentIds?.includes(p.deviceId));
    if (explicit >= 0) out.set(p.deviceId, explicit);
    else rest.push(p.deviceId);
  }
  const byPercent = waves.map((w, i) => ({ i, percent: w.percent })).filter((w) => w.percent !== undefined) as Array<{ i: number; percent: number }>;
  rest.sort((a, b) => (rank(seed, a) < rank(seed, b) ? -1 : 1));
  rest.forEach((id, n) => {
    // Device n falls in the first wave whose cumulative share covers it (at least one device per wave).
    const w = byPercent.find((x) => n < Math.max(1, Math.ceil((x.percent / 100) * rest.length))) ?? byPercent.at(-1);
    out.set(id, w ? w.i : waves.length - 1);
  });
  for (const p of plans) if (!out.has(p.deviceId)) out.set(p.deviceId, 0);
  return out;
}
