// A DDM test rig: a real server with the DDM handler and API, a recording pusher, a test device that
// speaks the DeclarativeManagement check-ins, and API helpers.
import assert from 'node:assert/strict';
import { createDdm, ddmEnableMiddleware, type Ddm } from '../../src/ddm/index.js';
import type { Pusher } from '../../src/push/types.js';
import { parsePlist, type PlistDict } from '../../src/plist/index.js';
import type { OutboxItem } from '../../src/storage/types.js';
import { TestDevice, commandOf, type Reply } from '../helpers/device.js';
import { startTestServer, TEST_API_KEY, type TestServer } from '../helpers/server.js';
import { openTestStore } from '../helpers/store.js';

export interface Rig {
  server: TestServer;
  ddm: Ddm;
  pushed: string[];
  close(): Promise<void>;
}

/** enable: DDM is turned on at each device's first TokenUpdate (as the server wires it). */
export async function startRig(opts: { enable?: boolean } = {}): Promise<Rig> {
  const store = await openTestStore();
  const pushed: string[] = [];
  const pusher: Pusher = {
    configured: true,
    async push(ids) {
      pushed.push(...ids);
      return ids.map((id) => ({ id, ok: true, outcome: 'sent' }));
    },
    async close() {},
  };
  const ddm = createDdm({ store, pusher, webhooks: true });
  const server = await startTestServer({
    store, pusher,
    core: { declarative: ddm.handler },
    middlewares: opts.enable ? [ddmEnableMiddleware({ store, ddm })] : [],
    config: { webhookUrl: 'http://127.0.0.1:9/hook' },
  });
  return {
    server, ddm, pushed,
    async close() {
      await server.close();
      await store.close();
    },
  };
}

export interface ApiReply {
  status: number;
  json: Record<string, unknown>;
}

export async function api(rig: Rig, method: string, path: string, body?: unknown): Promise<ApiReply> {
  const res = await fetch(rig.server.url + path, {
    method,
    headers: { authorization: `Bearer ${TEST_API_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** A device that enrolls over MDM, then talks DDM like Apple's client. */
export class DdmDevice extends TestDevice {
  constructor(rig: Rig, readonly udid: string) {
    super(rig.server.url, { ids: { UDID: udid } });
  }

  ddm(endpoint: string, data?: unknown): Promise<Reply> {
    const extra: PlistDict = { Endpoint: endpoint };
    if (data !== undefined) extra.Data = Buffer.isBuffer(data) ? data : Buffer.from(JSON.stringify(data));
    return this.checkin('DeclarativeManagement', extra);
  }

  async ddmJson(endpoint: string): Promise<Record<string, unknown>> {
    const r = await this.ddm(endpoint);
    assert.equal(r.status, 200, `${endpoint}: ${r.text}`);
    assert.match(r.contentType ?? '', /application\/json/);
    return JSON.parse(r.text) as Record<string, unknown>;
  }

  async declarationsToken(): Promise<string> {
    const t = (await this.ddmJson('tokens')).SyncTokens as { DeclarationsToken: string };
    return t.DeclarationsToken;
  }

  /** Poll the command channel: the SyncTokens of a queued DeclarativeManagement command (acknowledged), or null. */
  async nextSyncTokens(): Promise<{ DeclarationsToken: string; Timestamp: string } | null> {
    const cmd = commandOf(await this.idle());
    if (!cmd) return null;
    assert.equal(cmd.requestType, 'DeclarativeManagement');
    assert.ok(Buffer.isBuffer(cmd.command.Data), 'Data is <data>');
    await this.result('Acknowledged', cmd.uuid);
    return (JSON.parse((cmd.command.Data as Buffer).toString('utf8')) as { SyncTokens: { DeclarationsToken: string; Timestamp: string } }).SyncTokens;
  }
}

/** Webhook events written to the outbox since the last call, parsed, in order (they are marked delivered). */
export async function outboxEvents(rig: Rig, topicPrefix = 'ddm.'): Promise<Array<Record<string, unknown>>> {
  const now = new Date();
  const items: OutboxItem[] = await rig.server.store.outboxClaim(now, new Date(now.getTime() + 3600_000), 1000);
  for (const i of items) await rig.server.store.outboxDone(i.id, now);
  return items.filter((i) => i.topic.startsWith(topicPrefix)).map((i) => JSON.parse(i.body) as Record<string, unknown>);
}

export { parsePlist };
