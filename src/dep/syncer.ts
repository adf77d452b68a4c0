// The DEP syncer: for each DEP name with tokens, a pass fetches every device on its first run
// (POST /server/devices, paged), then only the changes (POST /devices/sync) from the cursor kept in
// the store, so a restart continues where it stopped. Each device is kept per DEP name with its last
// op_type (added, modified, deleted) and profile status; new devices go to the assigner, and the ADE
// profiles assigned (and any the devices name that is not cached yet) are fetched. An expired or
// invalid cursor is dropped and the devices fetched again; any other failure is logged and the next
// interval tries again. New devices wait in a pending list (settings "dep-assign-pending:NAME"), kept
// before their page is stored and emptied once the assigner has dealt with them, so a pass that fails
// half-way (HTML or garbage on page 2, an assignment refused) leaves them to the next one: the cursor
// never moves past a device the assigner will not see. Of several server processes only the lease holder syncs a name (the lease is
// a row of the background-job table the posture recompute also uses: posture_jobs, "dep-sync:NAME").
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { periodic, type Periodic } from '../service/periodic.js';
import type { Store } from '../storage/types.js';
import type { DepDeviceRecord } from '../storage/types-dep.js';
import { depDeviceInput } from './devices.js';
import { assignNew } from './assigner.js';
import { refreshDepProfiles } from './profiles.js';
import { depClient } from './client.js';
import { DepApiError } from './errors.js';
import type { DepClient, DepDevice } from './types.js';

export const DEFAULT_DEP_SYNC_SECONDS = 1800;
const PAGE = 1000;
const LEASE_MS = 10 * 60_000;

export interface SyncResult {
  name: string;
  mode: 'fetch' | 'sync';
  devices: number;
  added: string[];
  assigned: Record<string, string[]>;
}

export interface SyncerOptions {
  store: Store;
  logger?: Logger;
  now?: () => Date;
  /** The DEP API client of a name (default: the real one over the store). */
  client?: (name: string) => DepClient;
  /** This process's lease owner id. */
  owner?: string;
  /** Devices asked per page (default 1000, Apple's most). */
  pageSize?: number;
}

const pendingKey = (name: string) => `dep-assign-pending:${name}`;

async function loadPending(store: Store, name: string): Promise<Set<string>> {
  try {
    const list = JSON.parse((await store.getSetting(pendingKey(name))) ?? '[]') as unknown;
    return new Set(Array.isArray(list) ? list.filter((x): x is string => typeof x === 'string') : []);
  } catch {
    return new Set();
  }
}

