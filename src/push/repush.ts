// The re-push worker: wakes enrollments whose commands are still waiting. A push is only a hint
// and APNs may drop it, so an enrollment with a command not fetched for `interval` is pushed
// again, then after 2, 4, 8… intervals while it stays silent, and at least once a day (the daily
// sweep) for as long as a command waits. NotNow'd commands come back the same way: the device
// fetched them, so they wait a full interval before the next push. State lives in the push log,
// so a restart resumes the same schedule.
import type { Logger } from 'pino';
import type { Store } from '../storage/types.js';
import type { Pusher } from './types.js';
import { periodic } from '../service/periodic.js';
import { leased } from '../service/lease.js';
import type { LeaseStore } from '../storage/types.js';

export interface Clock {
  now(): Date;
}

const realClock: Clock = { now: () => new Date() };
const DAY_MS = 86_400_000;

export interface RepushOptions {
  store: Pick<Store, 'pendingEnrollments' | 'listPushes' | 'getEnrollment'>;
  pusher: Pusher;
  /** Wait after a push (or after the device last fetched the command) before pushing again, ms. */
  interval: number;
  logger: Logger;
  clock?: Clock;
  /** Longest wait between pushes while commands are pending, ms (default one day). */
  maxDelay?: number;
  /** How often the worker looks for due enrollments, ms (default interval/4, between 1 s and 5 min). */
  checkEvery?: number;
  /** Enrollments read per query (default 500). */
  pageSize?: number;
  /** Several server processes on one database: only the holder of the "repush" lease pushes. */
  leases?: LeaseStore;
}

export interface RepushWorker {
  /** One pass over every pending enrollment; returns how many were pushed. */
  runOnce(): Promise<number>;
  stop(): Promise<void>;
}

/** How long to wait after the latest of `pushes` unanswered pushes: interval, 2×, 4×… capped at maxDelay. */
export function repushDelay(pushes: number, interval: number, maxDelay: number): number {
  return Math.min(interval * 2 ** Math.max(0, Math.min(pushes - 1, 30)), maxDelay);
}

export function startRepushWorker(opts: RepushOptions): RepushWorker {
  const clock = opts.clock ?? realClock;
  const maxDelay = opts.maxDelay ?? DAY_MS;
  const pageSize = opts.pageSize ?? 500;
  /** Enrollments known not to be due yet: id → {due, pushes since last seen}. Dropped once they leave the pending set. */
  const waiting = new Map<string, { due: number; pushes: number }>();

  /** When this enrollment is next due, from its push log and last contact. */
  async function schedule(id: string): Promise<{ due: number; pushes: number }> {
    const [enrollment, log] = await Promise.all([opts.store.getEnrollment(id), opts.store.listPushes(id, 32)]);
    const seen = enrollment?.lastSeenAt?.getTime() ?? 0;
    const unanswered = log.filter((p) => p.at.getTime() >= seen);
    if (unanswered.length === 0) return { due: 0, pushes: 0 };
    const last = Math.max(...unanswered.map((p) => p.at.getTime()));
    return { due: last + repushDelay(unanswered.length, opts.interval, maxDelay), pushes: unanswered.length };
  }

  async function pass(): Promise<number> {
    if (!opts.pusher.configured) return 0;
    const now = clock.now().getTime();
    const sentBefore = new Date(now - opts.interval);
    const pending = new Set<string>();
    let pushed = 0;
    let after: string | undefined;
    for (;;) {
      const page = await opts.store.pendingEnrollments(sentBefore, pageSize, after);
      const fresh = after === undefined ? page : page.filter((id) => id > after!);
      if (fresh.length === 0) break;
      const known = await Promise.all(fresh.map((id) => waiting.get(id) ?? schedule(id)));
      const due: string[] = [];
      /** Unanswered pushes so far of each due enrollment (from the log when this process has no count). */
      const pushedBefore = new Map<string, number>();
      fresh.forEach((id, i) => {
        pending.add(id);
        if (known[i].due <= now) (due.push(id), pushedBefore.set(id, known[i].pushes));
        else waiting.set(id, known[i]);
      });
      if (due.length > 0) {
        // A push sent since this pass began (an enqueue's, still unanswered or not yet logged when
        // the schedule was read) already woke the device: it is not sent again.
        const outcomes = await opts.pusher.push(due, { notPushedSince: new Date(now) });
        for (const o of outcomes) {
          const pushes = (pushedBefore.get(o.id) ?? 0) + 1;
          waiting.set(o.id, { due: now + repushDelay(pushes, opts.interval, maxDelay), pushes });
          if (o.ok) pushed++;
        }
        opts.logger.debug({ due: due.length, sent: outcomes.filter((o) => o.ok).length }, 're-pushed enrollments with pending commands');
      }
      if (page.length < pageSize) break;
      after = page[page.length - 1];
    }
    for (const id of waiting.keys()) if (!pending.has(id)) waiting.delete(id);
    return pushed;
  }

  const every = opts.checkEvery ?? Math.min(Math.max(opts.interval / 4, 1000), 300_000);
  const onError = (err: Error) => opts.logger.error({ err }, 're-push pass failed');
  if (!opts.leases) return periodic(pass, every, onError);
  const job = leased({ store: opts.leases, name: 'repush', ttlMs: every * 3 + 10_000 }, pass, 0);
  const worker = periodic(job.pass, every, onError);
  return { runOnce: worker.runOnce, stop: async () => { await worker.stop(); await job.release(); } };
}
