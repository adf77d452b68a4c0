// `updraft pushcert`: upload the APNs push certificate to a running server (PUT /v1/pushcert),
// from PEM files or a .p12, or show the current one. Exits non-zero with the server's reason when
// the certificate is refused (corrupt file, wrong password, key mismatch…); nothing is stored then.
import type { Command } from 'commander';
import { ApiClient, CliError, clientOptions, readInput, type ClientOptions } from './client.js';
import { action, printJson } from './output.js';

export interface PushcertOptions extends ClientOptions {
  cert?: string;
  key?: string;
  p12?: string;
  password?: string;
  force?: boolean;
}

/** Upload (or, with no files, show) the push certificate; returns the server's JSON answer. */
export async function runPushcert(opts: PushcertOptions): Promise<Record<string, unknown>> {
  const client = new ApiClient(opts);
  if (!opts.p12 && !opts.cert && !opts.key) return (await client.request('GET', '/v1/pushcert')).body as Record<string, unknown>;
  let body: Buffer;
  let headers: Record<string, string>;
  if (opts.p12) {
    if (opts.cert || opts.key) throw new CliError('give either --p12 or --cert with --key, not both');
    body = readInput(opts.p12, 'the .p12 file');
    headers = { 'content-type': 'application/x-pkcs12', 'x-p12-password': opts.password ?? '' };
  } else {
    if (!opts.cert || !opts.key) throw new CliError('--cert and --key go together (or give --p12 FILE --password PW)');
    body = Buffer.concat([readInput(opts.cert, 'the certificate'), Buffer.from('\n'), readInput(opts.key, 'the private key')]);
    headers = { 'content-type': 'text/plain' };
  }
  return (await client.request('PUT', `/v1/pushcert${opts.force ? '?force=1' : ''}`, body, { headers })).body as Record<string, unknown>;
}

export function register(program: Command): void {
  clientOptions(
    program
      .command('pushcert')
      .description('upload the APNs push certificate to the running server (PEM cert + key, or .p12); with no files, show the current one')
      .option('--cert <file>', 'push certificate, PEM')
      .option('--key <file>', 'its private key, PEM, unencrypted')
      .option('--p12 <file>', 'certificate and key as a .p12 file (e.g. exported from Keychain)')
      .option('--password <password>', 'password of the .p12 file', '')
      .option('--force', 'replace a certificate whose topic differs (devices enrolled under the old topic stop getting pushes)'),
  ).action(
    action(async (opts: PushcertOptions) => {
      const out = await runPushcert(opts);
      if (opts.json) return printJson(out);
      const problem = out.problem as { reason: string } | null | undefined;
      process.stdout.write(`topic:     ${String(out.topic)}\nnot after: ${String(out.not_after)}\n${problem ? `problem:   ${problem.reason}\n` : ''}`);
    }),
  );
}
