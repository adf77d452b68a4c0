// The posture service: a device's posture computed now from the current catalog view and its
// inventory (and stored), the fleet summary read from the stored postures (never recomputed), and
// the recomputation of the whole fleet when the catalogs change or a day passes, in batches, by one
// server process at a time (a lease in posture_jobs; a run another process left resumes from its cursor).
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { PostureFilter, PostureRecord, PostureStore, PostureSummaryRecord } from '../../storage/types-posture.js';
import type { CatalogView, DeviceInventory } from '../types.js';
import { catalogAge, catalogStamp, createPostureComputer, type CatalogAge, type PostureDetail } from './compute.js';

/** Where the current catalog view comes from (the catalog service). */
export interface CatalogViews {
  view(): Promise<CatalogView>;
}

/** What posture reads of the inventory (and of enrollments: a user channel's id names its device). */
export interface InventorySource {
  getEnrollment(id: string): Promise<{ deviceId: string } | null>;
  getInventory(deviceId: string): Promise<DeviceInventory | null>;
  listInventory(deviceIds: readonly string[]): Promise<DeviceInventory[]>;
  /** Ids of devices with an inventory, in id order, after `after` (to page through the fleet). */
  inventoryDeviceIds(after: string | null, limit: number): Promise<string[]>;
}

export interface PostureServiceOptions {
  store: PostureStore;
  inventory: InventorySource;
  catalogs: CatalogViews;
  logger?: Logger;
  now?: () => Date;
  /** Devices per batch of a fleet recompute (default 1000). */
  batch?: number;
}

export interface PostureSummary {
  summary: PostureSummaryRecord;
  /** Every imported catalog's age, as of this request. */
  catalogs: CatalogAge[];
  stamp: string;
}

export const FLEET_JOB = 'fleet';
const LEASE_MS = 60_000;

/** The stored form of a posture: the summary's columns, and the API fields that have none as JSON. */
export function postureRecord(p: PostureDetail, stamp: string): PostureRecord {
  return {
    deviceId: p.deviceId,
    platform: p.platform,
    model: p.model,
    osVersion: p.osVersion,
    buildVersion: p.buildVersion,
    latestVersion: p.latest?.version ?? null,
    latestBuild: p.latest?.build ?? null,
    latestInMajorVersion: p.latestInMajor?.version ?? null,
    newestMajor: p.newestMajor,
    onLatest: p.onLatest,
    majorBehind: p.majorBehind,
    releasesBehind: p.releasesBehind,
    daysBehind: p.daysBehind,
    cveCount: p.cves.length,
    exploitedCount: p.activelyExploited.length,
    updateAllowed: p.updateAllowed,
    majorUpgradeAllowed: p.majorUpgradeAllowed,
    reason: p.reason,
    detail: {
      latest_in_major_build: p.latestInMajor?.build ?? null,
      missing_security_releases: p.missingSecurityReleases,
      actively_exploited: p.activelyExploited,
      expired_releases: p.expiredReleases,
      reasons: p.reasons,
    },
    computedAt: p.computedAt,
    catalogStamp: stamp,
  };
}

export class PostureService {
  private readonly store: PostureStore;
  private readonly inventory: InventorySource;
  private readonly catalogs: CatalogViews;
  private readonly logger: Logger | undefined;
  private readonly now: () => Date;
  private readonly batch: number;

  constructor(opts: PostureServiceOptions) {
    this.store = opts.store;
    this.inventory = opts.inventory;
    this.catalogs = opts.catalogs;
    this.logger = opts.logger;
    this.now = opts.now ?? (() => new Date());
    this.batch = opts.batch ?? 1000;
  }

  /**
   * The postures of these devices computed now (and stored); null for a device without an inventory.
   * An enrollment id of a user channel gives its device's posture.
   */
  async forDevices(ids: readonly string[]): Promise<Array<PostureDetail | null>> {
    const deviceIds = await Promise.all(ids.map(async (id) => (await this.inventory.getEnrollment(id))?.deviceId ?? id));
    const byId = new Map((await this.recomputeInventories(await this.inventory.listInventory([...new Set(deviceIds)]))).map((p) => [p.deviceId, p]));
    return deviceIds.map((id) => byId.get(id) ?? null);
  }

