// One process at a time for a background job several server processes share (re-push, retention):
// each pass first takes or renews the job's named lease (storage/leases.ts); a process that does
// not get it skips the pass. A process that dies stops renewing, and another takes the job over
// once the lease runs out; one that stops cleanly drops it so another takes over at its next pass.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { LeaseStore } from '../storage/types.js';

/** This process, as lease owner: host, pid and a random part (pids repeat across restarts). */
export const NODE_ID = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;

export interface LeaseOptions {
  store: LeaseStore;
  name: string;
  /** How long a taken lease holds without renewal, ms (several pass intervals). */
  ttlMs: number;
  owner?: string;
}

/** The pass, run only while this process holds the lease; `skipped` is what a skipped pass returns. */
export function leased<T>(opts: LeaseOptions, pass: () => Promise<T>, skipped: T): { pass: () => Promise<T>; release: () => Promise<void> } {
  const owner = opts.owner ?? NODE_ID;
  return {
    async pass() {
      const now = new Date();
      if (!(await opts.store.takeLease(opts.name, owner, now, new Date(now.getTime() + opts.ttlMs)))) return skipped;
      return pass();
    },
    release: () => opts.store.dropLease(opts.name, owner).catch(() => undefined),
  };
}
