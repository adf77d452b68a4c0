// The inventory schedule: every few minutes, queue DeviceInformation for the device channels whose
// inventory is older than the interval (--inventory-interval, default a day). Each device has its
// own moment in the interval (from a hash of its id), so a fleet that enrolled at once is not asked
// at once; a cap per pass bounds a catch-up (first start, long outage). Devices are claimed with a
// conditional update, so several server processes on one database never ask a device twice.
import type { Logger } from 'pino';
import type { Pusher } from '../../push/types.js';
import type { Store } from '../../storage/types.js';
import { queueInventoryQueries } from './query.js';
import { periodic } from '../../service/periodic.js';

export const DEFAULT_INVENTORY_INTERVAL_SECONDS = 86_400;

export interface InventoryScheduleOptions {
  store: Store;
  pusher: Pusher;
  /** How old an inventory may get, ms (> 0). */
  interval: number;
  logger?: Logger;
  now?: () => Date;
  /** How often to look for due devices, ms (default interval/96, between 10 s and 5 min). */
  checkEvery?: number;
  /** Most devices queried per pass (default 1000). */
  cap?: number;
  /** Devices read per query (default 500). */
  pageSize?: number;
}

export interface InventorySchedule {
  /** One pass: claims and queries the due devices (up to the cap); returns the ids claimed. */
  runOnce(): Promise<string[]>;
  stop(): Promise<void>;
}

export function startInventorySchedule(opts: InventoryScheduleOptions): InventorySchedule {
  const now = opts.now ?? (() => new Date());
  const cap = opts.cap ?? 1000;
  const pageSize = opts.pageSize ?? 500;

  async function pass(): Promise<string[]> {
    const at = now();
    const claimed: string[] = [];
    for (let after: string | undefined; claimed.length < cap; ) {
      const due = await opts.store.dueInventory(at, opts.interval, Math.min(pageSize, cap - claimed.length), after);
      if (due.length === 0) break;
      after = due[due.length - 1]!.deviceId;
      const mine = new Set(await opts.store.claimInventory(due.map((d) => d.deviceId), at, opts.interval));
      const devices = due
        .filter((d) => mine.has(d.deviceId))
        .map((d) => ({
          deviceId: d.deviceId,
          target: { platform: d.platform, osVersion: d.osVersion, userEnrollment: d.userEnrollment },
          security: d.securityAt === null,
        }));
      claimed.push(...devices.map((d) => d.deviceId));
      await queueInventoryQueries({ store: opts.store, pusher: opts.pusher, logger: opts.logger }, devices, at);
    }
    if (claimed.length > 0) opts.logger?.info({ devices: claimed.length }, 'scheduled inventory queries queued');
    return claimed;
  }

  return periodic(pass, opts.checkEvery ?? Math.min(Math.max(opts.interval / 96, 10_000), 300_000), (err) => opts.logger?.error({ err }, 'inventory schedule pass failed'));
}
