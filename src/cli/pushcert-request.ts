// `updraft pushcert request` and `updraft pushcert mdmcert-download`: from nothing to the file to
// upload at Apple's Push Certificates Portal. The push key is made by the running server and stays
// there (or, with --local, in the data dir, 0600); the vendor key never leaves this machine.
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ApiClient, CliError, clientOptions, readInput, type ClientOptions } from './client.js';
import { action, printJson } from './output.js';
import { PushCertError } from '../push/cert.js';
import { dataDirPendingStore, keyId, makeRequest, type RequestOptions } from '../push/pending.js';
import { MDMCERT_DOWNLOAD, PORTAL } from '../push/portal-facts.js';
import { signPushRequest } from '../push/portal-request.js';
import { loadVendorIdentity, type VendorIdentity } from '../push/vendor.js';
import { sendSignRequest, signRequestBody } from '../push/mdmcert-download.js';
import { openReplyFor } from '../push/pushcert-service.js';
import { csrPem } from '../pki/csr.js';

export interface RequestCliOptions extends ClientOptions {
  email?: string;
  cn?: string;
  country?: string;
  newKey?: boolean;
  local?: boolean;
  vendorCert?: string;
  vendorKey?: string;
  vendorPassword?: string;
  chain?: string[];
  sha1?: boolean;
  out?: string;
  csrOut?: string;
}

export interface MdmcertCliOptions extends ClientOptions {
  email?: string;
  cn?: string;
  country?: string;
  newKey?: boolean;
  local?: boolean;
  url?: string;
  serviceKey?: string;
  decrypt?: string;
  out?: string;
}

/** What a run made, for --json and for tests. */
export interface RequestOutcome {
  /** The file written: the request to upload at the portal, or the CSR. */
  file: string | null;
  kind: 'portal_request' | 'csr' | 'sent';
  key_sha256: string;
  reused_key: boolean;
  stored: 'database' | 'data_dir';
}

export const DEFAULT_REQUEST_FILE = 'push-request.b64';
export const DEFAULT_CSR_FILE = 'push.csr';

const dataDirOf = (opts: ClientOptions): string => opts.dataDir ?? process.env.UPDRAFT_DATA_DIR ?? './data';

async function cliErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof PushCertError) throw new CliError(err.message);
    throw err;
  }
}

