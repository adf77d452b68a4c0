// The push layer's interface: wake enrollments through APNs.

export interface PushOutcome {
  id: string;
  ok: boolean;
  /** "sent", an APNs reason (e.g. "BadDeviceToken", "Unregistered"), "no_token", or "not_configured". */
  outcome: string;
  apnsId?: string | null;
  error?: string;
}

/** A certificate-level failure APNs reported (a 403, a refused TLS handshake). */
export interface PushProblem {
  reason: string;
  at: Date;
}

export interface PushOptions {
  /**
   * Do not push again an enrollment pushed at or after this time (its push may not be in the push log
   * yet): its outcome is that push's. A push still in flight is always joined, never repeated.
   */
  notPushedSince?: Date;
  /**
   * Also record a "push.sent" / "push.failed" event per enrollment, stamped with this time, in the
   * push log's commit (push/record.ts). Every caller but the re-push worker asks for them.
   */
  events?: Date;
}

export interface Pusher {
  /** True once a push certificate is loaded. */
  readonly configured: boolean;
  /** Push to each enrollment; never throws for per-device failures, nor for a failing record of them. */
  push(ids: string[], opts?: PushOptions): Promise<PushOutcome[]>;
  /** Certificate-level trouble reported by APNs, cleared by the next accepted push; null when healthy. */
  readonly problem?: PushProblem | null;
  /** Load the stored push certificate again, so an import takes effect without a restart. */
  reload?(): Promise<void>;
  close(): Promise<void>;
}
