// History retention: prune finished commands, results, events and DDM status history older than N days, hourly.
import type { Logger } from 'pino';
import type { Store } from '../storage/types.js';
import { periodic } from './periodic.js';
import { leased } from './lease.js';

export interface RetentionOptions {
  store: Store;
  /** Days to keep; 0 keeps forever (the pruner does nothing). */
  days: number;
  logger?: Logger;
  intervalMs?: number;
}

export interface Pruned {
  commands: number;
  events: number;
  statusHistory: number;
}

/** Everything retention removes, older than `before`: the hourly job and POST /v1/prune both call this. */
export async function pruneAll(store: Store, before: Date): Promise<Pruned> {
  const pruned = await store.pruneHistory(before);
  return { ...pruned, statusHistory: await store.ddmPruneStatusHistory(before) };
}

/** Prune once now, then every interval; stop() ends it and waits for a pass in progress. */
export function startRetention(opts: RetentionOptions): { stop(): Promise<void> } {
  if (opts.days <= 0) return { async stop() {} };
  const run = async (): Promise<void> => {
    const before = new Date(Date.now() - opts.days * 86400e3);
    try {
      const pruned = await pruneAll(opts.store, before);
      if (pruned.commands > 0 || pruned.events > 0 || pruned.statusHistory > 0) {
        opts.logger?.info({ ...pruned, before }, 'pruned history');
      }
    } catch (err) {
      opts.logger?.error({ err }, 'history pruning failed');
    }
  };
  // One process prunes at a time (a lease held for a few intervals; dropped at stop).
  const every = opts.intervalMs ?? 3600e3;
  const lease = leased({ store: opts.store, name: 'retention', ttlMs: every * 3 }, run, undefined);
  const job = periodic(lease.pass, every, () => undefined);
  job.runOnce().catch(() => undefined);
  return { stop: async () => { await job.stop(); await lease.release(); } };
}
