import { test } from 'node:test';
import assert from 'node:assert/strict';
import { procCpuMs } from '../../src/sim/proc.js';

const onLinux = process.platform === 'linux';

/** Spins until this process has spent `ms` more CPU by its own count (getrusage). */
function spin(ms: number): number {
  const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
  const start = cpu();
  let x = 0;
  while (cpu() - start < ms) x += Math.sqrt(x + 1);
  return cpu() - start;
}

test('procCpuMs counts a few milliseconds of CPU to the millisecond, not in 10 ms ticks', { skip: !onLinux && 'reads /proc' }, () => {
  const misses: string[] = [];
  for (const ms of [3, 7, 12]) {
    const before = procCpuMs(process.pid);
    const spent = spin(ms);
    const seen = procCpuMs(process.pid) - before;
    if (Math.abs(seen - spent) > 2) misses.push(`${spent.toFixed(2)} ms spent, ${seen.toFixed(2)} ms read`);
  }
  assert.deepEqual(misses, []);
});

test('procCpuMs reads 0 for a process that does not exist', () => {
  assert.equal(procCpuMs(2 ** 30), 0);
});
