// Admission for expensive requests (SCEP PKIOperation: three RSA private-key operations each): at most
// `concurrent` run at once, at most `queued` wait, and the rest are turned away at once (503 with
// Retry-After), so a whole fleet enrolling in a burst neither grows memory without bound nor starves
// the check-ins that share the event loop. A place passes to the next waiter through setImmediate:
// with SQLite a PKIOperation's awaits all settle as microtasks, so handing over directly would run the
// whole queue back to back without the event loop ever reading another socket.

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
      if (next) setImmediate(next); // the place passes to the next waiter, after pending I/O
      else this.running--;
    }
  }

  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }
}
