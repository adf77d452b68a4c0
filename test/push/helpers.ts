// Shared pieces of the push tests: enrolled devices with push info, a fake APNs with a stand-in
// push certificate, and a logger whose lines the tests can read.
import { randomBytes, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import type { Store } from '../../src/storage/types.js';
import { FakeApns, type FakeApnsOptions } from '../../src/push/fake-apns.js';
import { makeFakePushCert } from '../../src/push/selfsigned.js';
import { parsePushCertPem, type PushCertificate } from '../../src/push/cert.js';

export const TOPIC = 'com.apple.mgmt.External.e0bd1eac-1f17-4c8e-8a63-dd17d3dd35d9';

let n = 0;

/** A fresh, enabled device channel with a random 32-byte token; returns its id, token (hex) and PushMagic. */
export async function enrollPushable(store: Store, at = new Date()): Promise<{ id: string; token: string; magic: string }> {
  const id = `PUSH-${++n}-${randomUUID().toUpperCase()}`;
  const token = randomBytes(32).toString('hex');
  const magic = randomUUID().toUpperCase();
  await store.authenticate({ id, type: 'Device', deviceId: id, udid: id, topic: TOPIC, inventory: {}, at });
  await store.tokenUpdate({ id, type: 'Device', deviceId: id, udid: id, topic: TOPIC, pushToken: token, pushMagic: magic, at });
  return { id, token, magic };
}

/** A stand-in push certificate (topic TOPIC) and a fake APNs that trusts it. */
export async function fakeApnsWithCert(opts: FakeApnsOptions = {}): Promise<{ fake: FakeApns; cert: PushCertificate }> {
  const made = await makeFakePushCert({ topic: TOPIC });
  const cert = parsePushCertPem(made.certPem + made.keyPem);
  const fake = await FakeApns.start({ trust: [made.certPem], ...opts });
  return { fake, cert };
}

export interface CapturedLog {
  logger: Logger;
  lines: { level: number; msg: string; [k: string]: unknown }[];
}

/** A pino logger writing JSON lines into memory. */
export function captureLog(): CapturedLog {
  const lines: CapturedLog['lines'] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as CapturedLog['lines'][number]);
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}
