// The load generator behind `updraft sim --bench`: after enrollment, every device runs command
// sessions back to back (a signed Idle and whatever the server answers) for a fixed time, with a
// bounded number in flight; the fleet's Stats then hold round trips per second and latencies.
import type { Fleet } from './fleet.js';

export async function hammer(fleet: Fleet, seconds: number, concurrency: number): Promise<void> {
  const until = performance.now() + seconds * 1000;
  let next = 0;
  const worker = async () => {
    while (performance.now() < until) {
      const d = fleet.devices[next++ % fleet.devices.length];
      await fleet.poll(d);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, fleet.devices.length) }, worker));
}
