// The service contract: what the HTTP layer calls for every MDM request.
// The core service (core.ts) implements it over the Store; middlewares (certauth, webhook, …) wrap it.
import type { CheckinMessage, CommandReport } from '../mdm/types.js';
import type { AuthenticateOutcome, EnrollmentRecord, OutboxEntry } from '../storage/types.js';

export type { CheckinMessage, CommandReport } from '../mdm/types.js';

/**
 * The enrollments to push once a device's request is handled (service/wake.ts makes the set and
 * pushes what it holds, once): while the request runs, whoever queues a command for an enrollment
 * adds it here instead of pushing (EnqueueDeps.wakes, pushEnrollments).
 */
export type Wakes = Set<string>;

export interface RequestMeta {
  /** The exact request body bytes (what Mdm-Signature signs). */
  raw: Buffer;
  /** The query string of the request (ServerURL/CheckInURL parameters the device echoes). */
  urlParams: Record<string, string>;
  /** SHA-256 (hex) of the device identity certificate, when the identity layer resolved one. */
  certHash: string | null;
  at: Date;
  /**
   * Webhook events a middleware hands down with a report: the core commits them in the same
   * transaction as the report itself, so a result is never stored without its event (nor the reverse).
   */
  outbox?: OutboxEntry[];
  /**
   * Set by the ADE step on a device channel's Authenticate: the core has the store bind the device's
   * ADE record with the enrollment (AuthenticateInput.adeBindWindowMs) and answers with `adeBound`.
   */
  adeBindWindowMs?: number;
  /** The request's wakes (service/wake.ts); absent outside a device request, where pushes go out at once. */
  wakes?: Wakes;
}

/** A check-in answer; no body → 200 with an empty body. */
export interface CheckinReply {
  body?: Buffer | string;
  contentType?: string;
  /** Set by the core on TokenUpdate (NanoMDM's webhook carries it as token_update_tally). */
  tokenUpdateTally?: number;
  /** Set by the core on TokenUpdate: the enrollment as the TokenUpdate left it. */
  enrollment?: EnrollmentRecord;
  /** Set by the core on TokenUpdate: whether the device's ADE enrollment record is active (read with the TokenUpdate). */
  adeActive?: boolean;
  /** Set by the core on a device channel's Authenticate: the certificate hash it stored as the binding (pending binding cleared). */
  boundCertHash?: string;
  /** Set by the core on an Authenticate asked for the ADE bind (RequestMeta.adeBindWindowMs): the store's outcome. */
  adeBound?: AuthenticateOutcome;
}

export interface MdmService {
  checkin(msg: CheckinMessage, meta: RequestMeta): Promise<CheckinReply>;
  /** A command-channel report (Idle or a result); returns the next command's plist bytes or null (→ empty body). */
  report(report: CommandReport, meta: RequestMeta): Promise<Buffer | null>;
}

export type MdmMiddleware = (next: MdmService) => MdmService;

/** A refusal with the HTTP status to answer (never 401: that unenrolls devices). */
export class ServiceError extends Error {
  constructor(
    readonly httpStatus: 400 | 403 | 404 | 409 | 410 | 500,
    message: string,
  ) {
    super(message);
    this.name = 'ServiceError';
  }
}
