// Helpers for API tests: a recording push stub and an authenticated fetch against a test server.
import { recordPushBatch, type PushRecording } from '../../src/push/record.js';
import type { Pusher, PushOptions, PushOutcome } from '../../src/push/types.js';
import { TEST_API_KEY } from '../helpers/server.js';

/**
 * Records every push; answers ok with an apns-id, except for ids in `failing`. Given `recording`, it
 * records the push events asked for as the real pushers do (push/record.ts).
 */
export class RecordingPusher implements Pusher {
  readonly configured = true;
  readonly pushed: string[][] = [];
  readonly failing = new Set<string>();
  recording?: PushRecording;
  async push(ids: string[], opts: PushOptions = {}): Promise<PushOutcome[]> {
    this.pushed.push([...ids]);
    const outcomes = ids.map((id): PushOutcome =>
      this.failing.has(id)
        ? { id, ok: false, outcome: 'BadDeviceToken', error: 'BadDeviceToken' }
        : { id, ok: true, outcome: 'sent', apnsId: `apns-${id}` },
    );
    if (this.recording && opts.events) await recordPushBatch(this.recording, [], outcomes, opts.events);
    return outcomes;
  }
  async close(): Promise<void> {}
}

export const basicAuth = (user = 'nanomdm', key = TEST_API_KEY): string => 'Basic ' + Buffer.from(`${user}:${key}`).toString('base64');

export interface ApiReply {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any; // arbitrary JSON the assertions walk
  text: string;
}

/** Call the API with the test key (HTTP Basic as MicroMDM's and NanoMDM's tools do). */
export async function call(
  baseUrl: string,
  method: string,
  path: string,
  body?: string | Buffer | object,
  headers: Record<string, string> = {},
): Promise<ApiReply> {
  const h: Record<string, string> = { authorization: basicAuth(), ...headers };
  let payload: string | Uint8Array | undefined;
  if (Buffer.isBuffer(body)) payload = new Uint8Array(body);
  else if (typeof body === 'string') payload = body;
  else if (body !== undefined) {
    payload = JSON.stringify(body);
    h['content-type'] ??= 'application/json';
  }
  const res = await fetch(baseUrl + path, { method, headers: h, body: payload });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: res.status, json, text };
}
