// `updraft challenge [--json] [--ttl SECONDS]`: get a one-time SCEP challenge from the running server
// (POST /v1/challenge). Prints the challenge alone, or the server's JSON with --json.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { API_KEY_FILE } from '../secrets.js';
import { CliError } from './pushcert.js';
import { defaultServer } from './profile.js';

export interface ChallengeCliOptions {
  server: string;
  apiKey?: string;
  dataDir?: string;
  ttl?: string;
  json?: boolean;
}

function apiKey(opts: ChallengeCliOptions): string {
  if (opts.apiKey) return opts.apiKey;
  const file = opts.dataDir ? join(opts.dataDir, API_KEY_FILE) : null;
  if (file && existsSync(file)) return readFileSync(file, 'utf8').trim();
  throw new CliError("no API key: pass --api-key, set UPDRAFT_API_KEY, or point --data-dir at the server's data directory");
}

export async function requestChallenge(opts: ChallengeCliOptions): Promise<{ challenge: string; expires_at: string }> {
  const ttl = opts.ttl === undefined ? undefined : Number(opts.ttl);
  if (ttl !== undefined && !Number.isInteger(ttl)) throw new CliError(`--ttl must be a whole number of seconds, got ${opts.ttl}`);
  let res: Response;
  try {
    res = await fetch(new URL('/v1/challenge', opts.server), {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey(opts)}`, 'content-type': 'application/json' },
      body: JSON.stringify(ttl === undefined ? {} : { ttl_seconds: ttl }),
    });
  } catch (err) {
    throw new CliError(`cannot reach the server at ${opts.server}: ${(err as Error).cause ?? (err as Error).message}`);
  }
  const text = await res.text();
  let json: { challenge?: string; expires_at?: string; error?: string };
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    throw new CliError(`the server answered ${res.status}: ${text.slice(0, 200)}`);
  }
  if (!res.ok || !json.challenge || !json.expires_at) throw new CliError(`the server refused (${res.status}): ${json.error ?? text}`);
  return { challenge: json.challenge, expires_at: json.expires_at };
}

export function register(program: Command): void {
  program
    .command('challenge')
    .description('get a one-time SCEP challenge from the running server')
    .option('--json', 'print {"challenge", "expires_at"} as JSON')
    .option('--ttl <seconds>', 'validity in seconds (server default 3600)')
    .option('--server <url>', 'server base URL (env UPDRAFT_SERVER)', defaultServer())
    .option('--api-key <key>', 'API key (env UPDRAFT_API_KEY)', process.env.UPDRAFT_API_KEY)
    .option('--data-dir <dir>', 'read the API key from this data directory (env UPDRAFT_DATA_DIR)', process.env.UPDRAFT_DATA_DIR)
    .action(async (opts: ChallengeCliOptions) => {
      try {
        const out = await requestChallenge(opts);
        process.stdout.write(opts.json ? JSON.stringify(out) + '\n' : out.challenge + '\n');
      } catch (err) {
        if (!(err instanceof CliError)) throw err;
        process.stderr.write(`updraft challenge: ${err.message}\n`);
        process.exitCode = 1;
      }
    });
}
