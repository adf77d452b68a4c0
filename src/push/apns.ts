// The APNs provider: wakes enrollments with {"mdm": PushMagic} and acts on what APNs answers.
// What each answer means is data (ACTIONS); the transport is apns-client.ts.
import type { Logger } from 'pino';
import type { PushLogInput, PushStore, PushTarget } from '../storage/types.js';
import { ApnsClient, ApnsTransportError, type ApnsResponse } from './apns-client.js';
import type { PushCertificate } from './cert.js';
import { PushFlights } from './flights.js';
import { recordPushBatch } from './record.js';
import type { Pusher, PushOptions, PushOutcome, PushProblem } from './types.js';

/**
 * What to do with an APNs answer.
 * sent: delivered to APNs. retry: try again with backoff (rate limit, APNs trouble).
 * invalidate: the token is dead until the device's next TokenUpdate (no push, no re-push until then). certificate: the push
 * certificate itself is refused, so every push will fail. record: a per-push failure, kept in the log.
 */
type Action = 'sent' | 'retry' | 'invalidate' | 'certificate' | 'record';

const ACTIONS: Record<number, Action> = {
  200: 'sent',
  400: 'record', // BadTopic, DeviceTokenNotForTopic, PayloadEmpty… (BadDeviceToken: see REASON_ACTIONS)
  403: 'certificate', // BadCertificate, BadCertificateEnvironment, Forbidden…
  404: 'record', // BadPath
  405: 'record', // MethodNotAllowed
  410: 'invalidate', // Unregistered, ExpiredToken
  413: 'record', // PayloadTooLarge
  429: 'retry', // TooManyRequests
  500: 'retry', // InternalServerError
  503: 'retry', // ServiceUnavailable, Shutdown
};

/**
 * Reasons that decide apart from their status. BadDeviceToken (400): the token is not valid for this
 * topic and environment, and Apple asks providers not to retry it, so it is dead like a 410 until
 * the device sends a new one in a TokenUpdate.
 */
const REASON_ACTIONS: Record<string, Action> = {
  BadDeviceToken: 'invalidate',
};

function actionFor(status: number, reason: string | null | undefined): Action {
  return (reason ? REASON_ACTIONS[reason] : undefined) ?? ACTIONS[status] ?? (status >= 500 ? 'retry' : 'record');
}

/** TLS alerts that mean APNs refused our certificate during the handshake. */
const CERT_TLS_ERROR = /CERTIFICATE|BAD_CERT|UNKNOWN_CA|ACCESS_DENIED|closed_after_handshake/i;

const NO_TOKEN = 'no usable push token: not enrolled, checked out, or unregistered by APNs until its next TokenUpdate';

/** An MDM push's whole payload: {"mdm": PushMagic}, as bytes ready for the stream. */
function mdmPayload(pushMagic: string): Buffer {
  return Buffer.from(`{"mdm":${JSON.stringify(pushMagic)}}`);
}

/** One push() call: outcomes by position, the log rows and the tokens to invalidate, settled together. */
class Batch {
  readonly outcomes: PushOutcome[];
  readonly log: PushLogInput[] = [];
  readonly invalid: string[] = [];
  private left: number;

  constructor(size: number, private readonly done: (b: Batch) => void) {
    this.outcomes = new Array<PushOutcome>(size);
    this.left = size;
    if (size === 0) done(this);
  }

