// Counting where things happen, without touching the code that does them: an MDM middleware (check-ins
// by type, reports by status), a pusher that counts outcomes, a store whose every call is timed.
import type { MdmMiddleware } from '../service/types.js';
import type { Pusher, PushOptions } from '../push/types.js';
import type { Store } from '../storage/types.js';
import type { Metrics } from './registry.js';

export function metricsMiddleware(m: Metrics): MdmMiddleware {
  return (next) => ({
    checkin(msg, meta) {
      m.checkins.inc({ message_type: msg.messageType });
      return next.checkin(msg, meta);
    },
    report(report, meta) {
      m.commandResults.inc({ status: report.status });
      return next.report(report, meta);
    },
  });
}

/** The pusher, counting each outcome. */
export function countingPusher(inner: Pusher, m: Metrics): Pusher {
  return {
    get configured() {
      return inner.configured;
    },
    get problem() {
      return inner.problem;
    },
    ...(inner.reload ? { reload: () => inner.reload!() } : {}),
    close: () => inner.close(),
    async push(ids: string[], opts?: PushOptions) {
      const outcomes = await inner.push(ids, opts);
      for (const o of outcomes) m.pushes.inc({ outcome: o.outcome });
      return outcomes;
    },
  };
}

/** The store with each method timed into updraft_db_query_seconds{op=<method>} (one clock read pair per call). */
export function timedStore(store: Store, m: Metrics): Store {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(store)) {
    if (typeof value !== 'function' || name === 'close') {
      out[name] = value;
      continue;
    }
    const fn = value as (...args: unknown[]) => unknown;
    const child = m.dbQuery.labels(name);
    out[name] = (...args: unknown[]) => {
      const start = process.hrtime.bigint();
      const observe = () => child.observe(Number(process.hrtime.bigint() - start) / 1e9);
      const result = fn.apply(store, args);
      if (result instanceof Promise) return result.finally(observe);
      observe();
      return result;
    };
  }
  return out as unknown as Store;
}
