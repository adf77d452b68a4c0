import { recordPushBatch, type PushRecording } from './record.js';
import type { Pusher, PushOptions, PushOutcome } from './types.js';

/**
 * Used until a push certificate is imported: answers every push with "not_configured". Nothing goes to
 * the push log; the push events a caller asks for are recorded where `recording` says (none without it).
 */
export class UnconfiguredPusher implements Pusher {
  readonly configured = false;
  constructor(private readonly recording?: PushRecording) {}
  async push(ids: string[], opts: PushOptions = {}): Promise<PushOutcome[]> {
    const outcomes = ids.map((id) => ({ id, ok: false, outcome: 'not_configured', error: 'push is not configured: import a push certificate' }));
    if (this.recording && opts.events) await recordPushBatch(this.recording, [], outcomes, opts.events);
    return outcomes;
  }
  async close(): Promise<void> {}
}
