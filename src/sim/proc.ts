// Another local process seen through Linux /proc: its CPU time and resident size, and the CPU of the
// PostgreSQL backends serving a database. The load generator (`updraft sim --bench --server-pid`) and
// the benches measure a server's CPU per request with it; elsewhere than Linux every figure reads 0/null.
import { readdirSync, readFileSync } from 'node:fs';

const TICK_MS = 10; // /proc clock ticks (USER_HZ 100)

/**
 * User+system CPU milliseconds of a local process so far; 0 when unreadable. Summed over its threads'
 * /proc/PID/task/TID/schedstat (time on CPU in nanoseconds), so a step of 50 requests is not rounded to
 * /proc/PID/stat's 10 ms ticks (0.2 ms a request); /proc/PID/stat where schedstat is missing. A thread
 * that has ended no longer counts: measure differences over a stretch in which the process keeps its
 * threads (a Node server's, a Go server's and a PostgreSQL backend's all live as long as the process).
 */
export function procCpuMs(pid: number): number {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch { /* the thread ended meanwhile */ }
    }
    if (ns > 0) return ns / 1e6;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(stat[11]) + Number(stat[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

/** A /proc/<pid>/status size in MB (VmRSS: resident now, VmHWM: peak); null where unreadable. */
export function procMb(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number | null {
  try {
    const kb = new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Math.round(Number(kb) / 1024) : null;
  } catch {
    return null;
  }
}

/** PostgreSQL backends serving one database: their pids (cmdline "postgres: USER DB ..."). */
export function pgBackends(db: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
      if (cmd.startsWith('postgres: ') && cmd.replace(/\0/g, ' ').split(' ').includes(db)) out.push(Number(d));
    } catch { /* gone */ }
  }
  return out;
}

/** Server CPU so far: the process, plus (PostgreSQL) every backend of its database ever seen. */
export class CpuMeter {
  private readonly seen = new Map<number, number>();
  constructor(private pid: number, private readonly pgDb: string | null = null) {}
  retarget(pid: number): void { this.pid = pid; }
  read(): { server: number; db: number } {
    let db = 0;
    if (this.pgDb) {
      for (const p of pgBackends(this.pgDb)) this.seen.set(p, procCpuMs(p) || this.seen.get(p) || 0);
      for (const v of this.seen.values()) db += v;
    }
    return { server: procCpuMs(this.pid), db };
  }
  /** Server and database CPU ms together so far. */
  total(): number {
    const c = this.read();
    return c.server + c.db;
  }
}

export interface CpuFigures { requests: number; serverCpuMs: number; serverCpuMsPerRequest: number | null }

/** Starts a stretch: the function it returns gives the server CPU (process and database) and requests since. */
export function cpuSpan(meter: CpuMeter, requests: () => number): () => CpuFigures {
  const cpu0 = meter.total();
  const n0 = requests();
  return () => {
    const cpu = meter.total() - cpu0;
    const n = requests() - n0;
    return { requests: n, serverCpuMs: cpu, serverCpuMsPerRequest: n ? Number((cpu / n).toFixed(3)) : null };
  };
}
