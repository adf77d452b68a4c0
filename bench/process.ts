// What the benches share to start the servers they measure: a free local port, and a process that
// counts as started once a URL of it answers 2xx.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';

/** A TCP port free on 127.0.0.1 (asked of the kernel, then released for the server to take). */
export const freePort = () => new Promise<number>((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => { const { port } = s.address() as net.AddressInfo; s.close(() => resolve(port)); });
});

export interface StartOptions {
  /** `inherit`: passed through; `tail`: kept, its last 2,000 characters told in the error if it does not start. */
  stderr: 'inherit' | 'tail';
  env?: NodeJS.ProcessEnv;
  /** How long it may take to answer (default 15 s). */
  timeoutMs?: number;
}

/** Starts `cmd args` and resolves once `probe` answers 2xx; rejects if it exits or the time runs out first. */
export async function startProcess(cmd: string, args: string[], probe: string, opts: StartOptions): Promise<ChildProcess> {
  const child = spawn(cmd, args, { env: opts.env, stdio: ['ignore', 'ignore', opts.stderr === 'inherit' ? 'inherit' : 'pipe'] });
  let err = '';
  child.stderr?.on('data', (c: Buffer) => { err = (err + c.toString()).slice(-2000); });
  for (const until = Date.now() + (opts.timeoutMs ?? 15_000); ;) {
    if (await fetch(probe).then((r) => r.ok, () => false)) return child;
    if (Date.now() > until || child.exitCode !== null) { child.kill(); throw new Error(`${cmd} ${args[0] ?? ''} did not start${err ? `: ${err}` : ''}`); }
    await new Promise((r) => setTimeout(r, 50));
  }
}
