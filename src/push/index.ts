// The pusher the server runs with: loads the stored push certificate, answers "not_configured"
// until there is one, swaps in a fresh APNs provider when a new certificate is imported (reload)
// or another server process stored one, and warns in the log as the certificate nears expiry.
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { DEFAULT_APNS_URL, type Config } from '../config.js';
import type { PushStore } from '../storage/types.js';
import { ApnsPusher } from './apns.js';
import type { Pusher, PushOptions, PushOutcome, PushProblem } from './types.js';
import { UnconfiguredPusher } from './unconfigured.js';

/** Warn this long before the push certificate expires. */
export const EXPIRY_WARNING_DAYS = 30;
const DAY_MS = 86_400_000;
/** How often to look for a certificate stored (or replaced) by another process and re-check expiry. */
const CHECK_EVERY_MS = 60_000;
/** Without a certificate, a push first looks for one another process stored, at most this often. */
const UNCONFIGURED_CHECK_MS = 2_000;

/** The log line for a certificate expiring soon or already expired, or null when it is fine. */
export function expiryWarning(topic: string, notAfter: Date, now: Date): string | null {
  const days = Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS);
  if (notAfter.getTime() <= now.getTime()) {
    return `the push certificate for ${topic} expired on ${notAfter.toISOString()}: devices cannot be woken; renew it at identity.apple.com with the same Apple ID and import it`;
  }
  if (days < EXPIRY_WARNING_DAYS) {
    return `the push certificate for ${topic} expires in ${days} day${days === 1 ? '' : 's'} (${notAfter.toISOString()}): renew it at identity.apple.com with the same Apple ID (the topic must not change) and import it`;
  }
  return null;
}

export interface CreatePusherOptions {
  store: PushStore;
  config: Pick<Config, 'apnsUrl' | 'apnsCa'>;
  logger: Logger;
  /** Tuning for the APNs provider (tests use short retry delays). */
  retries?: number;
  retryDelayMs?: number;
  maxConcurrentStreams?: number;
  now?: () => Date;
}

export class ManagedPusher implements Pusher {
  private current: Pusher;
  private loadedAt: number | null = null;
  private warnedAt = -Infinity;
  private checkedAt = -Infinity;
  private readonly timer: NodeJS.Timeout;
  private readonly ca: string | null;
  private readonly now: () => Date;

  constructor(private readonly opts: CreatePusherOptions) {
    this.now = opts.now ?? (() => new Date());
    this.current = new UnconfiguredPusher({ store: opts.store, logger: opts.logger });
    this.ca = opts.config.apnsCa ? readFileSync(opts.config.apnsCa, 'utf8') : null;
    this.timer = setInterval(() => {
      this.reload().catch((err: Error) => opts.logger.error({ err }, 'push certificate check failed'));
    }, CHECK_EVERY_MS);
    this.timer.unref();
  }

  get configured(): boolean {
    return this.current.configured;
  }

  get problem(): PushProblem | null {
    return this.current.problem ?? null;
  }

  async push(ids: string[], opts?: PushOptions): Promise<PushOutcome[]> {
    // A certificate imported through another node is used here at the next push, not a minute later.
    if (!this.current.configured && Date.now() - this.checkedAt >= UNCONFIGURED_CHECK_MS) {
      this.checkedAt = Date.now();
      await this.reload().catch((err: Error) => this.opts.logger.error({ err }, 'push certificate check failed'));
    }
    return this.current.push(ids, opts);
  }

  /** Load the stored certificate; a changed one replaces the running provider. Logs expiry warnings. */
  async reload(): Promise<void> {
    const record = await this.opts.store.getPushCert();
    if (!record) return;
    const now = this.now().getTime();
    const warning = expiryWarning(record.topic, record.notAfter, new Date(now));
    if (warning && now - this.warnedAt >= DAY_MS) {
      this.opts.logger.warn({ topic: record.topic, notAfter: record.notAfter }, warning);
      this.warnedAt = now;
    }
    if (record.updatedAt.getTime() === this.loadedAt) return;
    const previous = this.current;
    this.current = new ApnsPusher({
      store: this.opts.store,
      cert: record,
      logger: this.opts.logger,
      url: this.opts.config.apnsUrl ?? DEFAULT_APNS_URL,
      ca: this.ca,
      retries: this.opts.retries,
      retryDelayMs: this.opts.retryDelayMs,
      maxConcurrentStreams: this.opts.maxConcurrentStreams,
      now: this.now,
    });
    this.loadedAt = record.updatedAt.getTime();
    this.opts.logger.info({ topic: record.topic, notAfter: record.notAfter }, 'push certificate loaded');
    await previous.close();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.current.close();
  }
}

/** The server's pusher, with the stored push certificate loaded if there is one. */
export async function createPusher(opts: CreatePusherOptions): Promise<ManagedPusher> {
  const pusher = new ManagedPusher(opts);
  await pusher.reload();
  return pusher;
}
