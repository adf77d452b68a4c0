// Storage hot paths, on SQLite and PostgreSQL, with the calls the command service makes:
//   idle poll      = reportAndNext of an Idle on an empty queue, lastSeenAt refreshed (the most common request)
//   round trip     = reportAndNext of an Acknowledged result: result, event, lastSeenAt and the next
//                    command in one transaction (a device working through its queue)
// across a fleet of enrolled devices. PostgreSQL is measured one-at-a-time and with 16 requests in
// flight (what a busy server sees); it is skipped with a notice when unreachable.
// Run: npx tsx bench/storage.ts   (UPDRAFT_TEST_PG overrides the PostgreSQL URL)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { openStore } from '../src/storage/index.js';
import type { Store } from '../src/storage/types.js';
import { openBenchSchema } from './pg-schema.js';

const DEVICES = 1000;
const COMMANDS_PER_DEVICE = 4;
const COMMAND = Buffer.from(
  '<?xml version="1.0" encoding="UTF-8"?><plist version="1.0"><dict><key>Command</key><dict>' +
    '<key>RequestType</key><string>DeviceInformation</string></dict><key>CommandUUID</key><string>X</string></dict></plist>',
);
const RESULT = Buffer.alloc(2048, 'r');

async function enrollFleet(store: Store): Promise<string[]> {
  const ids = Array.from({ length: DEVICES }, (_, i) => `BENCH-${String(i).padStart(5, '0')}-${randomUUID()}`);
  const at = new Date();
  let next = 0;
  const enroll = async () => {
    for (let id = ids[next++]; id !== undefined; id = ids[next++]) {
      await store.authenticate({ id, type: 'Device', deviceId: id, udid: id, topic: 't', inventory: { osVersion: '14.4', platform: 'macOS' }, at });
      await store.tokenUpdate({ id, type: 'Device', deviceId: id, udid: id, topic: 't', pushToken: 'ab'.repeat(32), pushMagic: 'pm', at });
    }
  };
  await Promise.all(Array.from({ length: 8 }, enroll));
  return ids;
}

/** Run `op` over the fleet round-robin with `inFlight` concurrent callers for about `ms`; ops/s. */
async function rate(ids: string[], inFlight: number, ms: number, op: (id: string) => Promise<boolean>): Promise<number> {
  const end = performance.now() + ms;
  let done = 0;
  let cursor = 0;
  const start = performance.now();
  const worker = async () => {
    while (performance.now() < end) {
      if (!(await op(ids[cursor++ % ids.length]!))) return;
      done++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return Math.round(done / ((performance.now() - start) / 1000));
}

async function measure(label: string, store: Store, concurrency: number[]): Promise<void> {
  const ids = await enrollFleet(store);
  const now = () => new Date();
  const idle = async (id: string) => {
    const at = now();
    await store.reportAndNext({ enrollmentId: id, at, result: null, skipNotNow: false, touch: true });
    return true;
  };
  // Each device gets a queue; a round trip acknowledges the command it was last handed.
  const handed = new Map<string, string>();
  const roundTrip = async (id: string) => {
    const uuid = handed.get(id);
    const at = now();
    const result = uuid ? { uuid, status: 'Acknowledged' as const, requestType: 'DeviceInformation', raw: RESULT, json: { Status: 'Acknowledged' } } : null;
    const { next } = await store.reportAndNext({ enrollmentId: id, at, result, skipNotNow: false, touch: true });
    if (!next) return false;
    handed.set(id, next.uuid);
    return true;
  };
  for (const inFlight of concurrency) {
    const idleRate = await rate(ids, inFlight, 1500, idle);
    for (let i = 0; i < COMMANDS_PER_DEVICE * 10; i++) {
      await store.enqueue({ uuid: randomUUID(), requestType: 'DeviceInformation', raw: COMMAND, at: now() }, ids);
    }
    handed.clear();
    const tripRate = await rate(ids, inFlight, 1500, roundTrip);
    await Promise.all(ids.map((id) => store.clearQueue(id, now())));
    console.log(
      `  ${label.padEnd(10)} in flight ${String(inFlight).padStart(2)}: ` +
        `idle poll ${String(idleRate).padStart(7)} /s   result round trip ${String(tripRate).padStart(7)} /s`,
    );
  }
}

export async function benchStorage(): Promise<void> {
  console.log(`storage hot paths, ${DEVICES} enrolled devices:`);
  const dataDir = mkdtempSync(join(tmpdir(), 'updraft-bench-'));
  try {
    const sqlite = await openStore({ db: 'sqlite', dataDir });
    await measure('SQLite', sqlite, [1]);
    await sqlite.close();

    const postgres = await openBenchSchema(dataDir);
    if (!postgres) return;
    try {
      await measure('PostgreSQL', postgres.store, [1, 16]);
    } finally {
      await postgres.drop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await benchStorage();
