// What the crash and multi-node tests compare: the commands the API accepted, what each simulated
// device was handed and had answered, and the webhook events a receiver got, checked against the
// server's queue at the end.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { Store } from '../../src/storage/types.js';

export class Ledger {
  /** command uuid → target UDIDs, for every enqueue the API answered with success. */
  readonly accepted = new Map<string, string[]>();
  /** `${udid} ${uuid}` → times the device was handed the command. */
  readonly delivered = new Map<string, number>();
  /** `${udid} ${uuid}` → the final status the server took (answered 200). */
  readonly answered = new Map<string, string>();
  /** Deliveries of a command after the server took the device's final answer to it. */
  readonly redelivered: string[] = [];

  onDelivered(udid: string, uuid: string): void {
    const k = `${udid} ${uuid}`;
    this.delivered.set(k, (this.delivered.get(k) ?? 0) + 1);
    if (this.answered.has(k)) this.redelivered.push(k);
  }

  onAnswered(udid: string, uuid: string, status: string): void {
    if (status !== 'NotNow') this.answered.set(`${udid} ${uuid}`, status);
  }
}

/**
 * A webhook receiver: every acknowledge event as `${udid} ${uuid} ${status}`, and every check-in
 * event as `${udid} ${topic}`, with how often it came.
 */
export async function webhookReceiver(): Promise<{ url: string; acks: Map<string, number>; checkins: Map<string, number>; close(): Promise<void> }> {
  const acks = new Map<string, number>();
  const checkins = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => { body += d.toString(); });
    req.on('end', () => {
      try {
        const ev = JSON.parse(body) as { topic: string; acknowledge_event?: { udid?: string; command_uuid: string; status: string }; checkin_event?: { udid?: string } };
        const a = ev.acknowledge_event;
        if (a) {
          const k = `${a.udid} ${a.command_uuid.toLowerCase()} ${a.status}`;
          acks.set(k, (acks.get(k) ?? 0) + 1);
        }
        if (ev.checkin_event) {
          const k = `${ev.checkin_event.udid} ${ev.topic}`;
          checkins.set(k, (checkins.get(k) ?? 0) + 1);
        }
      } catch { /* not ours */ }
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}/hook`, acks, checkins, close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

const FINAL: Record<string, string> = { Acknowledged: 'acknowledged', Error: 'error', CommandFormatError: 'error' };

/**
 * The end state against the ledger: every accepted command reached every target and was answered
 * (none lost), every answer the server took is on record with its result (none lost), no command
 * was handed again after its final answer, and every recorded result reached the webhook receiver.
 */
export async function checkLedger(store: Store, ledger: Ledger, acks: Map<string, number>, udids: string[]): Promise<{ commands: number; results: number; webhookDuplicates: number }> {
  const rows = new Map<string, { status: string; resultAt: Date | null }>();
  for (const udid of udids) {
    for (const e of await store.listQueue(udid, { includeDone: true, limit: 5000 })) rows.set(`${udid} ${e.uuid.toLowerCase()}`, { status: e.status, resultAt: e.resultAt });
  }
  let commands = 0;
  for (const [uuid, targets] of ledger.accepted) {
    for (const udid of targets) {
      commands++;
      const row = rows.get(`${udid} ${uuid.toLowerCase()}`);
      assert.ok(row, `accepted command ${uuid} for ${udid} is not in the queue (lost)`);
      assert.ok(row.status === 'acknowledged' || row.status === 'error', `${uuid} for ${udid} ended ${row.status}`);
    }
  }
  let results = 0;
  for (const [k, status] of ledger.answered) {
    const [udid, uuid] = k.split(' ') as [string, string];
    const row = rows.get(`${udid} ${uuid.toLowerCase()}`);
    assert.ok(row && row.status === FINAL[status] && row.resultAt, `the server took ${status} for ${k} but has ${JSON.stringify(row)} (result lost)`);
    results++;
  }
  assert.deepEqual(ledger.redelivered, [], 'commands handed again after their final answer was taken');
  let webhookDuplicates = 0;
  for (const [k, row] of rows) {
    if (row.status !== 'acknowledged') continue;
    const n = acks.get(`${k.split(' ')[0]} ${k.split(' ')[1]} Acknowledged`) ?? 0;
    assert.ok(n >= 1, `no webhook event for the result of ${k} (event lost)`);
    webhookDuplicates += n - 1;
  }
  return { commands, results, webhookDuplicates };
}
