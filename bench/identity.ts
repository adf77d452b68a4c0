// Device identity verifications per second on one core, on the recorded mdmb traffic (13 requests
// from two devices, RSA-2048 signatures over SHA-1, as mdmb signs):
//   fast path          Updraft's verifier: CMS walk + node:crypto signature check, chain verdict cached
//   fast path, cold    the same with an empty verdict cache every time (a device's first request)
//   proxy header       an RFC 9440 client-certificate header (chain verdict cached)
//   pkijs full verify  the baseline in the same run: asn1js parse + pkijs SignedData.verify with chain
// Run: npx tsx bench/identity.ts [--seconds N]
import { X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as pkijs from 'pkijs';
import { createIdentityVerifier } from '../src/identity/index.js';

const CONV = fileURLToPath(new URL('../../shared/fixtures/mdmb/conversation-nanomdm/', import.meta.url));
const AT = new Date('2027-01-01T00:00:00Z'); // inside the recorded certificates' validity

interface Recorded {
  body: Buffer;
  sig: string;
}

function load(): { ca: X509Certificate; requests: Recorded[] } {
  const requests = readdirSync(CONV)
    .filter((f) => f.endsWith('.mdm-signature.b64'))
    .map((f) => ({
      sig: readFileSync(join(CONV, f), 'utf8').trim(),
      body: readFileSync(join(CONV, f.replace('.mdm-signature.b64', '.body.plist'))),
    }));
  return { ca: new X509Certificate(readFileSync(join(CONV, 'scep-ca.pem'))), requests };
}

interface Rate {
  /** Calls per wall-clock second. */
  wall: number;
  /** Calls per second of this process's CPU time: the one-core rate, robust on a busy machine. */
  cpu: number;
}

/** Rates of `fn` over about `seconds`, after a short warm-up. */
async function rate(seconds: number, fn: (i: number) => unknown): Promise<Rate> {
  for (let i = 0; i < 50; i++) await fn(i);
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const end = start + seconds * 1000;
  let n = 0;
  while (performance.now() < end) {
    for (let k = 0; k < 20; k++) await fn(n++);
  }
  const wall = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { wall: Math.round(n / wall), cpu: Math.round(n / ((cpu.user + cpu.system) / 1e6)) };
}

/** Prints the table; returns verifications per CPU-second for each path. */
export async function benchIdentity(opts: { seconds?: number } = {}): Promise<Record<string, number>> {
  const seconds = opts.seconds ?? 2;
  const { ca, requests } = load();
  const verifier = createIdentityVerifier({ anchors: [ca], certHeader: 'Client-Cert' });
  const check = (ok: boolean) => {
    if (!ok) throw new Error('a recorded signature failed to verify');
  };

  const headers = requests.map((r) => ({ 'mdm-signature': r.sig }));
  const fast = await rate(seconds, (i) => {
    const r = requests[i % requests.length];
    check(verifier.fromRequest({ raw: r.body, headers: headers[i % requests.length] }, AT).ok);
  });

  const cold = await rate(seconds, (i) => {
    const r = requests[i % requests.length];
    check(createIdentityVerifier({ anchors: [ca] }).verifySignature(r.sig, r.body, AT).ok);
  });

  const first = verifier.verifySignature(requests[0].sig, requests[0].body, AT);
  if (!first.ok || !first.certDer) throw new Error('a recorded signature failed to verify');
  const certHeader = { 'client-cert': `:${first.certDer.toString('base64')}:` };
  const header = await rate(seconds, () => check(verifier.fromRequest({ raw: requests[0].body, headers: certHeader }, AT).ok));

  const caCert = pkijs.Certificate.fromBER(ca.raw);
  const bodies = requests.map((r) => new Uint8Array(r.body).buffer);
  const pkijsRate = await rate(seconds, async (i) => {
    const r = requests[i % requests.length];
    const info = pkijs.ContentInfo.fromBER(Buffer.from(r.sig, 'base64'));
    const signed = new pkijs.SignedData({ schema: info.content });
    check(await signed.verify({ signer: 0, data: bodies[i % requests.length], trustedCerts: [caCert], checkChain: true, checkDate: AT }));
  });

  const rows: Array<[string, Rate]> = [
    ['fast path (Mdm-Signature, cached chain)', fast],
    ['fast path, cold verdict cache', cold],
    ['proxy header (RFC 9440, cached chain)', header],
    ['pkijs full verify (baseline)', pkijsRate],
  ];
  const fmt = (n: number) => n.toLocaleString('en-US').padStart(9);
  console.log(`device identity, ${requests.length} recorded mdmb requests (RSA-2048, SHA-1), one thread:`);
  console.log(`  ${''.padEnd(42)} ${'per second'.padStart(10)} ${'per CPU-second'.padStart(15)}`);
  for (const [name, r] of rows) console.log(`  ${name.padEnd(42)} ${fmt(r.wall)} ${fmt(r.cpu).padStart(15)}`);
  console.log(`  fast path speed-up over pkijs: ${(fast.cpu / pkijsRate.cpu).toFixed(0)}x (goal: >= 5,000 verifications/s on one core)`);
  return { fast: fast.cpu, cold: cold.cpu, header: header.cpu, pkijs: pkijsRate.cpu };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const i = process.argv.indexOf('--seconds');
  await benchIdentity({ seconds: i > 0 ? Number(process.argv[i + 1]) : undefined });
}
