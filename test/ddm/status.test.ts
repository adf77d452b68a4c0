// Status reports in Apple's format: incremental reports update only what they carry, a FullReport
// replaces the stored state, changes are kept as history, management.declarations feeds
// per-declaration status, and each report produces ddm.Status (and ddm.DeclarationError) webhook events.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, DdmDevice, outboxEvents, startRig, type Rig } from './helpers.js';

let rig: Rig;
let device: DdmDevice;
const PASSCODE = { Type: 'com.apple.configuration.passcode.settings', Identifier: 'passcode', Payload: { MinimumLength: 6 } };

before(async () => {
  rig = await startRig();
  device = new DdmDevice(rig, 'DDM-STATUS-0001');
  await device.enroll();
  await api(rig, 'PUT', '/v1/ddm/declarations', PASSCODE);
  await api(rig, 'PUT', '/v1/ddm/sets/base', { declarations: ['passcode'] });
  await api(rig, 'PUT', `/v1/ddm/sets/base/enrollments/${device.udid}`);
  await outboxEvents(rig); // start from an empty outbox
});
after(() => rig.close());

async function statusItems(): Promise<Record<string, { value: unknown }>> {
  const r = await api(rig, 'GET', `/v1/ddm/enrollments/${device.udid}/status`);
  assert.equal(r.status, 200);
  return r.json.status_items as Record<string, { value: unknown }>;
}

const FULL = {
  StatusItems: {
    device: {
      'operating-system': { version: '17.0.3', 'build-version': '21A360', family: 'iOS', supplemental: { 'build-version': '21A360' } },
      model: { identifier: 'iPhone15,2', family: 'iPhone' },
    },
    softwareupdate: {
      'install-state': 'none',
      'pending-version': { 'os-version': '', 'build-version': '' },
      'failure-reason': { count: 0 },
      'install-reason': { reason: [] },
    },
    management: { 'client-capabilities': { 'supported-versions': ['1.0.0'] } },
  },
  Errors: [],
  FullReport: true,
};

test('a full report is stored flattened to dotted names, whole values kept for schema items', async () => {
  const r = await device.ddm('status', FULL);
  assert.equal(r.status, 200, r.text);
  const items = await statusItems();
  assert.equal(items['device.operating-system.version']?.value, '17.0.3');
  assert.equal(items['device.operating-system.supplemental.build-version']?.value, '21A360');
  assert.deepEqual(items['softwareupdate.pending-version']?.value, { 'os-version': '', 'build-version': '' });
  assert.deepEqual(items['softwareupdate.install-reason']?.value, { reason: [] });
  assert.equal(items['device.model.identifier']?.value, 'iPhone15,2');

  const [ev] = await outboxEvents(rig);
  assert.equal(ev?.topic, 'ddm.Status');
  assert.ok(ev?.event_id && ev.created_at);
  const body = ev?.status_event as Record<string, unknown>;
  assert.equal(body.enrollment_id, device.udid);
  assert.equal(body.udid, device.udid);
  assert.equal(body.full_report, true);
  assert.equal((body.status_items as Record<string, unknown>)['softwareupdate.install-state'], 'none');
});

test('an incremental report changes only its items and keeps a history of values', async () => {
  await device.ddm('status', { StatusItems: { softwareupdate: { 'install-state': 'downloading' } }, Errors: [] });
  await device.ddm('status', {
    StatusItems: { softwareupdate: { 'install-state': 'installing', 'pending-version': { 'os-version': '17.1', 'build-version': '21B74' } } },
    Errors: [],
  });
  const items = await statusItems();
  assert.equal(items['softwareupdate.install-state']?.value, 'installing');
  assert.equal(items['device.operating-system.version']?.value, '17.0.3', 'untouched by incremental reports');

  const h = await api(rig, 'GET', `/v1/ddm/enrollments/${device.udid}/status/history?name=softwareupdate.install-state`);
  assert.deepEqual((h.json.history as Array<{ value: unknown }>).map((x) => x.value), ['installing', 'downloading', 'none']);

  // The same value again is not a change.
  await device.ddm('status', { StatusItems: { softwareupdate: { 'install-state': 'installing' } }, Errors: [] });
  const again = await api(rig, 'GET', `/v1/ddm/enrollments/${device.udid}/status/history?name=softwareupdate.install-state`);
  assert.equal((again.json.history as unknown[]).length, 3);

  const events = await outboxEvents(rig);
  assert.equal(events.length, 3, "one event per report, changed or not");
  assert.ok(events.every((e) => e.topic === 'ddm.Status' && (e.status_event as Record<string, unknown>).full_report === false));
});

test('a full report replaces the stored state: absent items are dropped (history records null)', async () => {
  const r = await device.ddm('status', {
    StatusItems: { device: { 'operating-system': { version: '17.1', 'build-version': '21B74' } }, softwareupdate: { 'install-state': 'none' } },
    Errors: [],
    FullReport: true,
  });
  assert.equal(r.status, 200);
  const items = await statusItems();
  assert.deepEqual(Object.keys(items).sort(), ['device.operating-system.build-version', 'device.operating-system.version', 'softwareupdate.install-state']);
  const h = await api(rig, 'GET', `/v1/ddm/enrollments/${device.udid}/status/history?name=device.model.identifier`);
  assert.equal((h.json.history as Array<{ value: unknown }>)[0]?.value, null);
  await outboxEvents(rig);
});

