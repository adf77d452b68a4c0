// Pushes in flight, so one device is not pushed twice for one wake-up. An APNs push is answered in
// milliseconds, but its push-log row is written only once the whole batch is answered; until then a
// second caller (the re-push worker, another enqueue) would see no push and send another one. Here
// a push to an id already in flight is joined instead of sent again, and a caller that asks
// (`notPushedSince`) is also given the outcome of a push that ended after that time, so a decision
// taken from a push log read before that push was written is not acted on twice.

import type { PushOutcome } from './types.js';

/** How long finished pushes are remembered for `notPushedSince` (longer than a re-push pass takes). */
const KEEP_MS = 15 * 60_000;

/** A push in flight: its batch and its place in the batch's outcomes (no promise per push). */
interface Flight {
  batch: Promise<PushOutcome[]>;
  k: number;
}

export class PushFlights {
  private readonly inFlight = new Map<string, Flight>();
  private readonly done = new Map<string, { at: number; outcome: PushOutcome }>();
  private prunedAt = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** Pushes in flight right now. */
  get size(): number {
    return this.inFlight.size;
  }

  /**
   * The outcome for each of `ids` (unique), in order: joined when a push to it is in flight, the
   * remembered one when it finished at or after `since`, else from `send` (called once, with the
   * rest, synchronously: the check and the claim happen in the same tick).
   */
  async run(ids: string[], since: Date | undefined, send: (ids: string[]) => Promise<PushOutcome[]>): Promise<PushOutcome[]> {
    this.prune();
    const out = new Array<PushOutcome>(ids.length);
    const joined: Array<[number, Flight]> = [];
    const fresh: string[] = [];
    const freshAt: number[] = [];
    const after = since?.getTime();
    ids.forEach((id, i) => {
      const flying = this.inFlight.get(id);
      const finished = after === undefined ? undefined : this.done.get(id);
      if (flying) joined.push([i, flying]);
      else if (finished && finished.at >= after!) out[i] = finished.outcome;
      else {
        fresh.push(id);
        freshAt.push(i);
      }
    });
    if (fresh.length > 0) {
      const batch = send(fresh);
      fresh.forEach((id, k) => this.inFlight.set(id, { batch, k }));
      const settle = () => {
        for (const id of fresh) this.inFlight.delete(id);
      };
      batch.then((outcomes) => {
        settle();
        const end = this.now();
        for (const o of outcomes) this.done.set(o.id, { at: end, outcome: o });
      }, settle);
      const outcomes = await batch;
      freshAt.forEach((i, k) => (out[i] = outcomes[k]!));
    }
    for (const [i, f] of joined) out[i] = (await f.batch)[f.k]!;
    return out;
  }

  private prune(): void {
    const now = this.now();
    if (now - this.prunedAt < 60_000) return;
    this.prunedAt = now;
    for (const [id, d] of this.done) if (now - d.at > KEEP_MS) this.done.delete(id);
  }
}
