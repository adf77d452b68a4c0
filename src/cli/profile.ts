// `updraft profile [--unsigned] [-o FILE]`: download the enrollment profile from a running server
// (GET /mdm/enroll), signed unless --unsigned. Without -o it goes to stdout.
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CliError } from './pushcert.js';
import { defaultServer } from './client.js';

export interface ProfileCliOptions {
  server: string;
  unsigned?: boolean;
  output?: string;
}

export { defaultServer };

/** Fetches the profile; returns its bytes and the server's warning, if any (e.g. no push certificate yet). */
export async function fetchProfile(opts: ProfileCliOptions): Promise<{ body: Buffer; warning: string | null }> {
  const url = new URL('/mdm/enroll', opts.server);
  if (opts.unsigned) url.searchParams.set('unsigned', '1');
  let res: Response;
  try {
    res = await fetch(url);
  } catch (err) {
    throw new CliError(`cannot reach the server at ${opts.server}: ${(err as Error).cause ?? (err as Error).message}`);
  }
  const body = Buffer.from(await res.arrayBuffer());
  if (!res.ok) throw new CliError(`the server answered ${res.status}: ${body.toString('utf8').slice(0, 200)}`);
  return { body, warning: res.headers.get('x-updraft-warning') };
}

export function register(program: Command): void {
  program
    .command('profile')
    .description('download the enrollment profile (.mobileconfig) from the running server')
    .option('--unsigned', 'the plain XML profile instead of the CMS-signed one')
    .option('-o, --output <file>', 'write it to this file instead of stdout')
    .option('--server <url>', 'server base URL (env UPDRAFT_SERVER)', defaultServer())
    .action(async (opts: ProfileCliOptions) => {
      try {
        const { body, warning } = await fetchProfile(opts);
        if (warning) process.stderr.write(`updraft profile: warning: ${warning}\n`);
        if (opts.output) writeFileSync(opts.output, body);
        else process.stdout.write(body);
      } catch (err) {
        if (!(err instanceof CliError)) throw err;
        process.stderr.write(`updraft profile: ${err.message}\n`);
        process.exitCode = 1;
      }
    });
}
