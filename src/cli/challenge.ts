// `updraft challenge [--json] [--ttl SECONDS]`: get a one-time SCEP challenge from the running server
// (POST /v1/challenge). Prints the challenge alone, or {"challenge", "expires_at"} with --json.
import type { Command } from 'commander';
import { ApiClient, CliError, clientOptions, type ClientOptions } from './client.js';
import { action, printJson } from './output.js';

export interface ChallengeCliOptions extends ClientOptions {
  ttl?: string;
}

export async function requestChallenge(opts: ChallengeCliOptions): Promise<{ challenge: string; expires_at: string }> {
  const ttl = opts.ttl === undefined ? undefined : Number(opts.ttl);
  if (ttl !== undefined && !Number.isInteger(ttl)) throw new CliError(`--ttl must be a whole number of seconds, got ${opts.ttl}`);
  const { body } = await new ApiClient(opts).request('POST', '/v1/challenge', ttl === undefined ? {} : { ttl_seconds: ttl });
  const { challenge, expires_at } = (body ?? {}) as { challenge?: unknown; expires_at?: unknown };
  if (typeof challenge !== 'string' || typeof expires_at !== 'string') throw new CliError(`POST /v1/challenge: unexpected answer ${JSON.stringify(body).slice(0, 200)}`);
  return { challenge, expires_at };
}

export function register(program: Command): void {
  clientOptions(
    program
      .command('challenge')
      .description('get a one-time SCEP challenge from the running server')
      .option('--ttl <seconds>', 'validity in seconds (server default 3600)'),
  ).action(
    action(async (opts: ChallengeCliOptions) => {
      const out = await requestChallenge(opts);
      if (opts.json) printJson(out);
      else console.log(out.challenge);
    }),
  );
}
