// Which device certificates are revoked: a small set (the revoked certificates that have not expired)
// read from the store and kept for a short TTL, so a revocation made on any server process sharing the
// database is honoured everywhere within that TTL, at one store read per process per TTL, whatever the
// fleet size. The trust verdict cache (trust.ts) says nothing about revocation: this set is checked on
// every request after it. A revocation made through this process (noteRevoked) applies at once.
import type { CertificateStore } from '../storage/types-certs.js';

export type RevokedSource = Pick<CertificateStore, 'revokedCertificateHashes'>;

/** How long a process trusts its copy of the revoked set before reading it again (ms); --revocation-refresh sets it. */
export const DEFAULT_REVOCATION_TTL_MS = 5_000;

export interface RevocationCheck {
  /** Whether the certificate with this SHA-256 (hex) is revoked. */
  isRevoked(certHash: string): Promise<boolean>;
}

export class RevocationList implements RevocationCheck {
  #set = new Set<string>();
  /**
   * Revocations made through this process (after their write), with the clock when made: kept across
   * reads that began before them (those may miss them), dropped after a read that began later.
   */
  readonly #local = new Map<string, number>();
  #loadedAt = -Infinity;
  #loading: Promise<void> | null = null;

  constructor(
    private readonly source: RevokedSource,
    private readonly ttlMs = DEFAULT_REVOCATION_TTL_MS,
    /** A monotonic clock in ms (TTL only; expiry is judged by the wall clock). */
    private readonly clock: () => number = () => performance.now(),
  ) {}

  async isRevoked(certHash: string): Promise<boolean> {
    if (this.clock() - this.#loadedAt >= this.ttlMs) await this.refresh();
    return this.#set.has(certHash);
  }

  /** Reads the set again now (concurrent callers share one read). */
  refresh(): Promise<void> {
    this.#loading ??= (async () => {
      try {
        const started = this.clock();
        const set = new Set(await this.source.revokedCertificateHashes(new Date()));
        for (const [h, at] of this.#local) {
          if (at < started) this.#local.delete(h);
          else set.add(h);
        }
        this.#set = set;
        this.#loadedAt = started;
      } finally {
        this.#loading = null;
      }
    })();
    return this.#loading;
  }

  /** A revocation this process just made: effective at once, without waiting for the TTL. */
  add(certHash: string): void {
    this.#local.set(certHash, this.clock());
    this.#set.add(certHash);
  }
}

// One list per store object (that is, per process and database), so the API that revokes and the
// identity layer that checks share it without more wiring.
const lists = new WeakMap<object, RevocationList>();

/** The revocation list of this store, created on first use (ttlMs applies only then). */
export function revocationList(store: RevokedSource, ttlMs?: number): RevocationList {
  let list = lists.get(store);
  if (!list) {
    list = new RevocationList(store, ttlMs);
    lists.set(store, list);
  }
  return list;
}

/** Tells this process's identity layer (if it checks this store) that a certificate was revoked. */
export function noteRevoked(store: object, certHash: string): void {
  lists.get(store)?.add(certHash);
}
