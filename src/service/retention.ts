// History retention: prune finished commands, results, events and DDM status history older than N days, hourly.
import type { Logger } from 'pino';
import type { Store } from '../storage/types.js';
import { periodic } from './periodic.js';

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
  const job = periodic(run, opts.intervalMs ?? 3600e3, () => undefined);
  void job.runOnce();
  return job;
}
