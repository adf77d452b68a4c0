// MicroMDM's POST /v1/devices over HTTP, listing the whole fleet as its tools do: the answer is
// streamed from pages of DEVICE_PAGE read by id, so the server's memory should not grow with the
// fleet. Prints, for 100 and for FLEET devices, the time and the peak live heap (after full
// collections) above the resting heap during the call (the client counts devices and keeps no
// body), and as the baseline the same FLEET built whole in memory (every row, then one JSON string),
// as a non-streaming answer is.
// Run: npx tsx bench/devices.ts
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { pathToFileURL } from 'node:url';
import pino from 'pino';
import { buildApp } from '../src/http/app.js';
import { microDevice } from '../src/http/api/micromdm-views.js';
import { UnconfiguredPusher } from '../src/push/unconfigured.js';
import { compose } from '../src/service/compose.js';
import { createCoreService } from '../src/service/core.js';
import { openStore } from '../src/storage/index.js';
import type { EnrollmentRecord, Store } from '../src/storage/types.js';
import { DEFAULT_BODY_LIMIT, type Config } from '../src/config.js';

const FLEET = Number(process.env.UPDRAFT_BENCH_FLEET ?? 20_000);
const KEY = 'bench-key';
const MB = 1024 * 1024;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Live heap after a full collection, bytes. */
function live(): number {
  gc();
  return process.memoryUsage().heapUsed;
}

/**
 * Peak live heap above the resting one while `run` goes: every 5 ms a full collection, then the heap
 * (garbage not yet collected would otherwise count). The time is measured apart, without the sampling.
 */
async function peakHeap<T>(run: () => Promise<T>): Promise<{ peak: number; ms: number; value: T }> {
  let start = performance.now();
  await run();
  const ms = performance.now() - start;
  const rest = live();
  let peak = rest;
  const timer = setInterval(() => { peak = Math.max(peak, live()); }, 5);
  start = performance.now();
  const value = await run();
  clearInterval(timer);
  return { peak: (peak - rest) / MB, ms, value };
}

async function enroll(store: Store, count: number, prefix: string): Promise<void> {
  const at = new Date();
  for (let i = 0; i < count; i += 200) {
    await Promise.all(Array.from({ length: Math.min(200, count - i) }, (_, k) => {
      const id = `${prefix}-${String(i + k).padStart(6, '0')}-${randomUUID().toUpperCase()}`;
      return store.tokenUpdate({ id, type: 'Device', deviceId: id, udid: id, topic: 'com.apple.mgmt.bench', pushToken: randomBytes(32).toString('hex'), pushMagic: randomUUID(), at });
    }));
  }
}

export async function benchDevices(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'updraft-bench-devices-'));
  const db = process.env.UPDRAFT_BENCH_DB ?? 'sqlite';
  const logger = pino({ level: 'silent' });
  const stores = [await openStore({ db, dataDir }), await openStore({ db: db === 'sqlite' ? join(dataDir, 'small.db') : db, dataDir })];
  const config: Config = {
    listen: '127.0.0.1:0', dataDir, db, apiKey: KEY, webhookUrl: null, webhookSecret: null, publicUrl: 'https://mdm.example.test',
    tlsCert: null, tlsKey: null, pushTopic: null, bodyLimit: DEFAULT_BODY_LIMIT, retentionDays: 0, logLevel: 'silent', certHeader: null, identityOptional: true,
  };
  const apps = await Promise.all(stores.map((store) =>
    buildApp({ config, store, pusher: new UnconfiguredPusher({ store, logger }), logger, service: compose(createCoreService({ store })) })));
  try {
    const [big, small] = stores as [Store, Store];
    await enroll(big, FLEET, 'BIG');
    await enroll(small, 100, 'SMALL');
    const urls: string[] = [];
    for (const app of apps) {
      await app.listen({ host: '127.0.0.1', port: 0 });
      urls.push(`http://127.0.0.1:${(app.server.address() as { port: number }).port}`);
    }
    /** The client: reads the streamed answer and counts devices (no body kept). */
    const list = async (url: string): Promise<number> => {
      const res = await fetch(`${url}/v1/devices`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` }, body: '{}' });
      let devices = 0;
      let tail = '';
      const decoder = new TextDecoder();
      for await (const chunk of res.body!) {
        const text = tail + decoder.decode(chunk as Uint8Array, { stream: true });
        devices += text.split('"udid"').length - 1;
        tail = text.slice(-5); // a key cut by the chunk boundary is counted with the next chunk
      }
      return devices;
    };
    /** The baseline: what a non-streaming answer holds at once (every row and the whole JSON), measured while held. */
    const built = async (): Promise<{ peak: number; ms: number; value: number }> => {
      const rest = live();
      const start = performance.now();
      const all: EnrollmentRecord[] = [];
      for (let offset = 0; ; offset += 1000) {
        const page = await big.listEnrollments({ type: 'Device', limit: 1000, offset });
        all.push(...page);
        if (page.length < 1000) break;
      }
      const json = JSON.stringify({ devices: all.map(microDevice) });
      const ms = performance.now() - start;
      const peak = (live() - rest) / MB; // measured while `all` and `json` are both still held
      if (json.length === 0) throw new Error('empty list');
      return { peak, ms, value: all.length };
    };
    await list(urls[0]!); // warm-up
    await list(urls[1]!);
    const rows: Array<[string, Awaited<ReturnType<typeof peakHeap<number>>>]> = [
      ['POST /v1/devices, 100 devices, streamed', await peakHeap(() => list(urls[1]!))],
      [`POST /v1/devices, ${FLEET} devices, streamed`, await peakHeap(() => list(urls[0]!))],
      [`baseline: ${FLEET} devices built whole (rows + one JSON string)`, await built()],
    ];
    console.log(`MicroMDM device list (${db === 'sqlite' ? 'SQLite' : 'PostgreSQL'}), server and client in one process, peak heap above rest:`);
    for (const [label, r] of rows) {
      console.log(`  ${label.padEnd(58)} ${r.peak.toFixed(1).padStart(6)} MB   ${r.ms.toFixed(0).padStart(6)} ms   (${r.value} devices)`);
    }
  } finally {
    for (const app of apps) await app.close();
    for (const s of stores) await s.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await benchDevices();