/** One pass for one DEP name (no lease: syncDepNames takes it). */
export async function syncDepName(name: string, opts: SyncerOptions): Promise<SyncResult | null> {
  const { store } = opts;
  const now = opts.now ?? (() => new Date());
  const dep = await store.getDepName(name);
  if (!dep?.tokens) return null;
  const client = opts.client?.(name) ?? depClient(name, { store, now });
  let mode: SyncResult['mode'] = dep.cursor ? 'sync' : 'fetch';
  const seen: DepDeviceRecord[] = [];
  const added: string[] = [];
  const pageSize = opts.pageSize ?? PAGE;
  // Devices new in an earlier pass that failed before the assigner saw them, then this pass's.
  const pending = await loadPending(store, name);
  const keep = async (devices: DepDevice[]) => {
    if (devices.length === 0) return;
    const known = new Set((await store.listDepDevices({ depName: name, serials: devices.map((d) => d.serial_number), limit: 1000 })).map((d) => d.serialNumber));
    const rows = devices.map((d) => depDeviceInput(name, d));
    const fresh = rows.filter((r) => r.opType === 'added' || (r.opType === null && !known.has(r.serialNumber))).map((r) => r.serialNumber);
    if (fresh.some((serial) => !pending.has(serial))) {
      for (const serial of fresh) pending.add(serial);
      await store.setSetting(pendingKey(name), JSON.stringify([...pending]));
    }
    await store.upsertDepDevices(rows, now());
    added.push(...fresh);
    for (const r of rows) seen.push({ ...r, updatedAt: now() });
  };
  if (mode === 'sync') {
    try {
      let cursor = dep.cursor!;
      for (;;) {
        const page = await client.syncDevices({ cursor, limit: pageSize });
        await keep(page.devices ?? []);
        cursor = page.cursor;
        await store.saveDepCursor(name, cursor, now()); // each page: a restart continues after it
        if (!page.more_to_follow) break;
      }
    } catch (err) {
      if (!(err instanceof DepApiError) || err.action !== 'refetch') throw err;
      opts.logger?.warn({ dep: name, code: err.code }, 'DEP sync cursor no longer usable: fetching every device again');
      await store.saveDepCursor(name, null, now());
      mode = 'fetch';
    }
  }
  if (mode === 'fetch') {
    // The fetch cursor is stored only once the whole list is in: a restart mid-fetch fetches again.
    let cursor: string | undefined;
    for (;;) {
      const page = await client.fetchDevices({ cursor, limit: pageSize });
      await keep(page.devices ?? []);
      cursor = page.cursor;
      if (!page.more_to_follow) break;
    }
    if (cursor) await store.saveDepCursor(name, cursor, now());
  }
  // The assigner takes every pending device as stored now (this pass's record, or an earlier one's).
  const waiting = [...pending];
  const fresh: DepDeviceRecord[] = [];
  for (let i = 0; i < waiting.length; i += 1000) fresh.push(...(await store.listDepDevices({ depName: name, serials: waiting.slice(i, i + 1000), limit: 1000 })));
  const assigned = fresh.length ? await assignNew({ name, devices: fresh, client, store, fallback: dep.assignerProfileUuid, at: now(), logger: opts.logger }) : {};
  if (waiting.length) await store.setSetting(pendingKey(name), '[]');
  // The profiles ADE enrollments will ask about: those just assigned afresh, and any other not cached yet.
  const uuids = new Set(Object.keys(assigned));
  for (const u of new Set(seen.map((d) => d.profileUuid).filter((u): u is string => u !== null))) if (!uuids.has(u) && !(await store.getDepProfile(name, u))) uuids.add(u);
  if (uuids.size) await refreshDepProfiles({ name, uuids, client, store, at: now(), logger: opts.logger });
  opts.logger?.info({ dep: name, mode, devices: seen.length, added: added.length }, 'DEP devices synced');
  return { name, mode, devices: seen.length, added, assigned };
}

/** One pass over every DEP name, each under its lease; a name that fails does not stop the others. */
export async function syncDepNames(opts: SyncerOptions & { names?: string[]; onFailure?: (name: string, err: unknown) => void }): Promise<SyncResult[]> {
  const { store } = opts;
  const now = opts.now ?? (() => new Date());
  const owner = opts.owner ?? randomUUID();
  const out: SyncResult[] = [];
  const names = opts.names ?? (await store.listDepNames()).filter((d) => d.tokens).map((d) => d.name);
  for (const name of names) {
    const job = `dep-sync:${name}`;
    const start = now();
    const held = await store.claimPostureJob(job, owner, `run:${start.getTime()}:${owner}`, start, new Date(start.getTime() + LEASE_MS));
    if (!held) continue; // another process is syncing this name
    try {
      const r = await syncDepName(name, opts);
      if (r) out.push(r);
    } catch (err) {
      opts.logger?.error({ err, dep: name, code: (err as DepApiError).code }, `DEP sync of ${name} failed: ${(err as Error).message}; next interval tries again`);
      opts.onFailure?.(name, err);
    } finally {
      await store.finishPostureJob(job, owner, now());
    }
  }
  return out;
}

export function startDepSyncer(opts: SyncerOptions & { intervalSeconds: number }): Periodic<SyncResult[]> {
  const owner = opts.owner ?? randomUUID();
  const onError = (err: Error) => opts.logger?.error({ err }, 'DEP sync pass failed');
  const worker = periodic(() => syncDepNames({ ...opts, owner }), opts.intervalSeconds * 1000, onError);
  worker.runOnce().catch(onError);
  return worker;
}