test('management.declarations feeds declaration status; an invalid declaration raises ddm.DeclarationError once', async () => {
  const token = ((await api(rig, 'GET', '/v1/ddm/declarations/passcode')).json).ServerToken;
  const reasons = [{ code: 'Error.ConfigurationCannotBeApplied', description: 'Passcode policy refused', details: { Error: 'nope' } }];
  const report = {
    StatusItems: {
      management: {
        declarations: {
          configurations: [{ identifier: 'passcode', 'server-token': token, active: false, valid: 'invalid', reasons }],
        },
      },
    },
    Errors: [{ StatusItem: 'softwareupdate.device-id', Reasons: [{ Code: 'Error.Unknown' }] }],
  };
  assert.equal((await device.ddm('status', report)).status, 200);
  assert.equal((await device.ddm('status', report)).status, 200);

  const view = await api(rig, 'GET', `/v1/ddm/enrollments/${device.udid}`);
  const passcode = (view.json.declarations as Array<Record<string, unknown>>).find((d) => d.identifier === 'passcode');
  const status = passcode?.status as Record<string, unknown>;
  assert.equal(status.valid, 'invalid');
  assert.equal(status.active, false);
  assert.deepEqual(status.reasons, reasons);

  const events = await outboxEvents(rig);
  const errors = events.filter((e) => e.topic === 'ddm.DeclarationError');
  assert.equal(errors.length, 1, 'reported twice, raised once');
  const body = errors[0]!.declaration_error_event as Record<string, unknown>;
  assert.equal(body.identifier, 'passcode');
  assert.equal(body.kind, 'configuration');
  assert.deepEqual(body.reasons, reasons);
  const status1 = events.find((e) => e.topic === 'ddm.Status')!.status_event as Record<string, unknown>;
  assert.deepEqual(status1.errors, [{ status_item: 'softwareupdate.device-id', reasons: [{ Code: 'Error.Unknown' }] }]);

  const logged = await rig.server.store.listEvents({ enrollmentId: device.udid, kindPrefix: 'ddm.declaration-error' });
  assert.equal(logged.length, 1);
});

test('array items are incremental: entries merge by identifier, _removed drops one, a full report replaces', async () => {
  const list = async () => (await statusItems())['app.managed.list']?.value;
  const app = (identifier: string, state: string) => ({ identifier, state, name: identifier });
  await device.ddm('status', { StatusItems: { app: { managed: { list: [app('com.a', 'installed'), app('com.b', 'installing')] } } }, Errors: [] });
  await device.ddm('status', { StatusItems: { app: { managed: { list: [app('com.b', 'installed'), app('com.c', 'queued')] } } }, Errors: [] });
  assert.deepEqual(await list(), [app('com.a', 'installed'), app('com.b', 'installed'), app('com.c', 'queued')]);
  await device.ddm('status', { StatusItems: { app: { managed: { list: [{ identifier: 'com.a', _removed: true }] } } }, Errors: [] });
  assert.deepEqual(await list(), [app('com.b', 'installed'), app('com.c', 'queued')]);
  await device.ddm('status', { StatusItems: { app: { managed: { list: [app('com.z', 'installed')] } } }, Errors: [], FullReport: true });
  assert.deepEqual(await list(), [app('com.z', 'installed')]);
});

test('old status history is pruned; latest values stay', async () => {
  const kept = await rig.server.store.ddmStatusItems(device.udid);
  assert.ok(kept.length > 0);
  const pruned = await rig.server.store.ddmPruneStatusHistory(new Date(Date.now() + 1000));
  assert.ok(pruned > 0);
  assert.deepEqual(await rig.server.store.ddmStatusHistory(device.udid), []);
  assert.deepEqual(await rig.server.store.ddmStatusItems(device.udid), kept);
});

test('a report whose events cannot be written is not kept either: the retry records the report, its ddm.Status and its ddm.DeclarationError', async () => {
  const other = new DdmDevice(rig, 'DDM-STATUS-0002');
  await other.enroll();
  await api(rig, 'PUT', `/v1/ddm/sets/base/enrollments/${other.udid}`);
  await outboxEvents(rig);
  const token = ((await api(rig, 'GET', '/v1/ddm/declarations/passcode')).json).ServerToken as string;
  const declarations = [{ identifier: 'passcode', kind: 'configuration' as const, serverToken: token, active: false, valid: 'invalid', reasons: [{ code: 'Error.X' }], unknown: false }];
  const store = rig.server.store;
  // The database refuses the webhook row (NOT NULL body) inside the report's transaction.
  await assert.rejects(store.ddmApplyStatus({
    enrollmentId: other.udid, full: false, items: [{ name: 'device.operating-system.version', value: '17.0.3' }], declarations, at: new Date(),
    records: () => ({ events: [], outbox: [{ topic: 'ddm.DeclarationError', body: null as unknown as string }] }),
  }));
  assert.deepEqual(await store.ddmStatusItems(other.udid), [], 'nothing of the report kept');
  assert.equal((await store.ddmDeclarationStatus(other.udid)).length, 0);

  const report = {
    StatusItems: {
      device: { 'operating-system': { version: '17.0.3' } },
      management: { declarations: { configurations: [{ identifier: 'passcode', 'server-token': token, active: false, valid: 'invalid', reasons: [{ code: 'Error.X' }] }] } },
    },
    Errors: [],
  };
  assert.equal((await other.ddm('status', report)).status, 200);
  assert.equal((await store.ddmStatusItems(other.udid)).find((i) => i.name === 'device.operating-system.version')?.value, '17.0.3');
  const events = await outboxEvents(rig);
  assert.deepEqual(events.map((e) => e.topic).sort(), ['ddm.DeclarationError', 'ddm.Status']);
  assert.equal((await store.listEvents({ enrollmentId: other.udid, kindPrefix: 'ddm.declaration-error' })).length, 1);
});
