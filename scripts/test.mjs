#!/usr/bin/env node
// Runs the test suite per storage backend: SQLite, then PostgreSQL.
// PostgreSQL comes from UPDRAFT_TEST_PG (default postgres://postgres@127.0.0.1:5432/test).
// In CI (CI=true) an unreachable PostgreSQL fails the run; elsewhere that pass is skipped with a notice.
// Extra arguments are test files or folders to run instead of everything under test/.
// A test that hangs fails after 3 minutes, and a file whose tests are done exits even if a handle
// is left open (--test-force-exit), so CI can never wait forever.
//
// Which files run on both passes (found by reading the code, no list to keep): a test file is
// backend-dependent when it, or any local module it reaches, contains the word UPDRAFT_TEST_DB
// (the variable that names the pass's backend). "Reaches" follows relative imports (static, dynamic,
// `export … from`) and the repo paths a module names in a string ('src/cli/main.ts',
// 'bench/connect-server.ts': scripts it runs as child processes, which inherit the variable).
// test/helpers/store.ts and test/helpers/server.ts contain it, so every file that opens a test store
// or a test server runs on both. Every other file cannot tell the passes apart and runs once, in the
// first pass (SQLite; PostgreSQL with --pg-only). --both-passes runs every file on both;
// --list prints each file's pass(es) and, for a backend-dependent one, the module that made it so.
//
// Order: within a pass the slowest files start first (scripts/test-times.json: seconds per file and
// backend, from `--record-times`; a file without a time for the backend takes its SQLite time, or 5 s),
// so that two long files do not end the run alone. The times only order the files: a stale entry costs speed, never a test.
// After each pass the 10 slowest files are printed.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const only = args.filter((a) => !a.startsWith('--'));
const sqliteOnly = args.includes('--sqlite-only');
const pgOnly = args.includes('--pg-only');
const bothPasses = args.includes('--both-passes');
const recordTimes = args.includes('--record-times');
const timesFile = join(root, 'scripts/test-times.json');
const BACKEND_MARK = 'UPDRAFT_TEST_DB';

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

