// One push per device request. While a device's request is handled, whoever would wake an enrollment
// (the inventory observer queueing its queries, DDM turned on, ADE's commands, a campaign's next step)
// only adds it to the request's wakes (RequestMeta.wakes, passed on as EnqueueDeps.wakes, where
// pushEnrollments notes it). Once the handler and every follow-up are done, this middleware is the
// one place that decides:
//   - a command result (the connect endpoint): the device is connected now. Its answer already holds
//     a command: it comes back for the next one by itself. Its answer is empty: it is handed its new
//     command in this answer (store.nextCommand). Either way it is not pushed.
//   - everyone else (the device itself after a check-in, whose answer never holds a command): one
//     push each, all in one pusher call, their push log and push events in one commit.
// Idle polls tell no observer, so they pass straight through. A failed push (or look-up) is logged and
// never fails the request. A push lost to a crash is the re-push worker's: the commands were queued,
// unsent, before the push was tried (and a command handed in an answer carries its sentAt).
import type { Logger } from 'pino';
import type { Pusher } from '../push/types.js';
import type { Store } from '../storage/types.js';
import { pushEnrollments } from './enqueue.js';
import type { CommandReport, MdmMiddleware, RequestMeta, Wakes } from './types.js';

export interface WakeDeps {
  store: Store;
  pusher: Pusher;
  logger?: Logger;
}

export function wakeOnce(deps: WakeDeps): MdmMiddleware {
  const { store, logger } = deps;

  async function flush(wakes: Wakes, at: Date): Promise<void> {
    if (wakes.size === 0) return;
    try {
      await pushEnrollments({ store, pusher: deps.pusher }, [...wakes], at);
    } catch (err) {
      logger?.warn({ err, enrollments: wakes.size }, 'push after the request failed (the re-push worker retries)');
    }
  }

  /** The reporting device's answer once its follow-ups queued for it: the new command when the answer was empty. */
  async function answerOf(id: string, answer: Buffer | null, wakes: Wakes, at: Date): Promise<Buffer | null> {
    if (!wakes.delete(id) || answer !== null) return answer;
    try {
      const next = await store.nextCommand(id, at);
      if (next) return next.raw;
    } catch (err) {
      logger?.warn({ err, enrollmentId: id }, 'next command not read after the result: pushing instead');
    }
    wakes.add(id);
    return null;
  }

  return (next) => {
    async function report(r: CommandReport, meta: RequestMeta): Promise<Buffer | null> {
      const wakes: Wakes = new Set();
      let answer: Buffer | null;
      try {
        answer = await next.report(r, { ...meta, wakes });
      } catch (err) {
        await flush(wakes, meta.at);
        throw err;
      }
      if (wakes.size === 0) return answer; // most results: no follow-up queued anything
      answer = await answerOf(r.enrollment.id, answer, wakes, meta.at);
      await flush(wakes, meta.at);
      return answer;
    }
    return {
      async checkin(msg, meta) {
        const wakes: Wakes = new Set();
        try {
          return await next.checkin(msg, { ...meta, wakes });
        } finally {
          await flush(wakes, meta.at);
        }
      },
      report: (r, meta) => (r.status === 'Idle' ? next.report(r, meta) : report(r, meta)),
    };
  };
}