  settle(i: number, outcome: PushOutcome): void {
    this.outcomes[i] = outcome;
    if (--this.left === 0) this.done(this);
  }
}

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
  private readonly flights: PushFlights;

  constructor(private readonly opts: ApnsPusherOptions) {
    this.topic = opts.cert.topic;
    this.notAfter = opts.cert.notAfter;
    this.retries = opts.retries ?? 2;
    this.retryDelayMs = opts.retryDelayMs ?? 500;
    this.now = opts.now ?? (() => new Date());
    this.flights = new PushFlights(() => this.now().getTime());
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

  /**
   * Push to each enrollment. Pushes go out as callbacks on the shared HTTP/2 session (no promise per
   * push); the batch's push-log rows, with its push events when asked (`events`), are written in one
   * commit once every push has its answer. An enrollment whose push is still in flight (until its log
   * row is written) is joined, not pushed again; see PushFlights for `notPushedSince`. The events of
   * the outcomes joined from another call's push are this call's, written after it in their own commit.
   */
  async push(ids: string[], opts: PushOptions = {}): Promise<PushOutcome[]> {
    let sent: string[] = [];
    const outcomes = await this.flights.run([...new Set(ids)], opts.notPushedSince, (fresh) => this.send((sent = fresh), opts.events));
    if (opts.events && sent.length < outcomes.length) {
      const mine = new Set(sent);
      await recordPushBatch(this.opts, [], outcomes.filter((o) => !mine.has(o.id)), opts.events);
    }
    return outcomes;
  }

  private async send(unique: string[], eventsAt: Date | undefined): Promise<PushOutcome[]> {
    const targets = new Map((await this.opts.store.pushTargets(unique)).map((t) => [t.id, t]));
    const batch = await new Promise<Batch>((resolve) => {
      const b = new Batch(unique.length, resolve);
      for (let i = 0; i < unique.length; i++) {
        const target = targets.get(unique[i]!);
        if (target) this.attempt(b, i, target, mdmPayload(target.pushMagic), 0);
        else b.settle(i, { id: unique[i]!, ok: false, outcome: 'no_token', error: NO_TOKEN });
      }
    });
    await Promise.all([recordPushBatch(this.opts, batch.log, batch.outcomes, eventsAt), ...batch.invalid.map((id) => this.invalidate(id))]);
    return batch.outcomes;
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  private attempt(batch: Batch, i: number, target: PushTarget, payload: Buffer, attempt: number): void {
    this.client.post(target.pushToken, payload, (err, res) => {
      if (err) this.onTransportError(batch, i, target, payload, attempt, err);
      else this.onAnswer(batch, i, target, payload, attempt, res!);
    });
  }

  private onTransportError(batch: Batch, i: number, target: PushTarget, payload: Buffer, attempt: number, err: ApnsTransportError): void {
    batch.log.push({ enrollmentId: target.id, outcome: err.code, httpStatus: null, apnsId: null, at: this.now() });
    if (CERT_TLS_ERROR.test(err.code) || CERT_TLS_ERROR.test(err.message)) this.setProblem(err.message);
    if (attempt < this.retries && err.code !== 'closed') {
      this.retryLater(attempt, () => this.attempt(batch, i, target, payload, attempt + 1));
      return;
    }
    batch.settle(i, { id: target.id, ok: false, outcome: err.code, error: err.message });
  }

  private onAnswer(batch: Batch, i: number, target: PushTarget, payload: Buffer, attempt: number, res: ApnsResponse): void {
    const action = actionFor(res.status, res.reason);
    const outcome = action === 'sent' ? 'sent' : (res.reason ?? `HTTP ${res.status}`);
    batch.log.push({ enrollmentId: target.id, outcome, httpStatus: res.status, apnsId: res.apnsId, at: this.now() });
    switch (action) {
      case 'sent':
        if (this.problem) this.clearProblem();
        batch.settle(i, { id: target.id, ok: true, outcome, apnsId: res.apnsId });
        return;
      case 'retry':
        if (attempt < this.retries) {
          this.retryLater(attempt, () => this.attempt(batch, i, target, payload, attempt + 1));
          return;
        }
        break;
      case 'invalidate':
        batch.invalid.push(target.id);
        break;
      case 'certificate':
        this.setProblem(outcome);
        break;
      case 'record':
        break;
    }
    batch.settle(i, { id: target.id, ok: false, outcome, apnsId: res.apnsId, error: `APNs answered ${res.status} ${outcome}` });
  }

  private async invalidate(id: string): Promise<void> {
    await this.opts.store.markPushInvalid(id, this.now()).catch((err: Error) => {
      this.opts.logger.error({ err, enrollmentId: id }, 'cannot mark the push token invalid');
    });
  }

  private retryLater(attempt: number, again: () => void): void {
    const ms = this.retryDelayMs * 2 ** attempt * (0.8 + Math.random() * 0.4);
    setTimeout(again, ms);
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
