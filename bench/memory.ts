// Memory of a big idle server: seeds a store with N enrollments (default 10,000; Authenticate-free
// TokenUpdates, as bench/devices.ts does), starts `updraft serve` (the compiled CLI) on it and samples
// its resident memory while it idles (its background workers, inventory schedule and posture pass run
// meanwhile). Prints RSS after startup and after 30 s, and the peak (VmHWM). SQLite, and PostgreSQL
// when reachable.
//
// Run: npx tsx bench/memory.ts [--enrollments 10000] [--seconds 30] [--sqlite-only] [--no-build]
// Node flags for the server: UPDRAFT_BENCH_SERVER_NODE_ARGS='--max-semi-space-size=1' (as bench/client.ts)
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore } from '../src/storage/index.js';
import { benchDatabase } from './pg-database.js';
import { freePort } from './process.js';

const PG = process.env.UPDRAFT_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const root = fileURLToPath(new URL('..', import.meta.url));
const status = (pid: number, field: string) => Math.round(Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function seed(db: string, dataDir: string, n: number): Promise<void> {
  const store = await openStore({ db, dataDir });
  const at = new Date();
  for (let i = 0; i < n; i += 500) {
    await Promise.all(Array.from({ length: Math.min(500, n - i) }, (_, k) => {
      const id = `SEED-${String(i + k).padStart(6, '0')}-${randomUUID().toUpperCase()}`;
      return store.tokenUpdate({ id, type: 'Device', deviceId: id, udid: id, topic: 'com.apple.mgmt.bench', pushToken: randomBytes(32).toString('hex'), pushMagic: randomUUID(), at });
    }));
  }
  await store.close();
}

export async function benchMemory(opts: { enrollments?: number; seconds?: number; dbs?: string[]; build?: boolean } = {}): Promise<void> {
  if (opts.build !== false) execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  const n = opts.enrollments ?? 10_000;
  const seconds = opts.seconds ?? 30;
  const reachable = await new Promise<boolean>((resolve) => {
    const u = new URL(PG);
    const s = net.connect({ host: u.hostname, port: Number(u.port || 5432) });
    s.on('connect', () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
  });
  for (const db of opts.dbs ?? ['sqlite', ...(reachable ? [PG] : [])]) {
    const dataDir = mkdtempSync(join(tmpdir(), 'updraft-bench-memory-'));
    const pgBench = db === 'sqlite' ? null : await benchDatabase(db, `updraft_bench_mem_${process.pid}`);
    const url = pgBench?.url ?? db;
    try {
      await seed(url, dataDir, n);
      const port = await freePort();
      const nodeArgs = (process.env.UPDRAFT_BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean); // e.g. --max-semi-space-size=1
      const child = spawn(process.execPath, [...nodeArgs, process.env.UPDRAFT_BENCH_BIN ?? join(root, 'bin/updraft.js'), 'serve'], {
        env: { ...process.env, UPDRAFT_DATA_DIR: dataDir, UPDRAFT_DB: url, UPDRAFT_LISTEN: `127.0.0.1:${port}`, UPDRAFT_LOG_LEVEL: 'warn', UPDRAFT_API_KEY: 'bench' },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      for (let i = 0; !(await fetch(`http://127.0.0.1:${port}/scep?operation=GetCACaps`).then((r) => r.ok, () => false)); i++) {
        if (i > 600) throw new Error('the server did not start');
        await sleep(100);
      }
      const started = status(child.pid!, 'VmRSS');
      await sleep(seconds * 1000);
      const later = status(child.pid!, 'VmRSS');
      const peak = status(child.pid!, 'VmHWM');
      await new Promise<void>((r) => { child.once('exit', () => r()); child.kill('SIGTERM'); });
      console.log(`memory, ${pgBench ? 'postgres' : 'sqlite'}: ${n} enrollments: RSS ${started} MB once started, ${later} MB after ${seconds} s idle, peak ${peak} MB (goal: < 100 MB)`);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
      await pgBench?.drop();
    }
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const arg = (name: string) => { const i = process.argv.indexOf(name); return i > 0 ? Number(process.argv[i + 1]) : undefined; };
  await benchMemory({ enrollments: arg('--enrollments'), seconds: arg('--seconds'), dbs: process.argv.includes('--sqlite-only') ? ['sqlite'] : undefined, build: !process.argv.includes('--no-build') });
}
