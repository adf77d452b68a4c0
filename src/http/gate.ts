// Admission for expensive requests (SCEP PKIOperation: three RSA private-key operations each): at most
// `concurrent` run at once, at most `queued` wait, and the rest are turned away at once (503 with
// Retry-After), so a whole fleet enrolling in a burst neither grows memory without bound nor starves
// the check-ins that share the event loop. With SQLite a PKIOperation's awaits all settle as
// microtasks: it runs start to finish in one go. So work never starts in the turn that admits it but
// from setImmediate, and a place passes to the next waiter the same way: each turn of the event loop
// runs at most `concurrent` of them and then reads the other sockets. (Started at once, every request
// of a burst arriving in one poll phase ran its RSA operations back to back: a device's Idle waited
// 2-4 s behind a burst of 1,000.)

export class Gate {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly concurrent: number, readonly queued: number) {}

  /** Runs `fn` when a place is free; null (without running it) when the queue is full. */
  async run<T>(fn: () => Promise<T>): Promise<T | null> {
    if (this.running >= this.concurrent) {
      if (this.waiting.length >= this.queued) return null;
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
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
