// `updraft inventory ID [--history]`: the API's inventory as a field table or exact JSON, and the
// history of a device's OS, run as a subprocess like a user would.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, TEST_API_KEY, type TestServer } from '../helpers/server.js';
import { TestDevice } from '../helpers/device.js';
import { runCli } from '../cli/run.js';

let server: TestServer;
let env: Record<string, string>;
const MAC = 'INVCLI00-1111-2222-3333-444455556666';

before(async () => {
  server = await startTestServer();
  env = { UPDRAFT_SERVER: server.url, UPDRAFT_API_KEY: TEST_API_KEY };
  const mac = new TestDevice(server.url, { ids: { UDID: MAC } });
  await mac.authenticate({ OSVersion: '14.6.1', BuildVersion: '23G93', ProductName: 'MacBookPro18,3', Model: 'MacBookPro18,3', SerialNumber: 'C02INV' });
  await mac.tokenUpdate();
  await server.store.upsertInventory(MAC, { osVersion: '15.0', buildVersion: '24A335', isSupervised: true }, new Date());
});
after(async () => server.close());

const api = async (path: string) => (await fetch(server.url + path, { headers: { authorization: `Bearer ${TEST_API_KEY}` } })).json();

test('inventory: one field per line, or the API JSON with --json', async () => {
  const [human, json] = await Promise.all([runCli(['inventory', MAC], env), runCli(['inventory', MAC, '--json'], env)]);
  assert.equal(human.code, 0, human.stderr);
  const lines = human.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /^FIELD\s+VALUE$/);
  assert.ok(lines.some((l) => /^os_version\s+15\.0$/.test(l)), human.stdout);
  assert.ok(lines.some((l) => /^is_supervised\s+true$/.test(l)));
  assert.equal(json.code, 0, json.stderr);
  assert.deepEqual(JSON.parse(json.stdout), await api(`/v1/devices/${MAC}/inventory`));
});

test('inventory --history: the OS history, newest first; --field narrows it; an unknown device fails with the reason', async () => {
  const [os, json, missing, badField] = await Promise.all([
    runCli(['inventory', MAC, '--history', '--field', 'os_version'], env),
    runCli(['inventory', MAC, '--history', '--json', '--limit', '2'], env),
    runCli(['inventory', 'NO-SUCH-DEVICE'], env),
    runCli(['inventory', MAC, '--history', '--field', 'shoe_size'], env),
  ]);
  assert.equal(os.code, 0, os.stderr);
  const [header, newest, oldest, extra] = os.stdout.trimEnd().split('\n');
  assert.match(header!, /^AT\s+FIELD\s+FROM\s+TO$/);
  assert.match(newest!, /os_version\s+14\.6\.1\s+15\.0$/);
  assert.match(oldest!, /os_version\s+-\s+14\.6\.1$/);
  assert.equal(extra, undefined);
  assert.deepEqual(JSON.parse(json.stdout), await api(`/v1/devices/${MAC}/inventory/history?limit=2`));
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /unknown device/);
  assert.equal(badField.code, 1);
  assert.match(badField.stderr, /unknown inventory field/);
});