// --- which files depend on the backend ---
const scanned = new Map(); // absolute path → { marked, next: absolute paths }
function resolveImport(from, spec) {
  const base = resolve(dirname(from), spec);
  for (const c of [base, base.replace(/\.js$/, '.ts'), base.replace(/\.mjs$/, '.mts'), `${base}.ts`, join(base, 'index.ts')]) {
    if (existsSync(c) && statSync(c).isFile()) return c;
  }
  return null;
}
function scan(file) {
  let entry = scanned.get(file);
  if (entry) return entry;
  const src = readFileSync(file, 'utf8');
  const next = [];
  for (const m of src.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]+)\1/g)) {
    const r = resolveImport(file, m[2]);
    if (r) next.push(r);
  }
  for (const m of src.matchAll(/(['"`])((?:src|bench|scripts|test)\/[\w./-]+\.(?:ts|mts|js|mjs))\1/g)) {
    const p = join(root, m[2]);
    if (existsSync(p)) next.push(p);
  }
  entry = { marked: src.includes(BACKEND_MARK), next };
  scanned.set(file, entry);
  return entry;
}
/** The module (repo-relative) that makes this test file backend-dependent, or null. */
function backendReason(file) {
  const start = resolve(file);
  const seen = new Set([start]);
  const todo = [start];
  while (todo.length) {
    const f = todo.pop();
    const { marked, next } = scan(f);
    if (marked) return relative(root, f);
    for (const n of next) if (!seen.has(n)) { seen.add(n); todo.push(n); }
  }
  return null;
}
// The rule rests on the test store naming the variable: if it ever stops, fail rather than run nothing on PostgreSQL.
if (!scan(join(root, 'test/helpers/store.ts')).marked) {
  console.error(`test/helpers/store.ts no longer mentions ${BACKEND_MARK}: update the backend rule in scripts/test.mjs`);
  process.exit(1);
}
const reason = new Map(files.map((f) => [f, backendReason(f)]));
const dependent = files.filter((f) => bothPasses || reason.get(f));
const once = files.filter((f) => !dependent.includes(f));

if (args.includes('--list')) {
  for (const f of files) console.log(reason.get(f) ? `both  ${f}  (${reason.get(f)})` : `once  ${f}`);
  console.log(`${files.length} files: ${dependent.length} on both passes, ${once.length} once`);
  process.exit(0);
}

// --- order: slowest first ---
const times = existsSync(timesFile) ? JSON.parse(readFileSync(timesFile, 'utf8')) : {};
const key = (f) => relative(root, resolve(f)).split('\\').join('/');
function ordered(list, backend) {
  const t = times[backend] ?? {};
  const est = (f) => t[key(f)] ?? times.sqlite?.[key(f)] ?? 5;
  return [...list].sort((a, b) => est(b) - est(a) || (a < b ? -1 : 1));
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

// A reporter (next to TAP on stdout) writing one line per finished file: its path and duration.
const FILE_TIMES = 'export default async function* (s) { for await (const e of s) if (e.type === "test:complete" && e.data.file && e.data.name === e.data.file) yield JSON.stringify([e.data.file, e.data.details.duration_ms]) + "\\n"; }';
const scratch = mkdtempSync(join(tmpdir(), 'updraft-test-times-'));
const measured = {};

function run(label, backend, db, list, note = '') {
  const timesOut = join(scratch, `${backend}.jsonl`);
  return new Promise((resolve) => {
    console.log(`\n=== ${label}: ${list.length} test files (UPDRAFT_TEST_DB=${db.replace(/\/\/[^@]*@/, '//')})${note} ===`);
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=180000', '--test-force-exit',
      '--test-reporter=tap', '--test-reporter-destination=stdout',
      `--test-reporter=data:text/javascript,${encodeURIComponent(FILE_TIMES)}`, `--test-reporter-destination=${timesOut}`,
      ...ordered(list, backend)], {
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
    child.on('close', (code) => {
      const lines = existsSync(timesOut) ? readFileSync(timesOut, 'utf8').split('\n').filter(Boolean) : [];
      const got = (measured[backend] = {});
      for (const line of lines) { const [f, ms] = JSON.parse(line); got[key(f)] = Math.round(ms / 100) / 10; }
      const slow = Object.entries(got).sort((a, b) => b[1] - a[1]).slice(0, 10);
      if (slow.length) console.log(`\n# ${label}: slowest files\n${slow.map(([f, s]) => `#   ${s.toFixed(1).padStart(6)} s  ${f}`).join('\n')}`);
      resolve({ code, pass, fail, skipped });
    });
  });
}

const results = [];
const sqliteFiles = pgOnly ? [] : files;
const pgFiles = pgOnly ? files : dependent;
if (!pgOnly) results.push(await run('SQLite', 'sqlite', 'sqlite', sqliteFiles));
if (!sqliteOnly && pgFiles.length) {
  if (await reachable(pgUrl)) {
    const note = pgOnly || !once.length ? '' : `; the other ${once.length}, backend-independent, ran in the SQLite pass only`;
    results.push(await run('PostgreSQL', 'postgres', pgUrl, pgFiles, note));
  } else if (process.env.CI) {
    console.error(`PostgreSQL is not reachable at ${pgUrl}: the PostgreSQL pass is required in CI`);
    results.push({ code: 1, pass: 0, fail: 1, skipped: 0 });
  } else {
    console.log(`\nPostgreSQL not reachable at ${pgUrl}: skipping the PostgreSQL pass (set UPDRAFT_TEST_PG to run it)`);
  }
}
rmSync(scratch, { recursive: true, force: true });
if (recordTimes) {
  for (const [backend, got] of Object.entries(measured)) times[backend] = Object.fromEntries(Object.entries({ ...times[backend], ...got }).sort());
  writeFileSync(timesFile, `${JSON.stringify(times, null, 1)}\n`);
  console.log(`\nwrote ${relative(root, timesFile)}`);
}
const pass = results.reduce((n, r) => n + r.pass, 0);
const fail = results.reduce((n, r) => n + r.fail, 0);
const skipped = results.reduce((n, r) => n + r.skipped, 0);
const ok = results.every((r) => r.code === 0);
console.log(`\ntests: ${pass} passed, ${fail} failed, ${skipped} skipped (${files.length} files: ${dependent.length} on both backends, ${once.length} once)`);
process.exit(ok && fail === 0 ? 0 : 1);
