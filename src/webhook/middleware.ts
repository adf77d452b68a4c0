// The webhook middleware: after the inner service handled a check-in, its event is written to the
// durable outbox (one insert); a report's event is handed to the core (meta.outbox), which commits it
// with the result. The worker delivers them. A receiver never slows device traffic.
// A check-in whose event cannot be written (database down, disk full) fails with that error: the
// device tries the check-in again (check-ins are idempotent) and the retry records the event, so a
// check-in answered 200 always has its event.
import type { Logger } from 'pino';
import type { MdmMiddleware, MdmService } from '../service/types.js';
import type { Store } from '../storage/types.js';
import { acknowledgeEvent, checkinEvent, type WebhookEvent } from './event.js';

export interface WebhookMiddlewareOptions {
  logger?: Logger;
}

export function webhookMiddleware(store: Store, opts: WebhookMiddlewareOptions = {}): MdmMiddleware {
  async function record(ev: WebhookEvent, at: Date): Promise<void> {
    try {
      await store.outboxAdd(ev.topic, JSON.stringify(ev), at);
    } catch (err) {
      opts.logger?.warn({ topic: ev.topic }, 'webhook event not recorded: the check-in fails so the device sends it again');
      throw err;
    }
  }
  return (next: MdmService): MdmService => ({
    async checkin(msg, meta) {
      const reply = await next.checkin(msg, meta);
      await record(checkinEvent(msg, meta, reply.tokenUpdateTally), meta.at);
      return reply;
    },
    // A report's event goes down with it: the core commits it in the report's own transaction.
    async report(report, meta) {
      const ev = acknowledgeEvent(report, meta);
      const outbox = [...(meta.outbox ?? []), { topic: ev.topic, body: JSON.stringify(ev) }];
      return next.report(report, { ...meta, outbox });
    },
  });
}
