// A whole Updraft for simulator tests: the real server (SCEP, signed profiles, Mdm-Signature
// verification with certificate binding), the fake APNs with its wake channel, and a push
// certificate imported through PUT /v1/pushcert, so pushes reach simulated devices.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { setupIdentity, type IdentitySetup } from '../../src/identity/index.js';
import { loadPki } from '../../src/pki/pki.js';
import { createPusher, type ManagedPusher } from '../../src/push/index.js';
import { FakeApns } from '../../src/push/fake-apns.js';
import { makeFakePushCert } from '../../src/push/selfsigned.js';
import { startTestServer, TEST_API_KEY, type TestServer } from '../helpers/server.js';
import { openTestStore, testDataDir } from '../helpers/store.js';

export interface Harness {
  server: TestServer;
  fake: FakeApns;
  /** Queues a command (MicroMDM JSON) for enrollments through POST /v1/enqueue, which pushes. */
  enqueue(ids: string[], command: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  const dataDir = testDataDir();
  const topic = 'com.apple.mgmt.External.5e3c1a2b-sim0-4c8e-8a63-dd17d3dd35d9';
  const made = await makeFakePushCert({ topic });
  const fake = await FakeApns.start({ trust: [made.certPem] });
  writeFileSync(join(dataDir, 'apns-ca.pem'), fake.ca);
  const store = await openTestStore();
  const logger = pino({ level: 'silent' });
  const pusher: ManagedPusher = await createPusher({ store, config: { apnsUrl: fake.url, apnsCa: join(dataDir, 'apns-ca.pem') }, logger, retryDelayMs: 5 });
  let identity: IdentitySetup | undefined;
  const server = await startTestServer({
    store,
    pusher,
    config: { dataDir, identityOptional: false },
    pki: (s, config) => loadPki(config, s),
    middlewares: (s, config) => {
      const pki = loadPki(config, s);
      identity = setupIdentity({ config, anchors: pki.trustAnchors, store: s, logger });
      return [identity.middleware];
    },
    identity: (req) => identity!.resolver(req),
  });
  const auth = { authorization: `Bearer ${TEST_API_KEY}` };
  const put = await fetch(`${server.url}/v1/pushcert`, { method: 'PUT', body: made.certPem + made.keyPem, headers: auth });
  if (put.status !== 200) throw new Error(`pushcert import: ${put.status} ${await put.text()}`);
  return {
    server,
    fake,
    async enqueue(ids, command) {
      const res = await fetch(`${server.url}/v1/enqueue`, { method: 'POST', body: JSON.stringify({ ids, command }), headers: { ...auth, 'content-type': 'application/json' } });
      const body = (await res.json()) as { command_uuid?: string };
      if (!body.command_uuid) throw new Error(`enqueue: ${res.status} ${JSON.stringify(body)}`);
      return body.command_uuid;
    },
    async close() {
      await server.close();
      await pusher.close();
      await store.close();
      await fake.close();
    },
  };
}
