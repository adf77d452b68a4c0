// Webhook delivery from the durable outbox: claim due items (leased, so several processes can share
// one database), POST each with a timeout, mark 2xx done, reschedule anything else with exponential
// backoff and jitter. Undelivered items survive restarts: they are simply claimed again.
import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import type { OutboxItem, Store } from '../storage/types.js';

export interface WebhookWorkerOptions {
  store: Store;
  url: string;
  /** HMAC-SHA256 key: adds X-Hmac-Signature (base64 of the HMAC of the body), as NanoMDM does. */
  secret?: string | null;
  logger?: Logger;
  /** Idle wait between polls (ms, default 1000). */
  pollMs?: number;
  /** Per-delivery timeout (ms, default 10000). */
  timeoutMs?: number;
  /** Items claimed per poll (default 50). */
  batch?: number;
  /** Enrollments delivered to in parallel (default 8); one enrollment's events stay in order. */
  concurrency?: number;
  /** First retry delay (ms, default 1000) and the cap (ms, default 1 h). */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

export interface WebhookWorker {
  stop(): Promise<void>;
}

/** Delay before retry number `attempts` (1-based): base·2^(attempts-1), capped, with jitter in [½, 1]. */
export function backoffDelay(attempts: number, baseMs: number, maxMs: number, random = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(attempts - 1, 0), 40));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export function hmacSignature(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body, 'utf8').digest('base64');
}

/** Events are ordered per enrollment: the key is the enrollment ID the event carries. */
function enrollmentKey(item: OutboxItem): string {
  try {
    const ev = JSON.parse(item.body) as { checkin_event?: { ids?: { id?: string } }; acknowledge_event?: { ids?: { id?: string } } };
    return ev.checkin_event?.ids?.id ?? ev.acknowledge_event?.ids?.id ?? `#${item.id}`;
  } catch {
    return `#${item.id}`;
  }
}

/** POST one event; resolves to null on 2xx, else the reason. */
async function deliver(item: OutboxItem, opts: WebhookWorkerOptions, timeoutMs: number, stop: AbortSignal): Promise<string | null> {
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'updraft-webhook' };
  if (opts.secret) headers['x-hmac-signature'] = hmacSignature(opts.secret, item.body);
  try {
    const res = await fetch(opts.url, { method: 'POST', headers, body: item.body, signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), stop]) });
    await res.body?.cancel();
    return res.ok ? null : `HTTP ${res.status}`;
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    return e.name === 'TimeoutError' ? `timeout after ${timeoutMs} ms` : (e.cause?.code ?? e.message);
  }
}

export function startWebhookWorker(opts: WebhookWorkerOptions): WebhookWorker {
  const pollMs = opts.pollMs ?? 1000;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const batch = opts.batch ?? 50;
  const concurrency = opts.concurrency ?? 8;
  const baseMs = opts.backoffBaseMs ?? 1000;
  const maxMs = opts.backoffMaxMs ?? 3600_000;
  let stopped = false;
  const stopping = new AbortController();
  let timer: NodeJS.Timeout | null = null;
  let wake: (() => void) | null = null;

  /**
   * One poll. Events of one enrollment go out in order, different enrollments in parallel (up to
   * `concurrency`). After a failure nothing new is attempted in this poll: the failed event and every
   * event not yet sent wait for the same retry time. Returns how many were delivered.
   */
  async function cycle(): Promise<number> {
    const now = new Date();
    // The lease covers the batch's deliveries (rounds of `concurrency`, each up to the timeout): a
    // process killed meanwhile leaves its items to be claimed again once it runs out.
    const lease = Math.ceil(batch / concurrency) * timeoutMs + 5000;
    const items = await opts.store.outboxClaim(now, new Date(now.getTime() + lease), batch);
    const byEnrollment = new Map<string, OutboxItem[]>();
    for (const item of items) {
      const key = enrollmentKey(item);
      byEnrollment.set(key, [...(byEnrollment.get(key) ?? []), item]);
    }
    const groups = [...byEnrollment.values()];
    let delivered = 0;
    let failure: { error: string; retryAt: Date } | null = null;
    const release = (rest: OutboxItem[], failed?: OutboxItem) =>
      Promise.all(rest.map((r) => opts.store.outboxRetry(r.id, failure!.retryAt, r === failed ? failure!.error : `waiting: ${failure!.error}`)));

    async function send(group: OutboxItem[]): Promise<void> {
      for (let i = 0; i < group.length; i++) {
        const item = group[i]!;
        if (stopped) failure ??= { error: 'worker stopped', retryAt: new Date() }; // handed back for the next start
        if (failure) return void (await release(group.slice(i)));
        const error = await deliver(item, opts, timeoutMs, stopping.signal);
        if (error === null) {
          await opts.store.outboxDone(item.id, new Date());
          delivered++;
          continue;
        }
        if (!failure) {
          const retryAt = new Date(stopped ? Date.now() : Date.now() + backoffDelay(item.attempts, baseMs, maxMs));
          failure = { error, retryAt };
          if (!stopped) opts.logger?.warn({ topic: item.topic, attempts: item.attempts, error, retryAt }, 'webhook delivery failed');
        }
        return void (await release(group.slice(i), item));
      }
    }

    await Promise.all(
      Array.from({ length: Math.min(concurrency, groups.length) }, async () => {
        for (let group = groups.shift(); group; group = groups.shift()) await send(group);
      }),
    );
    return failure ? 0 : delivered;
  }

  const loop = (async () => {
    while (!stopped) {
      let delivered = 0;
      try {
        delivered = await cycle();
      } catch (err) {
        opts.logger?.error({ err }, 'webhook worker poll failed');
      }
      if (delivered < batch && !stopped) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          timer = setTimeout(resolve, pollMs);
        });
      }
    }
  })();

  return {
    async stop() {
      stopped = true;
      stopping.abort();
      if (timer) clearTimeout(timer);
      wake?.();
      await loop;
    },
  };
}
