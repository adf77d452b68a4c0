// Simulator benchmark, both processes as users run them: `updraft serve` (SQLite in a temp dir) and
// `updraft sim --bench`, each the compiled CLI (`node bin/updraft.js`, dist/ from `npm run build`) in
// its own process. The simulator enrolls N devices (profile, SCEP, Authenticate, TokenUpdate, first
// Idle, all signed; in its short-lived enrolling child, as every fresh `updraft sim` does, so the
// idle figures are those of the process that then holds the fleet), reports the idle fleet's resident memory (and the server's, via --server-pid),
// then runs back-to-back signed check-in sessions. Prints enroll rate, round trips per second,
// p50/p99, errors, simulator and server CPU per round trip (and per enrollment step, cold and warm load) and
// the RSS of both processes, idle and after load.
//
// Run: npx tsx bench/sim.ts [--count 1000] [--seconds 10] [--key-type ec|rsa] [--digest sha256|sha1] [--concurrency 64] [--new-connection-every N]
//        [--no-build] [--state FILE]   (--state: enroll once, then later runs load the enrolled fleet)
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { freePort } from './process.js';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '1000' }, seconds: { type: 'string', default: '10' },
    'key-type': { type: 'string', default: 'ec' }, digest: { type: 'string', default: 'sha256' }, concurrency: { type: 'string', default: '64' },
    'new-connection-every': { type: 'string', default: '0' },
    'no-build': { type: 'boolean', default: false }, state: { type: 'string' }, 'data-dir': { type: 'string' },
  },
});
const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'bin/updraft.js');

if (!values['no-build'] || !existsSync(join(root, 'dist/cli/main.js'))) {
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
}

const rssOf = (pid: number) => Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024);

// A state file only means something with the server database that enrolled it: keep both (--data-dir).
const dataDir = values['data-dir'] ?? mkdtempSync(join(tmpdir(), 'updraft-bench-sim-'));
const port = await freePort();
const server = spawn(process.execPath, [cli, 'serve', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir, '--log-level', 'error'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
const url = `http://127.0.0.1:${port}`;
try {
  for (let i = 0; ; i++) {
    if (await fetch(`${url}/mdm/enroll`).then((r) => r.ok, () => false)) break;
    if (i > 300) throw new Error('the server did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  const args = [cli, 'sim', '--bench', '--server', url, '--server-pid', String(server.pid), '--count', values.count!, '--duration', values.seconds!,
    '--key-type', values['key-type']!, '--digest', values.digest!, '--concurrency', values.concurrency!, '--new-connection-every', values['new-connection-every']!, ...(values.state ? ['--state', values.state] : [])];
  const sim = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  sim.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
  sim.stderr.on('data', (c: Buffer) => process.stderr.write(c));
  const code = await new Promise<number | null>((resolve) => sim.on('close', resolve));
  if (code !== 0) throw new Error(`updraft sim --bench exited with ${code}`);
  const figures = JSON.parse(stdout) as Record<string, unknown>;
  console.log(JSON.stringify({ keyType: values['key-type'], digest: values.digest, concurrency: Number(values.concurrency), ...figures, serverRssMbAtEnd: rssOf(server.pid!) }, null, 2));
} finally {
  server.kill();
  if (!values['data-dir']) rmSync(dataDir, { recursive: true, force: true });
}
