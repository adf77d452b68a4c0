// SCEP issuance on the server side: PKCSReq messages built up front with the simulator's own builders
// (AES-128 envelope, RSA-2048 signer, the static challenge), then
//   in-process   ScepServer.pkiOperation called back to back (one core): requests/s and CPU ms each
//   over HTTP    `updraft serve` in a child process (SQLite in a temp dir), POSTs from this process
//                with a few in flight: requests/s and the server process's CPU ms per request
// Run: npx tsx bench/scep.ts [--count 600] [--concurrency 8] [--no-build]   (the server is the compiled
//   CLI, bin/updraft.js, built first as bench/client.ts does; or UPDRAFT_BENCH_BIN, another build's)
import { execFileSync, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { envelope } from '../src/sim/scep.js';
import { certificationRequest, selfSignedCert, signedData } from '../src/sim/pki.js';
import { octetString, printableString } from '../src/asn1/index.js';
import { createCA, CA } from '../src/pki/ca.js';
import { Challenges } from '../src/pki/challenge.js';
import { ScepServer } from '../src/pki/scep/server.js';
import { procCpuMs } from '../src/sim/proc.js';
import { freePort } from './process.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const CHALLENGE = 'bench-static-challenge';

/** Builds `count` distinct PKCSReq messages (own transactionID and nonce) for one CA. */
export function buildRequests(caDer: Buffer, challenge: string, count: number): Buffer[] {
  const key: KeyObject = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const at = new Date();
  const signer = selfSignedCert(key, 'bench device', at);
  const csr = certificationRequest(key, [['2.5.4.3', 'bench device']], challenge);
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    out.push(signedData({
      content: envelope(csr, caDer), detached: false, certDer: signer, key, at,
      attributes: [
        { type: '2.16.840.1.113733.1.9.2', value: printableString('19') },
        { type: '2.16.840.1.113733.1.9.7', value: printableString(randomBytes(20).toString('hex')) },
        { type: '2.16.840.1.113733.1.9.5', value: octetString(randomBytes(16)) },
      ],
    }));
  }
  return out;
}

const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;
const round = (n: number, d = 1) => Number(n.toFixed(d));

export async function benchScepInProcess(count: number): Promise<{ perSecond: number; cpuMsPerRequest: number }> {
  const { certDer, key } = createCA('Bench SCEP CA');
  const ca = new CA(certDer, key);
  const noStore = { addChallenge: async () => {}, consumeChallenge: async () => false };
  const scep = new ScepServer({ ca, challenges: new Challenges(noStore, CHALLENGE), certValidityDays: 365 });
  const messages = buildRequests(certDer, CHALLENGE, count);
  for (const m of messages.slice(0, 20)) await scep.pkiOperation(m); // warm-up
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  for (const m of messages) {
    const r = await scep.pkiOperation(m);
    if (r.status !== 'SUCCESS') throw new Error(`bench request refused: ${r.reason}`);
  }
  const seconds = (performance.now() - t0) / 1000;
  return { perSecond: round(count / seconds), cpuMsPerRequest: round(cpuMs(process.cpuUsage(cpu)) / count, 3) };
}

function post(agent: http.Agent, port: number, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, agent, method: 'POST', path: '/scep?operation=PKIOperation', headers: { 'content-type': 'application/x-pki-message', 'content-length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

export async function benchScepHttp(count: number, concurrency: number): Promise<{ perSecond: number; serverCpuMsPerRequest: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'updraft-bench-scep-'));
  const port = await freePort();
  const bin = process.env.UPDRAFT_BENCH_BIN ?? join(root, 'bin/updraft.js');
  const server = spawn(process.execPath, [bin, 'serve', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir, '--log-level', 'error'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    const url = `http://127.0.0.1:${port}`;
    let caDer: Buffer | null = null;
    for (let i = 0; !caDer; i++) {
      caDer = await fetch(`${url}/scep?operation=GetCACert`).then(async (r) => (r.ok ? Buffer.from(await r.arrayBuffer()) : null), () => null);
      if (i > 300) throw new Error('the server did not start');
      if (!caDer) await new Promise((r) => setTimeout(r, 100));
    }
    const challenge = readFileSync(join(dataDir, 'scep-challenge'), 'utf8').trim();
    const messages = buildRequests(caDer, challenge, count + 40);
    const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
    for (const m of messages.splice(0, 40)) await post(agent, port, m); // warm-up
    const cpu0 = procCpuMs(server.pid!);
    const t0 = performance.now();
    let next = 0;
    let failed = 0;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < messages.length) if ((await post(agent, port, messages[next++]!)) !== 200) failed++;
    }));
    const seconds = (performance.now() - t0) / 1000;
    const serverCpu = procCpuMs(server.pid!) - cpu0;
    agent.destroy();
    if (failed) throw new Error(`${failed} SCEP requests failed`);
    return { perSecond: round(count / seconds), serverCpuMsPerRequest: round(serverCpu / count, 3) };
  } finally {
    server.kill();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function benchScep(opts: { count?: number; concurrency?: number; build?: boolean } = {}): Promise<void> {
  const count = opts.count ?? 600;
  if (opts.build !== false && !process.env.UPDRAFT_BENCH_BIN) execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  const inProcess = await benchScepInProcess(count);
  console.log(`scep in-process PKCSReq → CertRep: ${inProcess.perSecond} req/s, ${inProcess.cpuMsPerRequest} CPU ms/request`);
  const overHttp = await benchScepHttp(count, opts.concurrency ?? 8);
  console.log(`scep over HTTP (updraft serve, SQLite): ${overHttp.perSecond} req/s, ${overHttp.serverCpuMsPerRequest} server CPU ms/request`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { count: { type: 'string', default: '600' }, concurrency: { type: 'string', default: '8' }, 'no-build': { type: 'boolean', default: false } } });
  await benchScep({ count: Number(values.count), concurrency: Number(values.concurrency), build: !values['no-build'] });
}
