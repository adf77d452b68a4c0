// Run the `updraft` CLI as a subprocess, as a user or a script would.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../helpers/fixtures.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const MAIN = join(repoRoot, 'src/cli/main.ts');

/**
 * `updraft ARGS…` with the given environment added (UPDRAFT_* variables of the caller are removed);
 * `onStdout` sees the output as it comes (a test may act on what a long-running command printed).
 */
export function runCli(args: string[], env: Record<string, string> = {}, stdin?: string, onStdout?: (soFar: string) => void): Promise<CliResult> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('UPDRAFT_')));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: repoRoot, env: { ...base, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      onStdout?.(stdout);
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}
