// `updraft pushcert`: upload the APNs push certificate to a running server (PUT /v1/pushcert),
// from PEM files or a .p12, or show the current one. Exits non-zero with the server's reason when
// the certificate is refused (corrupt file, wrong password, key mismatch…); nothing is stored then.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { defaultServer } from './client.js';
import { API_KEY_FILE } from '../secrets.js';

export interface PushcertOptions {
  cert?: string;
  key?: string;
  p12?: string;
  password?: string;
  force?: boolean;
  server: string;
  apiKey?: string;
  dataDir?: string;
}

export class CliError extends Error {}

function apiKeyFrom(opts: PushcertOptions): string {
  if (opts.apiKey) return opts.apiKey;
  const file = opts.dataDir ? join(opts.dataDir, API_KEY_FILE) : null;
  if (file && existsSync(file)) return readFileSync(file, 'utf8').trim();
  throw new CliError('no API key: pass --api-key, set UPDRAFT_API_KEY, or point --data-dir at the server\'s data directory');
}

function read(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new CliError(`cannot read the ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** Upload (or, with no files, show) the push certificate; returns the server's JSON answer. */
export async function runPushcert(opts: PushcertOptions): Promise<Record<string, unknown>> {
  const headers: Record<string, string> = { authorization: `Bearer ${apiKeyFrom(opts)}` };
  const url = new URL('/v1/pushcert', opts.server);
  let init: RequestInit = { method: 'GET', headers };
  if (opts.p12 || opts.cert || opts.key) {
    let body: Buffer;
    if (opts.p12) {
      if (opts.cert || opts.key) throw new CliError('give either --p12 or --cert with --key, not both');
      body = read(opts.p12, '.p12 file');
      headers['content-type'] = 'application/x-pkcs12';
      headers['x-p12-password'] = opts.password ?? '';
    } else {
      if (!opts.cert || !opts.key) throw new CliError('--cert and --key go together (or give --p12 FILE --password PW)');
      body = Buffer.concat([read(opts.cert, 'certificate'), Buffer.from('\n'), read(opts.key, 'private key')]);
      headers['content-type'] = 'text/plain';
    }
    if (opts.force) url.searchParams.set('force', '1');
    init = { method: 'PUT', headers, body: new Uint8Array(body) };
  }
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch (err) {
    throw new CliError(`cannot reach the server at ${opts.server}: ${(err as Error).cause ?? (err as Error).message}`);
  }
  const text = await res.text();
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new CliError(`the server answered ${res.status}: ${text.slice(0, 200)}`);
  }
  if (!res.ok) throw new CliError(`the server refused it (${res.status}): ${String(json.error ?? text)}`);
  return json;
}

export function register(program: Command): void {
  program
    .command('pushcert')
    .description('upload the APNs push certificate to the running server (PEM cert + key, or .p12); with no files, show the current one')
    .option('--cert <file>', 'push certificate, PEM')
    .option('--key <file>', 'its private key, PEM, unencrypted')
    .option('--p12 <file>', 'certificate and key as a .p12 file (e.g. exported from Keychain)')
    .option('--password <password>', 'password of the .p12 file', '')
    .option('--force', 'replace a certificate whose topic differs (devices enrolled under the old topic stop getting pushes)')
    .option('--server <url>', 'server base URL (env UPDRAFT_SERVER)', defaultServer())
    .option('--api-key <key>', 'API key (env UPDRAFT_API_KEY)', process.env.UPDRAFT_API_KEY)
    .option('--data-dir <dir>', 'read the API key from this data directory (env UPDRAFT_DATA_DIR)', process.env.UPDRAFT_DATA_DIR)
    .action(async (opts: PushcertOptions) => {
      try {
        const out = await runPushcert(opts);
        const problem = out.problem as { reason: string } | null | undefined;
        process.stdout.write(`topic:     ${String(out.topic)}\nnot after: ${String(out.not_after)}\n${problem ? `problem:   ${problem.reason}\n` : ''}`);
      } catch (err) {
        if (!(err instanceof CliError)) throw err;
        process.stderr.write(`updraft pushcert: ${err.message}\n`);
        process.exitCode = 1;
      }
    });
}