  async forDevice(deviceId: string): Promise<PostureDetail | null> {
    return (await this.forDevices([deviceId]))[0] ?? null;
  }

  /** Compute and store the posture of these inventories now (one changed, or the API asks). */
  async recomputeInventories(inventories: readonly DeviceInventory[]): Promise<PostureDetail[]> {
    if (inventories.length === 0) return [];
    const view = await this.catalogs.view();
    const now = this.now();
    const compute = createPostureComputer(view, now);
    const postures = inventories.map(compute);
    const stamp = catalogStamp(view, now);
    await this.store.upsertPostures(postures.map((p) => postureRecord(p, stamp)));
    return postures;
  }

  /** Fleet counts from the stored postures, and the catalogs' ages now. */
  async summary(filter: PostureFilter): Promise<PostureSummary> {
    const view = await this.catalogs.view();
    const now = this.now();
    const stamp = catalogStamp(view, now);
    const summary = await this.store.postureSummary(filter, stamp);
    return { summary, catalogs: catalogAges(view, now), stamp };
  }

  /**
   * Recompute every device's posture if the stored ones are from other catalogs or another day and
   * no other process is at it. Returns how many devices this run computed, or null when there was
   * nothing to do (or another process holds the job, or this one lost it).
   */
  async recomputeFleet(owner: string): Promise<number | null> {
    const view = await this.catalogs.view();
    const started = this.now();
    const stamp = catalogStamp(view, started);
    const lease = () => new Date(this.now().getTime() + LEASE_MS);
    // A read first: every process asks every interval, and nearly always nothing changed.
    if ((await this.store.getPostureJob(FLEET_JOB))?.doneStamp === stamp) return null;
    const job = await this.store.claimPostureJob(FLEET_JOB, owner, stamp, started, lease());
    if (!job) return null;
    const compute = createPostureComputer(view, started);
    let cursor = job.cursor;
    let done = job.done;
    let computed = 0;
    for (;;) {
      const ids = await this.inventory.inventoryDeviceIds(cursor, this.batch);
      if (ids.length === 0) break;
      const inventories = await this.inventory.listInventory(ids);
      await this.store.upsertPostures(inventories.map((inv) => postureRecord(compute(inv), stamp)));
      cursor = ids[ids.length - 1]!;
      done += inventories.length;
      computed += inventories.length;
      if (!(await this.store.advancePostureJob(FLEET_JOB, owner, cursor, done, this.now(), lease()))) {
        this.logger?.warn({ owner, done }, 'posture: lost the fleet recompute lease to another process');
        return null;
      }
      await new Promise((resolve) => setImmediate(resolve)); // let requests in between batches
    }
    if (!(await this.store.finishPostureJob(FLEET_JOB, owner, this.now()))) return null;
    this.logger?.info({ devices: done, ms: this.now().getTime() - started.getTime() }, 'posture: fleet recomputed');
    return computed;
  }
}

/** Every imported catalog's age (not only one family's). */
export const catalogAges = (view: CatalogView, now: Date): CatalogAge[] => view.info.map((info) => catalogAge(info, now));

export interface PostureWorker {
  /** Check now (e.g. right after a catalog import) instead of at the next interval. */
  kick(): void;
  stop(): Promise<void>;
}

/** Checks every `intervalMs` (default 30 s) whether the fleet needs recomputing, and does it when this process gets the lease. */
export function startPostureWorker(opts: { service: PostureService; intervalMs?: number; owner?: string; logger?: Logger }): PostureWorker {
  const owner = opts.owner ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  let running: Promise<void> | null = null;
  let stopped = false;
  const tick = () => {
    if (running || stopped) return;
    running = opts.service
      .recomputeFleet(owner)
      .then(
        () => undefined,
        (err: unknown) => opts.logger?.error({ err }, 'posture: fleet recompute failed (retried at the next interval)'),
      )
      .finally(() => (running = null));
  };
  const timer = setInterval(tick, opts.intervalMs ?? 30_000);
  timer.unref();
  setImmediate(tick);
  return {
    kick: tick,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
