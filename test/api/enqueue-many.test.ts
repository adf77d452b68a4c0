// NanoMDM's scale: 10,000 enrollment ids in one PUT /v1/enqueue/{ids} and GET /v1/push/{ids} (the path
// is ~370 KB: Node's 16 KB header limit and the router's parameter limit would refuse it), the body
// variants (POST /v1/enqueue {ids, plist}, POST /v1/push {ids}) for any number, with NanoMDM's
// answers: 200 all ok, 207 with a per-id error for unknown ids, 500 when all fail.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { fixture } from '../helpers/fixtures.js';
import { RecordingPusher, call } from './helpers.js';

const COUNT = 10_000;
const TOPIC = 'com.apple.mgmt.External.enqueue-many';
let server: TestServer;
const pusher = new RecordingPusher();
/** 10,000 enrolled devices with UUID-form UDIDs, as Macs have. */
const ids = Array.from({ length: COUNT }, () => randomUUID().toUpperCase());

function commandPlist(uuid = randomUUID()): { uuid: string; body: Buffer } {
  return { uuid, body: Buffer.from(fixture('mdmb/commands-sent/devinfo.plist').toString('utf8').replace('CMDUUID', uuid)) };
}

before(async () => {
  server = await startTestServer({ pusher });
  const at = new Date();
  // A TokenUpdate alone makes an enabled enrollment (Authenticate would add nothing the API looks at).
  for (let i = 0; i < COUNT; i += 100) {
    await Promise.all(ids.slice(i, i + 100).map((id) =>
      server.store.tokenUpdate({ id, type: 'Device', deviceId: id, udid: id, topic: TOPIC, pushToken: randomBytes(32).toString('hex'), pushMagic: randomUUID(), at }),
    ));
  }
});
after(async () => server.close());

/** How many of `ids` have the command queued. */
async function queuedFor(uuid: string): Promise<number> {
  return (await server.store.getCommand(uuid)).filter((r) => r.status === 'queued').length;
}

test('PUT /v1/enqueue/{10,000 ids}: 200, every device queued and pushed in one call', async () => {
  const { uuid, body } = commandPlist();
  pusher.pushed.length = 0;
  const path = `/v1/enqueue/${ids.join(',')}`;
  assert.ok(path.length > 360_000, 'a path of NanoMDM size');
  const r = await call(server.url, 'PUT', path, body);
  assert.equal(r.status, 200, r.text.slice(0, 300));
  assert.equal(r.json.command_uuid, uuid);
  assert.equal(Object.keys(r.json.status).length, COUNT);
  assert.deepEqual(r.json.status[ids[COUNT - 1]!], { push_result: `apns-${ids[COUNT - 1]}` });
  assert.equal(await queuedFor(uuid), COUNT);
  assert.deepEqual(pusher.pushed, [ids], 'one push batch, every id, in order');
});

test('unknown ids among them: 207 with command_error for exactly those; all unknown: 500', async () => {
  const unknown = Array.from({ length: 50 }, (_, i) => `NOT-ENROLLED-${i}`);
  const { uuid, body } = commandPlist();
  let r = await call(server.url, 'PUT', `/v1/enqueue/${[...ids, ...unknown].join(',')}?nopush=1`, body);
  assert.equal(r.status, 207);
  assert.equal(r.json.no_push, true);
  assert.deepEqual(Object.keys(r.json.status).sort(), [...unknown].sort());
  assert.match(r.json.status['NOT-ENROLLED-7'].command_error, /unknown enrollment/);
  assert.equal(await queuedFor(uuid), COUNT);

  const nobody = Array.from({ length: COUNT }, () => randomUUID().toUpperCase());
  r = await call(server.url, 'PUT', `/v1/enqueue/${nobody.join(',')}`, commandPlist().body);
  assert.equal(r.status, 500);
  assert.equal(Object.keys(r.json.status).length, COUNT);
  assert.ok(Object.values(r.json.status).every((s) => /unknown enrollment/.test((s as { command_error: string }).command_error)));
});

test('POST /v1/enqueue {ids, plist}: the body variant, XML text or base64, NanoMDM\'s answer', async () => {
  const xml = commandPlist();
  pusher.pushed.length = 0;
  let r = await call(server.url, 'POST', '/v1/enqueue', { ids, plist: xml.body.toString('utf8') });
  assert.equal(r.status, 200, r.text.slice(0, 300));
  assert.deepEqual([r.json.command_uuid, r.json.request_type], [xml.uuid, 'DeviceInformation']);
  assert.equal(await queuedFor(xml.uuid), COUNT);
  assert.equal(pusher.pushed[0]?.length, COUNT);

  const b64 = commandPlist();
  r = await call(server.url, 'POST', '/v1/enqueue', { ids: [...ids.slice(0, 3), 'NOT-ENROLLED'], plist: b64.body.toString('base64'), nopush: true });
  assert.equal(r.status, 207);
  assert.deepEqual(Object.keys(r.json.status), ['NOT-ENROLLED']);
  assert.equal(await queuedFor(b64.uuid), 3);
});

test('the body variant refuses bad input with the field, and queues nothing', async () => {
  const { uuid, body } = commandPlist();
  const cases: Array<[object, string, RegExp]> = [
    [{ ids, plist: body.toString('utf8'), command: { request_type: 'DeviceInformation' } }, 'command', /either command .* or plist/],
    [{ ids }, 'command', /either command .* or plist/],
    [{ ids, plist: 'not base64 & not XML' }, 'plist', /XML text or base64/],
    [{ ids, plist: '<plist version="1.0"><dict>' }, 'plist', /not a valid plist/],
    [{ ids, plist: body.toString('utf8').replace(/<key>CommandUUID<\/key>\s*<string>[^<]*<\/string>/, '') }, 'plist.CommandUUID', /CommandUUID/],
    [{ ids: [], plist: body.toString('utf8') }, 'ids', /ids/],
  ];
  for (const [payload, field, reason] of cases) {
    const r = await call(server.url, 'POST', '/v1/enqueue', payload);
    assert.equal(r.status, 400, r.text);
    assert.equal(r.json.field, field);
    assert.match(r.json.error, reason);
  }
  assert.equal(await queuedFor(uuid), 0);
});

test('GET /v1/push/{10,000 ids} and POST /v1/push {ids}: push_result per id; 207 and 500 as NanoMDM', async () => {
  pusher.pushed.length = 0;
  let r = await call(server.url, 'GET', `/v1/push/${ids.join(',')}`);
  assert.equal(r.status, 200, r.text.slice(0, 300));
  assert.equal(Object.keys(r.json.status).length, COUNT);
  r = await call(server.url, 'POST', '/v1/push', { ids });
  assert.equal(r.status, 200);
  assert.deepEqual(pusher.pushed, [ids, ids]);
  pusher.failing.add(ids[0]!);
  try {
    r = await call(server.url, 'POST', '/v1/push', { ids: ids.slice(0, 2) });
    assert.equal(r.status, 207);
    assert.deepEqual(r.json.status[ids[0]!], { push_error: 'BadDeviceToken' });
    r = await call(server.url, 'POST', '/v1/push', { ids: ids.slice(0, 1) });
    assert.equal(r.status, 500);
  } finally {
    pusher.failing.clear();
  }
  r = await call(server.url, 'POST', '/v1/push', { ids: [] });
  assert.equal(r.status, 400);
});
