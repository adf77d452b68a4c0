// Listens to the fake APNs wake channel (GET /wakes long-poll, see src/push/wake-channel.ts) and
// hands each pushed token to the fleet. One listener per process, whatever the fleet size; tokens
// of other processes' devices are ignored, so several simulators can share one fake APNs.
import type { Http } from './http.js';

export class WakeListener {
  private since = 0;
  private running = false;
  /** Aborts the long-poll in flight on stop(), so nothing waits out its 25 s (Fleet.stop waits for requests in flight). */
  private readonly abort = new AbortController();

  constructor(private readonly http: Http, private readonly url: string, private readonly onToken: (token: string) => void) {}

  /** Takes the current cursor (older pushes are not replayed), or resumes from `since` (another
   * listener's cursor: pushes after it are replayed), then long-polls in the background. */
  async start(since?: number): Promise<void> {
    const res = await this.http.request('GET', `${this.url}/wakes?since=0&timeout=0`);
    if (res.status !== 200) throw new Error(`wake channel ${this.url} answered ${res.status}`);
    this.since = since ?? (JSON.parse(res.body.toString('utf8')) as { next: number }).next;
    this.running = true;
    void this.loop();
  }

  private async loop(): Promise<void> {
    while (this.running) {
      try {
        const res = await this.http.request('GET', `${this.url}/wakes?since=${this.since}&timeout=25000`, undefined, {}, this.abort.signal);
        if (!this.running) return;
        const body = JSON.parse(res.body.toString('utf8')) as { next: number; wakes: Array<{ token: string }> };
        this.since = body.next;
        for (const w of new Set(body.wakes.map((x) => x.token))) this.onToken(w);
      } catch {
        if (this.running) await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  /** The cursor after the last pushes handed on. */
  get cursor(): number {
    return this.since;
  }

  stop(): void {
    this.running = false;
    this.abort.abort();
  }
}
