// The push layer's interface: wake enrollments through APNs.

export interface PushOutcome {
  id: string;
  ok: boolean;
  /** "sent", an APNs reason (e.g. "BadDeviceToken", "Unregistered"), "no_token", or "not_configured". */
  outcome: string;
  apnsId?: string | null;
  error?: string;
}

export interface Pusher {
  /** True once a push certificate is loaded. */
  readonly configured: boolean;
  /** Push to each enrollment; never throws for per-device failures. */
  push(ids: string[]): Promise<PushOutcome[]>;
  close(): Promise<void>;
}
