// Admission for expensive requests (SCEP PKIOperation: three RSA private-key operations each): at most
// `concurrent` run at once, at most `queued` wait, and the rest are turned away at once (503 with
// Retry-After), so a whole fleet enrolling in a burst neither grows memory without bound nor starves
// the check-ins that share the event loop.

export class Gate {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly concurrent: number, readonly queued: number) {}

  /** Runs `fn` when a place is free; null (without running it) when the queue is full. */
  async run<T>(fn: () => Promise<T>): Promise<T | null> {
    if (this.running >= this.concurrent) {
      if (this.waiting.length >= this.queued) return null;
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else this.running++;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next(); // the place passes straight to the next waiter
      else this.running--;
    }
  }

  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }
}
