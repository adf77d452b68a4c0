#!/usr/bin/env node
// Runs the whole test suite once per storage backend: SQLite, then PostgreSQL.
// PostgreSQL comes from UPDRAFT_TEST_PG (default postgres://postgres@127.0.0.1:5432/test).
// In CI (CI=true) an unreachable PostgreSQL fails the run; elsewhere that pass is skipped with a notice.
// Extra arguments are test files or folders to run instead of everything under test/.
// A test that hangs fails after 3 minutes, and a file whose tests are done exits even if a handle
// is left open (--test-force-exit), so CI can never wait forever.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import net from 'node:net';

const args = process.argv.slice(2);
const only = args.filter((a) => !a.startsWith('--'));
const sqliteOnly = args.includes('--sqlite-only');
const pgOnly = args.includes('--pg-only');

function findTests(path) {
  const st = statSync(path);
  if (st.isFile()) return path.endsWith('.test.ts') ? [path] : [];
  return readdirSync(path).sort().flatMap((name) => findTests(join(path, name)));
}
const files = (only.length ? only : ['test']).flatMap(findTests);
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}

const pgUrl = process.env.UPDRAFT_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

function reachable(url) {
  const u = new URL(url);
  return new Promise((resolve) => {
    const s = net.connect({ host: u.hostname, port: Number(u.port || 5432) });
    s.setTimeout(2000);
    s.on('connect', () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
    s.on('timeout', () => { s.destroy(); resolve(false); });
  });
}

function run(label, db) {
  return new Promise((resolve) => {
    console.log(`\n=== ${label}: ${files.length} test files (UPDRAFT_TEST_DB=${db.replace(/\/\/[^@]*@/, '//')}) ===`);
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=180000', '--test-force-exit', ...files], {
      env: { ...process.env, UPDRAFT_TEST_DB: db },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let pass = 0, fail = 0, skipped = 0, buf = '';
    child.stdout.on('data', (d) => {
      process.stdout.write(d);
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i); buf = buf.slice(i + 1);
        let m;
        if ((m = /^# pass (\d+)/.exec(line))) pass = Number(m[1]);
        if ((m = /^# fail (\d+)/.exec(line))) fail = Number(m[1]);
        if ((m = /^# skipped (\d+)/.exec(line))) skipped = Number(m[1]);
      }
    });
    child.on('close', (code) => resolve({ code, pass, fail, skipped }));
  });
}

const results = [];
if (!pgOnly) results.push(await run('SQLite', 'sqlite'));
if (!sqliteOnly) {
  if (await reachable(pgUrl)) {
    results.push(await run('PostgreSQL', pgUrl));
  } else if (process.env.CI) {
    console.error(`PostgreSQL is not reachable at ${pgUrl}: the PostgreSQL pass is required in CI`);
    results.push({ code: 1, pass: 0, fail: 1, skipped: 0 });
  } else {
    console.log(`\nPostgreSQL not reachable at ${pgUrl}: skipping the PostgreSQL pass (set UPDRAFT_TEST_PG to run it)`);
  }
}
const pass = results.reduce((n, r) => n + r.pass, 0);
const fail = results.reduce((n, r) => n + r.fail, 0);
const skipped = results.reduce((n, r) => n + r.skipped, 0);
const ok = results.every((r) => r.code === 0);
console.log(`\ntests: ${pass} passed, ${fail} failed, ${skipped} skipped`);
process.exit(ok && fail === 0 ? 0 : 1);