function derOfPem(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

/** The push key's CSR (and exchange certificate): made by the server, or in the data dir with --local. */
async function obtainCsr(opts: ClientOptions & { local?: boolean }, req: RequestOptions) {
  if (opts.local) {
    const made = await makeRequest(dataDirPendingStore(dataDirOf(opts)), req);
    return { csr: made.csr, exchangeCertPem: made.pending.exchange?.certPem ?? null, keySha256: keyId(made.pending.keyPem), reused: made.reused, stored: 'data_dir' as const };
  }
  const body = { email: req.email ?? undefined, common_name: req.commonName ?? undefined, country: req.country ?? undefined, new_key: req.newKey, mdmcert_download: req.exchange };
  const res = (await new ApiClient(opts).request('POST', '/v1/pushcert/request', body)).body as {
    csr: string;
    reused: boolean;
    exchange_cert: string | null;
    pending_request: { key_sha256: string; stored: 'database' | 'data_dir' };
  };
  return { csr: derOfPem(res.csr), exchangeCertPem: res.exchange_cert, keySha256: res.pending_request.key_sha256, reused: res.reused, stored: res.pending_request.stored };
}

function write(file: string, text: string): void {
  try {
    writeFileSync(file, text);
  } catch (err) {
    throw new CliError(`cannot write ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

export async function runRequest(opts: RequestCliOptions): Promise<RequestOutcome> {
  return cliErrors(async () => {
    if (opts.vendorKey && !opts.vendorCert) throw new CliError('--vendor-key needs --vendor-cert');
    // The vendor identity is checked first: a bad one stops the run before any key is made.
    let vendor: VendorIdentity | null = null;
    if (opts.vendorCert) {
      vendor = loadVendorIdentity({
        cert: readInput(opts.vendorCert, 'the vendor certificate'),
        key: opts.vendorKey ? readInput(opts.vendorKey, 'the vendor key') : null,
        password: opts.vendorPassword,
        chain: (opts.chain ?? []).map((f) => readInput(f, 'the chain file')),
      });
    }
    const got = await obtainCsr(opts, { email: opts.email, commonName: opts.cn, country: opts.country, newKey: opts.newKey });
    const base = { key_sha256: got.keySha256, reused_key: got.reused, stored: got.stored };
    if (!vendor) {
      const file = opts.csrOut ?? DEFAULT_CSR_FILE;
      write(file, csrPem(got.csr));
      return { file, kind: 'csr', ...base };
    }
    const file = opts.out ?? DEFAULT_REQUEST_FILE;
    write(file, signPushRequest(got.csr, vendor, opts.sha1 ? 'sha1' : 'sha256'));
    return { file, kind: 'portal_request', ...base };
  });
}

export async function runMdmcertDownload(opts: MdmcertCliOptions): Promise<RequestOutcome> {
  return cliErrors(async () => {
    if (opts.decrypt) {
      if (opts.email) throw new CliError('give either --email (send the request) or --decrypt FILE (open the reply), not both');
      const reply = readInput(opts.decrypt, 'the mdmcert.download reply');
      let text: string;
      let keySha256: string;
      if (opts.local) {
        const pending = await dataDirPendingStore(dataDirOf(opts)).load();
        text = openReplyFor(pending, reply).text;
        keySha256 = keyId(pending!.keyPem);
      } else {
        const client = new ApiClient(opts);
        const res = await client.request('POST', '/v1/pushcert/request/decrypt', reply, { headers: { 'content-type': 'text/plain' } });
        text = (res.body as { request: string }).request;
        keySha256 = ((await client.request('GET', '/v1/pushcert/request')).body as { key_sha256: string }).key_sha256;
      }
      const file = opts.out ?? DEFAULT_REQUEST_FILE;
      write(file, text + '\n');
      return { file, kind: 'portal_request', key_sha256: keySha256, reused_key: true, stored: opts.local ? 'data_dir' : 'database' };
    }
    if (!opts.email) throw new CliError('--email ADDRESS is required (the address registered at mdmcert.download), or --decrypt FILE to open its reply');
    const got = await obtainCsr(opts, { email: opts.email, commonName: opts.cn, country: opts.country, newKey: opts.newKey, exchange: true });
    await sendSignRequest(signRequestBody(got.csr, opts.email, got.exchangeCertPem!, opts.serviceKey ?? process.env.UPDRAFT_MDMCERT_KEY), opts.url ?? MDMCERT_DOWNLOAD.url);
    return { file: null, kind: 'sent', key_sha256: got.keySha256, reused_key: got.reused, stored: got.stored };
  });
}

const where = (o: RequestOutcome) => (o.stored === 'database' ? 'kept by the server' : 'kept in the data dir');
const keyLine = (o: RequestOutcome) => `push key ${o.key_sha256.slice(0, 16)}… (${o.reused_key ? 'the pending one, kept' : 'new'}, ${where(o)})\n`;
const uploadSteps = (file: string) =>
  `Next: sign in at ${PORTAL.url} with the Apple ID that will own the certificate (for a renewal: the one that made the current\n` +
  `certificate, and choose Renew), upload ${file}, download the certificate (.pem), then run:\n  updraft pushcert --cert FILE.pem\n`;

export function registerRequestCommands(pushcert: Command): void {
  const collect = (v: string, all: string[] = []) => [...all, v];
  clientOptions(
    pushcert
      .command('request')
      .description("make the push key and its CSR; with an MDM vendor certificate, sign it into the file Apple's portal takes")
      .option('--email <address>', 'emailAddress of the CSR subject')
      .option('--cn <name>', 'common name of the CSR subject (default "Updraft MDM push")')
      .option('--country <code>', 'two-letter country code of the CSR subject')
      .option('--new-key', 'replace the pending push key with a new one (a certificate made for the old one can no longer be imported)')
      .option('--local', 'keep the push key in --data-dir (0600) instead of on the running server')
      .option('--vendor-cert <file>', 'MDM vendor certificate: PEM, DER (.cer) or .p12 holding its key')
      .option('--vendor-key <file>', "the vendor certificate's private key, PEM")
      .option('--vendor-password <password>', 'password of the vendor .p12 or of an encrypted vendor key')
      .option('--chain <file>', "Apple's WWDR intermediate and root certificates, PEM or DER (repeat for each file)", collect)
      .option('--sha1', 'sign with SHA-1 instead of SHA-256 (older vendor certificates)')
      .option('--out <file>', `where to write the request to upload at the portal (default ${DEFAULT_REQUEST_FILE})`)
      .option('--csr-out <file>', `without a vendor certificate: where to write the CSR (default ${DEFAULT_CSR_FILE})`),
  ).action(
    action(async (_opts: RequestCliOptions, cmd: Command) => {
      const opts = cmd.optsWithGlobals<RequestCliOptions>(); // --server etc. given before `request` count too
      const o = await runRequest(opts);
      if (opts.json) return printJson(o);
      process.stdout.write(keyLine(o));
      if (o.kind === 'portal_request') process.stdout.write(`wrote ${o.file}\n${uploadSteps(o.file!)}`);
      else process.stdout.write(`wrote the CSR to ${o.file}\nNext: have it signed by an MDM vendor, or let mdmcert.download do it: updraft pushcert mdmcert-download --email ADDRESS\n`);
    }),
  );

  clientOptions(
    pushcert
      .command('mdmcert-download')
      .description('without a vendor certificate: have mdmcert.download sign the push CSR (it emails the request back), then --decrypt the reply')
      .option('--email <address>', 'the address registered at mdmcert.download: the reply goes there')
      .option('--decrypt <file>', 'open the emailed reply (…plist.b64.p7) into the request to upload at the portal')
      .option('--out <file>', `with --decrypt: where to write the request (default ${DEFAULT_REQUEST_FILE})`)
      .option('--cn <name>', 'common name of the CSR subject')
      .option('--country <code>', 'two-letter country code of the CSR subject')
      .option('--new-key', 'replace the pending push key with a new one')
      .option('--local', 'keep the push key and the exchange key in --data-dir instead of on the running server')
      .option('--url <url>', `the service's sign request URL (default ${MDMCERT_DOWNLOAD.url})`)
      .option('--service-key <key>', "mdmcert.download API key (env UPDRAFT_MDMCERT_KEY; default: the one MicroMDM's source publishes)"),
  ).action(
    action(async (_opts: MdmcertCliOptions, cmd: Command) => {
      const opts = cmd.optsWithGlobals<MdmcertCliOptions>();
      const o = await runMdmcertDownload(opts);
      if (opts.json) return printJson(o);
      process.stdout.write(keyLine(o));
      if (o.kind === 'sent') {
        process.stdout.write(
          `Sent the CSR to mdmcert.download: it emails ${opts.email} a file (…plist.b64.p7) encrypted to a key Updraft made for it.\n` +
            'Next: updraft pushcert mdmcert-download --decrypt FILE' + (opts.local ? ' --local' : '') + '\n',
        );
      } else process.stdout.write(`wrote ${o.file}\n${uploadSteps(o.file!)}`);
    }),
  );
}
