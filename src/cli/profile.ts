// `updraft profile [--unsigned] [-o FILE]`: download the enrollment profile from a running server
// (GET /mdm/enroll, which takes no API key), signed unless --unsigned. Without -o it goes to stdout.
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ApiClient, serverOption, type ClientOptions } from './client.js';
import { action } from './output.js';

export { defaultServer } from './client.js'; // for sim.ts

export interface ProfileCliOptions extends ClientOptions {
  unsigned?: boolean;
  output?: string;
}

/** Fetches the profile; returns its bytes and the server's warning, if any (e.g. no push certificate yet). */
export async function fetchProfile(opts: ProfileCliOptions): Promise<{ body: Buffer; warning: string | null }> {
  const res = await new ApiClient(opts).request('GET', `/mdm/enroll${opts.unsigned ? '?unsigned=1' : ''}`, undefined, { auth: false });
  return { body: res.bytes, warning: res.headers.get('x-updraft-warning') };
}

export function register(program: Command): void {
  serverOption(
    program
      .command('profile')
      .description('download the enrollment profile (.mobileconfig) from the running server')
      .option('--unsigned', 'the plain XML profile instead of the CMS-signed one')
      .option('-o, --output <file>', 'write it to this file instead of stdout'),
  ).action(
    action(async (opts: ProfileCliOptions) => {
      const { body, warning } = await fetchProfile(opts);
      if (warning) process.stderr.write(`updraft profile: warning: ${warning}\n`);
      if (opts.output) writeFileSync(opts.output, body);
      else process.stdout.write(body);
    }),
  );
}
