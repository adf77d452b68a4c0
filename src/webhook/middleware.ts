// The webhook middleware: after the inner service handled a check-in or report, the event is written
// to the durable outbox (one insert); the worker delivers it. A receiver never slows device traffic.
import type { Logger } from 'pino';
import type { MdmMiddleware, MdmService } from '../service/types.js';
import type { Store } from '../storage/types.js';
import { acknowledgeEvent, checkinEvent, type WebhookEvent } from './event.js';

export interface WebhookMiddlewareOptions {
  logger?: Logger;
}

export function webhookMiddleware(store: Store, opts: WebhookMiddlewareOptions = {}): MdmMiddleware {
  /** An outbox failure is logged, never turned into a device error: the device's request already succeeded. */
  async function record(ev: WebhookEvent, at: Date): Promise<void> {
    try {
      await store.outboxAdd(ev.topic, JSON.stringify(ev), at);
    } catch (err) {
      opts.logger?.error({ err, topic: ev.topic }, 'webhook event not recorded');
    }
  }
  return (next: MdmService): MdmService => ({
    async checkin(msg, meta) {
      const reply = await next.checkin(msg, meta);
      await record(checkinEvent(msg, meta, reply.tokenUpdateTally), meta.at);
      return reply;
    },
    async report(report, meta) {
      const command = await next.report(report, meta);
      await record(acknowledgeEvent(report, meta), meta.at);
      return command;
    },
  });
}
