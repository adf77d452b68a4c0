// `updraft pushcert`: upload the APNs push certificate to a running server (PUT /v1/pushcert),
// from PEM files, the portal's .pem alone (the server matches it to the pending push key) or a .p12,
// or show the current one and any pending push key. Exits non-zero with the server's reason when the
// certificate is refused (corrupt file, wrong password, key mismatch, another topic…); nothing is
// stored then. The `request` and `mdmcert-download` subcommands live in pushcert-request.ts.
import type { Command } from 'commander';
import { ApiClient, CliError, clientOptions, readInput, type ClientOptions } from './client.js';
import { action, printJson } from './output.js';
import { registerRequestCommands } from './pushcert-request.js';

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
    if (!opts.cert) throw new CliError('--key needs --cert (or give --p12 FILE --password PW)');
    // Without --key the server matches the certificate to its pending push key (or the current one's key).
    const parts = [readInput(opts.cert, 'the certificate'), ...(opts.key ? [Buffer.from('\n'), readInput(opts.key, 'the private key')] : [])];
    body = Buffer.concat(parts);
    headers = { 'content-type': 'text/plain' };
  }
  return (await client.request('PUT', `/v1/pushcert${opts.force ? '?force=1' : ''}`, body, { headers })).body as Record<string, unknown>;
}

interface ShownCert {
  topic?: string;
  not_after?: string;
  key?: string;
  problem?: { reason: string } | null;
  pending_request?: { key_sha256: string; created_at: string; stored: string; mdmcert_download: boolean } | null;
}

const KEY_SOURCE: Record<string, string> = { pending: 'the pending push key', current: "the current certificate's key", given: 'the one given' };

export function register(program: Command): void {
  const pushcert = clientOptions(
    program
      .command('pushcert')
      .enablePositionalOptions() // options after `request` or `mdmcert-download` are theirs
      .description(
        'upload the APNs push certificate to the running server (the portal\'s .pem, PEM cert + key, or .p12); with no files, show the current one. ' +
          'Getting one from zero: `pushcert request`, `pushcert mdmcert-download`',
      )
      .option('--cert <file>', "push certificate, PEM (alone: matched to the server's pending push key)")
      .option('--key <file>', 'its private key, PEM, unencrypted')
      .option('--p12 <file>', 'certificate and key as a .p12 file (e.g. exported from Keychain)')
      .option('--password <password>', 'password of the .p12 file', '')
      .option('--force', 'replace a certificate whose topic differs (devices enrolled under the old topic stop getting pushes)'),
  ).action(
    action(async (opts: PushcertOptions) => {
      const out = (await runPushcert(opts)) as ShownCert;
      if (opts.json) return printJson(out);
      const p = out.pending_request;
      process.stdout.write(
        `topic:     ${String(out.topic)}\nnot after: ${String(out.not_after)}\n` +
          (out.key ? `key:       ${KEY_SOURCE[out.key] ?? out.key}\n` : '') +
          (out.problem ? `problem:   ${out.problem.reason}\n` : '') +
          (p ? `pending:   push key ${p.key_sha256.slice(0, 16)}… since ${p.created_at} (${p.stored}${p.mdmcert_download ? ', mdmcert.download' : ''})\n` : ''),
      );
    }),
  );
  registerRequestCommands(pushcert);
}
