// The load generator behind `updraft sim --bench`: after enrollment, every device runs command
// sessions back to back (a signed Idle and whatever the server answers) for a fixed time, with a
// bounded number in flight; the fleet's Stats then hold round trips per second and latencies.
import type { Fleet } from './fleet.js';

/** With `cold`, its first `sessions` sessions run on their own (then `done` is called: the server's
 * cold figures end there), and the rest until `seconds` after the start are the warm ones. */
export async function hammer(fleet: Fleet, seconds: number, concurrency: number, cold?: { sessions: number; done: () => void }): Promise<void> {
  const until = performance.now() + seconds * 1000;
  let next = 0;
  const run = (more: () => boolean) => Promise.all(Array.from({ length: Math.min(concurrency, fleet.devices.length) }, async () => {
    while (more()) await fleet.poll(fleet.devices[next++ % fleet.devices.length]);
  }));
  if (cold) {
    await run(() => next < cold.sessions);
    cold.done();
  }
  await run(() => performance.now() < until);
}
