import type { Pusher, PushOutcome } from './types.js';

/** Used until a push certificate is imported: answers every push with "not_configured". */
export class UnconfiguredPusher implements Pusher {
  readonly configured = false;
  async push(ids: string[]): Promise<PushOutcome[]> {
    return ids.map((id) => ({ id, ok: false, outcome: 'not_configured', error: 'push is not configured: import a push certificate' }));
  }
  async close(): Promise<void> {}
}
