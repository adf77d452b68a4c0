// A per-device request budget for the MDM routes: a token bucket per (verified identity, enrollment),
// refilled at `perSecond` up to `burst`. A device over its budget gets 429 with Retry-After (never
// 401, which unenrolls): a flood from one identity costs the fleet nothing more than its own 429s.
// Memory is bounded: at most `maxKeys` buckets, the least recently used dropped first (a dropped
// bucket starts full again, which only ever errs towards letting a device through).
export interface RateLimitOptions {
  /** Sustained requests per second per device; 0 turns the limit off. */
  perSecond: number;
  /** Requests a device may send at once before the sustained rate applies. */
  burst: number;
  maxKeys?: number;
}

export interface RateLimiter {
  /** null: go ahead; else the seconds to wait (for Retry-After). */
  take(key: string, nowMs: number): number | null;
  readonly size: number;
}

export const DEFAULT_DEVICE_RATE = 20;
/** A long command session (hundreds of queued commands answered back to back) stays within the burst. */
export const BURST_SECONDS = 30;

export function rateLimiter(opts: RateLimitOptions): RateLimiter {
  const max = opts.maxKeys ?? 100_000;
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    get size() {
      return buckets.size;
    },
    take(key, now) {
      if (opts.perSecond <= 0) return null;
      let b = buckets.get(key);
      if (b) {
        buckets.delete(key); // re-inserted below: the Map's order is recency
        b.tokens = Math.min(opts.burst, b.tokens + ((now - b.at) / 1000) * opts.perSecond);
        b.at = now;
      } else {
        if (buckets.size >= max) buckets.delete(buckets.keys().next().value!);
        b = { tokens: opts.burst, at: now };
      }
      buckets.set(key, b);
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return null;
      }
      return Math.max(1, Math.ceil((1 - b.tokens) / opts.perSecond));
    },
  };
}
