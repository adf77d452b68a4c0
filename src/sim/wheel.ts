// One timer for the whole fleet: a binary min-heap of (simulated time, device, kind) and a single
// setTimeout for the earliest entry, so 10,000 devices cost no timer each.

export type EventKind = 'step' | 'poll' | 'boot' | 'unlock' | 'power';

interface Entry { at: number; index: number; kind: EventKind }

export class Wheel {
  private readonly heap: Entry[] = [];
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  private stopped = false;

  /** now(): simulated ms; factor: simulated per real ms; fire: called for each due entry. */
  constructor(private readonly now: () => number, private readonly factor: number, private readonly fire: (index: number, kind: EventKind) => void) {}

  add(at: number, index: number, kind: EventKind): void {
    if (this.stopped) return;
    const h = this.heap;
    h.push({ at, index, kind });
    for (let i = h.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (h[p].at <= h[i].at) break;
      [h[p], h[i]] = [h[i], h[p]];
      i = p;
    }
    if (at < this.timerAt) this.arm();
  }

  get size(): number {
    return this.heap.length;
  }

  private pop(): Entry {
    const h = this.heap;
    const top = h[0];
    const last = h.pop()!;
    if (h.length) {
      h[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && h[l].at < h[m].at) m = l;
        if (r < h.length && h[r].at < h[m].at) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i], h[m]];
        i = m;
      }
    }
    return top;
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = Infinity;
    if (!this.heap.length || this.stopped) return;
    this.timerAt = this.heap[0].at;
    const delay = Math.max(0, Math.min(2 ** 31 - 1, (this.timerAt - this.now()) / this.factor));
    this.timer = setTimeout(() => this.run(), delay);
  }

  private run(): void {
    this.timer = null;
    this.timerAt = Infinity;
    const now = this.now();
    while (this.heap.length && this.heap[0].at <= now) {
      const e = this.pop();
      this.fire(e.index, e.kind);
    }
    this.arm();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}
