// `updraft serve` as a real child process for crash and multi-node tests: started on a given database
// and data dir, killed with any signal, and the same push certificate imported through its API. `main`
// runs another build of the CLI (the bundle `npm run build` makes) instead of the TypeScript source.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { repoRoot } from '../helpers/fixtures.js';
import { TEST_API_KEY } from '../helpers/server.js';

export interface ServeProcess {
  url: string;
  child: ChildProcess;
  api(method: string, path: string, body?: unknown): Promise<Response>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export async function startServeProcess(opts: { db: string; dataDir: string; apnsUrl: string; apnsCa: string; port?: number; args?: string[]; main?: string }): Promise<ServeProcess> {
  const port = opts.port ?? (await freePort());
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('UPDRAFT_')));
  const child = spawn(process.execPath, [
    ...(opts.main ? [opts.main] : ['--import', 'tsx', join(repoRoot, 'src/cli/main.ts')]), 'serve',
    '--listen', `127.0.0.1:${port}`, '--data-dir', opts.dataDir, '--db', opts.db, '--api-key', TEST_API_KEY,
    '--public-url', `http://127.0.0.1:${port}`, '--apns-url', opts.apnsUrl, '--apns-ca', opts.apnsCa, ...(opts.args ?? []),
  ], { cwd: repoRoot, env: { ...env, UPDRAFT_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`updraft serve did not start: ${output}`)), 90_000);
    const read = (d: Buffer) => {
      output += d.toString();
      const m = /listening on (\S+)/.exec(output);
      if (m) { clearTimeout(timer); resolve(m[1]!); }
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', (d: Buffer) => { output += d.toString(); });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`updraft serve exited ${code}: ${output}`)); });
  });
  const api = (method: string, path: string, body?: unknown) => fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${TEST_API_KEY}`, ...(body === undefined || typeof body === 'string' ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return {
    url, child, api,
    kill(signal = 'SIGTERM') {
      return new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      });
    },
  };
}
