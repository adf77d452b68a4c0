// PostgreSQL statements, or with --sqlite SQLite commits, per device for each enrollment step, counted
// (not timed, so load does not blur it): the server runs with bench/pg-statement-log.mjs (or
// bench/sqlite-commit-log.mjs), the bench client's steps go one device at a time with a pause between
// steps, and each logged statement (commit) is counted in its step's window.
// Run: npx tsx bench/statements.ts [--sqlite] [--devices 4] [--verbose]   (after npm run build; UPDRAFT_BENCH_BIN as bench/client.ts)
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, enrollmentSteps, PG, root, startServer, stop, type Device } from './client.js';
import { benchDatabase } from './pg-database.js';

const arg = (name: string, d: number) => { const i = process.argv.indexOf(name); return i > 0 ? Number(process.argv[i + 1]) : d; };
const n = arg('--devices', 4);
const dir = mkdtempSync(join(tmpdir(), 'updraft-statements-'));
const log = join(dir, 'statements.log');
writeFileSync(log, '');
process.env.UPDRAFT_STATEMENT_LOG = log;
const sqlite = process.argv.includes('--sqlite');
process.env.UPDRAFT_BENCH_SERVER_NODE_ARGS = `--import ${fileURLToPath(new URL(sqlite ? 'sqlite-commit-log.mjs' : 'pg-statement-log.mjs', import.meta.url))}`;
const database = sqlite ? null : await benchDatabase(PG, `updraft_statements_${process.pid}`);
const pause = () => new Promise((r) => setTimeout(r, 300)); // lets a step's after-the-answer work land in its window
try {
  const server = await startServer({ UPDRAFT_DATA_DIR: join(dir, 'data'), UPDRAFT_DB: database?.url ?? join(dir, 'updraft.db') });
  const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const devices: Device[] = Array.from({ length: n }, (_, i) => ({ udid: `STMT-${i}-${process.pid}`, serial: `C02STMT${i}`, key, cert: null }));
  const client = new Client(server.url, 'sha1', 0);
  const marks: Array<[string, number]> = [];
  for (const [step, fn] of enrollmentSteps(client, server.url).steps) {
    await pause();
    marks.push([step, Date.now()]);
    for (const d of devices) await fn(d);
  }
  await pause();
  marks.push(['', Date.now()]);
  client.close();
  await stop(server.child);
  const lines = readFileSync(log, 'utf8').trim().split('\n').map((l) => l.split('\t') as [string, string]);
  console.log(`${sqlite ? 'SQLite commits' : 'PostgreSQL statements'} per device (${n} devices, ${process.env.UPDRAFT_BENCH_BIN ?? join(root, 'bin/updraft.js')})`);
  for (let i = 0; i < marks.length - 1; i++) {
    const [step, from] = marks[i]!;
    const mine = lines.filter(([t]) => Number(t) >= from && Number(t) < marks[i + 1]![1]);
    console.log(`  ${step.padEnd(24)} ${(mine.length / n).toFixed(2)}`);
    if (!process.argv.includes('--verbose')) continue;
    const counts = new Map<string, number>();
    for (const [, text] of mine) counts.set(text, (counts.get(text) ?? 0) + 1);
    for (const [text, c] of counts) console.log(`      ${(c / n).toFixed(2)}  ${text}`);
  }
} finally {
  await database?.drop();
  rmSync(dir, { recursive: true, force: true });
}
