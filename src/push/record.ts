// What a push leaves in the store, decided here for every pusher: the provider's push-log rows (one
// per APNs attempt, which the re-push worker schedules from) and, when the caller asks
// (PushOptions.events: the API, enqueues, the engines, a device request's wakes; not the re-push
// worker), one "push.sent" / "push.failed" event per enrollment. Both go in one commit
// (store.recordPushes). A failing store is logged, not thrown: the push happened, and its outcomes
// still reach the caller.
import type { Logger } from 'pino';
import type { EventInput, PushLogInput, PushStore } from '../storage/types.js';
import type { PushOutcome } from './types.js';

/** Where a pusher records its pushes. */
export interface PushRecording {
  store: Pick<PushStore, 'recordPushes'>;
  logger: Pick<Logger, 'error'>;
}

/** The push events of `outcomes`, one per enrollment. */
export function pushEvents(outcomes: readonly PushOutcome[], at: Date): EventInput[] {
  return outcomes.map((o) => ({
    enrollmentId: o.id,
    kind: o.ok ? 'push.sent' : 'push.failed',
    detail: { outcome: o.outcome, apnsId: o.apnsId ?? null, error: o.error ?? null },
    at,
  }));
}

/** Record a batch: its attempts' log rows and, with `eventsAt`, its outcomes' events, in one commit. */
export async function recordPushBatch(rec: PushRecording, log: PushLogInput[], outcomes: readonly PushOutcome[], eventsAt?: Date): Promise<void> {
  const events = eventsAt ? pushEvents(outcomes, eventsAt) : [];
  if (log.length === 0 && events.length === 0) return;
  try {
    await rec.store.recordPushes(log, events);
  } catch (err) {
    rec.logger.error({ err, attempts: log.length, events: events.length }, 'cannot record push attempts');
  }
}
