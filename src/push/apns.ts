// The APNs provider: wakes enrollments with {"mdm": PushMagic} and acts on what APNs answers.
// What each answer means is data (ACTIONS); the transport is apns-client.ts.
import type { Logger } from 'pino';
import type { PushStore, PushTarget } from '../storage/types.js';
import { ApnsClient, ApnsTransportError, type ApnsResponse } from './apns-client.js';
import type { PushCertificate } from './cert.js';
import type { Pusher, PushOutcome, PushProblem } from './types.js';

/**
 * What to do with an APNs answer.
 * sent: delivered to APNs. retry: try again with backoff (rate limit, APNs trouble).
 * invalidate: the token is dead until the device's next TokenUpdate. certificate: the push
 * certificate itself is refused, so every push will fail. record: a per-push failure, kept in the log.
 */
type Action = 'sent' | 'retry' | 'invalidate' | 'certificate' | 'record';

const ACTIONS: Record<number, Action> = {
  200: 'sent',
  400: 'record', // BadDeviceToken, BadTopic, DeviceTokenNotForTopic, PayloadEmpty…
  403: 'certificate', // BadCertificate, BadCertificateEnvironment, Forbidden…
  404: 'record', // BadPath
  405: 'record', // MethodNotAllowed
  410: 'invalidate', // Unregistered, ExpiredToken
  413: 'record', // PayloadTooLarge
  429: 'retry', // TooManyRequests
  500: 'retry', // InternalServerError
  503: 'retry', // ServiceUnavailable, Shutdown
};

function actionFor(status: number): Action {
  return ACTIONS[status] ?? (status >= 500 ? 'retry' : 'record');
}

/** TLS alerts that mean APNs refused our certificate during the handshake. */
const CERT_TLS_ERROR = /CERTIFICATE|BAD_CERT|UNKNOWN_CA|ACCESS_DENIED|closed_after_handshake/i;

export interface ApnsPusherOptions {
  store: PushStore;
  cert: PushCertificate;
  logger: Logger;
  /** APNs base URL. Default https://api.push.apple.com. */
  url?: string;
  /** Extra CA (PEM) to trust, for a fake APNs server. */
  ca?: string | null;
  maxConcurrentStreams?: number;
  /** Extra attempts after 429, 5xx or a transport error (the re-push worker covers longer outages). Default 2. */
  retries?: number;
  /** First retry delay in ms, doubled each time (with jitter). Default 500. */
  retryDelayMs?: number;
  now?: () => Date;
}

export class ApnsPusher implements Pusher {
  readonly configured = true;
  readonly topic: string;
  readonly notAfter: Date;
  problem: PushProblem | null = null;
  private readonly client: ApnsClient;
  private readonly retries: number;
  private readonly retryDelayMs: number;
  private readonly now: () => Date;

  constructor(private readonly opts: ApnsPusherOptions) {
    this.topic = opts.cert.topic;
    this.notAfter = opts.cert.notAfter;
    this.retries = opts.retries ?? 2;
    this.retryDelayMs = opts.retryDelayMs ?? 500;
    this.now = opts.now ?? (() => new Date());
    this.client = new ApnsClient({
      url: opts.url ?? 'https://api.push.apple.com',
      certPem: opts.cert.certPem,
      keyPem: opts.cert.keyPem,
      ca: opts.ca,
      maxConcurrentStreams: opts.maxConcurrentStreams,
      headers: { 'apns-topic': opts.cert.topic, 'apns-push-type': 'mdm' },
      onGoaway: (reason) => {
        opts.logger.warn({ reason }, 'APNs sent GOAWAY; reconnecting on the next push');
        if (reason && /Certificate|Forbidden/.test(reason)) this.setProblem(reason);
      },
    });
  }

  /** Sessions opened to APNs so far. */
  get connects(): number {
    return this.client.connects;
  }

  async push(ids: string[]): Promise<PushOutcome[]> {
    const unique = [...new Set(ids)];
    const targets = new Map((await this.opts.store.pushTargets(unique)).map((t) => [t.id, t]));
    return Promise.all(
      unique.map((id) => {
        const target = targets.get(id);
        if (target) return this.pushOne(target);
        return { id, ok: false, outcome: 'no_token', error: 'no usable push token: not enrolled, checked out, or unregistered by APNs until its next TokenUpdate' };
      }),
    );
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  private async pushOne(target: PushTarget): Promise<PushOutcome> {
    const payload = JSON.stringify({ mdm: target.pushMagic });
    for (let attempt = 0; ; attempt++) {
      let res: ApnsResponse;
      try {
        res = await this.client.send(target.pushToken, payload);
      } catch (err) {
        if (!(err instanceof ApnsTransportError)) throw err;
        await this.record(target.id, err.code, null, null);
        if (CERT_TLS_ERROR.test(err.code) || CERT_TLS_ERROR.test(err.message)) this.setProblem(err.message);
        if (attempt < this.retries && err.code !== 'closed') {
          await this.backoff(attempt);
          continue;
        }
        return { id: target.id, ok: false, outcome: err.code, error: err.message };
      }
      const action = actionFor(res.status);
      const outcome = action === 'sent' ? 'sent' : (res.reason ?? `HTTP ${res.status}`);
      await this.record(target.id, outcome, res.status, res.apnsId);
      switch (action) {
        case 'sent':
          if (this.problem) this.clearProblem();
          return { id: target.id, ok: true, outcome, apnsId: res.apnsId };
        case 'retry':
          if (attempt < this.retries) {
            await this.backoff(attempt);
            continue;
          }
          break;
        case 'invalidate':
          await this.opts.store.markPushInvalid(target.id, this.now()).catch((err: Error) => {
            this.opts.logger.error({ err, enrollmentId: target.id }, 'cannot mark the push token invalid');
          });
          break;
        case 'certificate':
          this.setProblem(outcome);
          break;
        case 'record':
          break;
      }
      return { id: target.id, ok: false, outcome, apnsId: res.apnsId, error: `APNs answered ${res.status} ${outcome}` };
    }
  }

  /** Log the attempt; a failing store is logged, not thrown, so the push's outcome still reaches the caller. */
  private async record(enrollmentId: string, outcome: string, httpStatus: number | null, apnsId: string | null): Promise<void> {
    try {
      await this.opts.store.recordPush({ enrollmentId, outcome, httpStatus, apnsId, at: this.now() });
    } catch (err) {
      this.opts.logger.error({ err, enrollmentId, outcome }, 'cannot record a push attempt');
    }
  }

  private backoff(attempt: number): Promise<void> {
    const ms = this.retryDelayMs * 2 ** attempt * (0.8 + Math.random() * 0.4);
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  private setProblem(reason: string): void {
    if (this.problem?.reason !== reason) {
      this.opts.logger.error({ topic: this.topic, reason }, 'APNs refuses the push certificate: pushes will fail until it is fixed or renewed');
    }
    this.problem = { reason, at: this.now() };
  }

  private clearProblem(): void {
    this.opts.logger.info({ topic: this.topic }, 'APNs accepts the push certificate again');
    this.problem = null;
  }
}
