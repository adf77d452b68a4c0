// NanoMDM's enqueue at fleet scale, over HTTP against the real app, store (SQLite, or PostgreSQL with
// UPDRAFT_BENCH_DB=postgres://…) and APNs provider, with the fake APNs in its own process:
//   PUT /v1/enqueue/{10,000 ids}       one call, ids in the path (NanoMDM's way)
//   POST /v1/enqueue {ids, plist}      the body variant, 10,000 ids
//   baseline: PUT /v1/enqueue/{100 ids}, 100 calls over the same 10,000 enrollments
// each with its push and without (?nopush=1). Figures: enrollment ids per second, median of ROUNDS.
// Run: npx tsx bench/enqueue.ts
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import pino from 'pino';
import { buildApp } from '../src/http/app.js';
import { ApnsPusher } from '../src/push/apns.js';
import { parsePushCertPem } from '../src/push/cert.js';
import { makeFakePushCert } from '../src/push/selfsigned.js';
import { compose } from '../src/service/compose.js';
import { createCoreService } from '../src/service/core.js';
import { openStore } from '../src/storage/index.js';
import { DEFAULT_BODY_LIMIT, type Config } from '../src/config.js';
import { enrollments, startFake } from './push.js';

const DEVICES = 10_000;
const SMALL = 100;
const ROUNDS = 3;
const KEY = 'bench-key';

const plist = (uuid: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><plist version="1.0"><dict><key>Command</key><dict><key>RequestType</key><string>DeviceInformation</string>` +
  `<key>Queries</key><array><string>OSVersion</string></array></dict><key>CommandUUID</key><string>${uuid}</string></dict></plist>`;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchEnqueue(): Promise<void> {
  const made = await makeFakePushCert();
  const fake = await startFake(made.certPem);
  const dataDir = mkdtempSync(join(tmpdir(), 'updraft-bench-enqueue-'));
  const db = process.env.UPDRAFT_BENCH_DB ?? 'sqlite';
  const store = await openStore({ db, dataDir });
  const logger = pino({ level: 'silent' });
  const pusher = new ApnsPusher({ store, cert: parsePushCertPem(made.certPem + made.keyPem), logger, url: fake.url, ca: fake.ca });
  const config: Config = {
    listen: '127.0.0.1:0', dataDir, db, apiKey: KEY, webhookUrl: null, webhookSecret: null, publicUrl: 'https://mdm.example.test',
    tlsCert: null, tlsKey: null, pushTopic: null, bodyLimit: DEFAULT_BODY_LIMIT, retentionDays: 0, logLevel: 'silent', certHeader: null, identityOptional: true,
  };
  const app = await buildApp({ config, store, pusher, logger, service: compose(createCoreService({ store })) });
  try {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    const ids = await enrollments(store, made.topic, DEVICES);
    const call = async (method: string, path: string, body: string, type: string, expect: number) => {
      const res = await fetch(url + path, { method, headers: { authorization: `Bearer ${KEY}`, 'content-type': type }, body });
      const text = await res.text();
      if (res.status !== expect) throw new Error(`${method} ${path.slice(0, 40)}…: ${res.status} ${text.slice(0, 200)}`);
    };
    const path = (list: string[], nopush: boolean) => `/v1/enqueue/${list.join(',')}${nopush ? '?nopush=1' : ''}`;
    const inPath = (nopush: boolean) => () => call('PUT', path(ids, nopush), plist(randomUUID()), 'application/xml', 200);
    const inBody = (nopush: boolean) => () =>
      call('POST', '/v1/enqueue', JSON.stringify({ ids, plist: plist(randomUUID()), nopush }), 'application/json', 200);
    const small = (nopush: boolean) => async () => {
      for (let i = 0; i < DEVICES; i += SMALL) await call('PUT', path(ids.slice(i, i + SMALL), nopush), plist(randomUUID()), 'application/xml', 200);
    };
    const cases: Array<[string, () => Promise<void>]> = [
      [`baseline: ${DEVICES / SMALL} × PUT /v1/enqueue/{${SMALL} ids}, push`, small(false)],
      [`PUT /v1/enqueue/{${DEVICES} ids}, push`, inPath(false)],
      [`POST /v1/enqueue {${DEVICES} ids, plist}, push`, inBody(false)],
      [`baseline: ${DEVICES / SMALL} × PUT /v1/enqueue/{${SMALL} ids}?nopush=1`, small(true)],
      [`PUT /v1/enqueue/{${DEVICES} ids}?nopush=1`, inPath(true)],
      [`POST /v1/enqueue {${DEVICES} ids, plist, nopush}`, inBody(true)],
    ];
    await small(false)(); // warm-up: connections, JIT, database pages
    const rates = new Map<string, number[]>(cases.map(([label]) => [label, []]));
    for (let r = 0; r < ROUNDS; r++) {
      for (const [label, run] of cases) {
        const start = performance.now();
        await run();
        rates.get(label)!.push(Math.round(DEVICES / ((performance.now() - start) / 1000)));
      }
    }
    console.log(`NanoMDM enqueue over HTTP, ${DEVICES} enrollments, ${db === 'sqlite' ? 'SQLite' : 'PostgreSQL'}, fake APNs in its own process, median of ${ROUNDS} rounds:`);
    for (const [label, xs] of rates) console.log(`  ${label.padEnd(52)} ${String(median(xs)).padStart(7)} ids/s   (${xs.join(' / ')})`);
  } finally {
    await app.close();
    await pusher.close();
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
    fake.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await benchEnqueue();
