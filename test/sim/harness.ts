// A whole Updraft for simulator tests, built by the composition root (startServer): SCEP, signed
// profiles, Mdm-Signature verification with certificate binding, DDM, and push through the fake
// APNs (its wake channel wakes simulated devices), with a push certificate imported via PUT /v1/pushcert.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_BODY_LIMIT, type Config } from '../../src/config.js';
import { FakeApns } from '../../src/push/fake-apns.js';
import { makeFakePushCert } from '../../src/push/selfsigned.js';
import { startServer, type RunningServer } from '../../src/server.js';
import type { Store } from '../../src/storage/types.js';
import { TEST_API_KEY } from '../helpers/server.js';
import { openTestStore, testDataDir } from '../helpers/store.js';

export interface Harness {
  url: string;
  store: Store;
  server: RunningServer;
  fake: FakeApns;
  /** An API call with the API key; JSON bodies are sent as JSON. */
  api(method: string, path: string, body?: unknown): Promise<Response>;
  /** Queues a command (MicroMDM JSON) for enrollments through POST /v1/enqueue, which pushes. */
  enqueue(ids: string[], command: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

/** `config` overrides server settings (e.g. campaignPollSeconds); `clock` is the engines' clock. */
export async function startHarness(opts: { config?: Partial<Config>; clock?: () => Date; campaignTickMs?: number } = {}): Promise<Harness> {
  const dataDir = testDataDir();
  const made = await makeFakePushCert({ topic: 'com.apple.mgmt.External.5e3c1a2b-5a11-4c8e-8a63-dd17d3dd35d9' });
  const fake = await FakeApns.start({ trust: [made.certPem] });
  writeFileSync(join(dataDir, 'apns-ca.pem'), fake.ca);
  const store = await openTestStore();
  const server = await startServer({
    listen: '127.0.0.1:0', dataDir, db: 'sqlite', apiKey: TEST_API_KEY, webhookUrl: null, webhookSecret: null,
    publicUrl: 'https://mdm.example.test', tlsCert: null, tlsKey: null, pushTopic: null, bodyLimit: DEFAULT_BODY_LIMIT,
    retentionDays: 0, logLevel: process.env.UPDRAFT_TEST_LOG ?? 'silent', certHeader: null, identityOptional: false,
    apnsUrl: fake.url, apnsCa: join(dataDir, 'apns-ca.pem'), ...opts.config,
  }, { store, clock: opts.clock, campaignTickMs: opts.campaignTickMs });
  const api = (method: string, path: string, body?: unknown) => fetch(server.url + path, {
    method,
    headers: { authorization: `Bearer ${TEST_API_KEY}`, ...(body === undefined || typeof body === 'string' ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const put = await api('PUT', '/v1/pushcert', made.certPem + made.keyPem);
  if (put.status !== 200) throw new Error(`pushcert import: ${put.status} ${await put.text()}`);
  return {
    url: server.url,
    store,
    server,
    fake,
    api,
    async enqueue(ids, command) {
      const res = await api('POST', '/v1/enqueue', { ids, command });
      const body = (await res.json()) as { command_uuid?: string };
      if (!body.command_uuid) throw new Error(`enqueue: ${res.status} ${JSON.stringify(body)}`);
      return body.command_uuid;
    },
    async close() {
      await server.close(); // closes the store too
      await fake.close();
    },
  };
}
