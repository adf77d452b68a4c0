// A full device conversation over HTTP, on the backend named by UPDRAFT_TEST_DB, with real device bodies.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fixture, fixturePath } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { CHECKIN_CONTENT_TYPE, COMMAND_CONTENT_TYPE, commandOf, put, queueCommand, TestDevice } from '../helpers/device.js';

let srv: TestServer;
before(async () => { srv = await startTestServer(); });
after(() => srv.close());

const MAC_UDID = '66ADE930-5FDF-5EC4-8429-15640684C489';

test('nanomdm fixtures: Authenticate → TokenUpdate → Idle → command → Acknowledged → empty body', async () => {
  const auth = await put(`${srv.url}/mdm`, fixture('nanomdm/mdm_testdata_Authenticate.2.plist'), CHECKIN_CONTENT_TYPE);
  assert.equal(auth.status, 200);
  assert.equal(auth.body.length, 0);
  let e = await srv.store.getEnrollment(MAC_UDID);
  assert.ok(e);
  assert.equal(e.enabled, false, 'disabled until TokenUpdate');
  assert.equal(e.type, 'Device');
  assert.equal(e.serialNumber, 'C02MT66KFLHH');
  assert.equal(e.model, 'iMac14,2');
  assert.equal(e.platform, 'macOS');

  const tu = await put(`${srv.url}/mdm`, fixture('nanomdm/mdm_testdata_TokenUpdate.2.plist'), CHECKIN_CONTENT_TYPE);
  assert.equal(tu.status, 200);
  assert.equal(tu.body.length, 0);
  e = await srv.store.getEnrollment(MAC_UDID);
  assert.ok(e);
  assert.equal(e.enabled, true);
  assert.equal(e.pushToken, '1ba7c90066c50f77689a24f3a425caf68a300f729e88e460a9416022d5d642cc');
  assert.equal(e.pushMagic, '888CEB39-BFFA-40F6-89FA-B60752EB63C2');
  assert.equal(e.tokenUpdateTally, 1);

  const dev = new TestDevice(srv.url, { ids: { UDID: MAC_UDID } });
  const idle = await dev.idle();
  assert.equal(idle.status, 200);
  assert.equal(idle.body.length, 0, 'empty queue → empty body');

  const uuid = '76eda240-5488-4989-8339-f2ae160113c4';
  const raw = Buffer.from(readFileSync(fixturePath('mdmb/commands-sent/devinfo.plist'), 'utf8').replace('CMDUUID', uuid));
  assert.deepEqual(await srv.store.enqueue({ uuid, requestType: 'DeviceInformation', raw, at: new Date() }, [MAC_UDID]), [{ id: MAC_UDID, ok: true }]);

  const cmd = await dev.idle();
  assert.equal(cmd.status, 200);
  assert.match(cmd.contentType ?? '', /xml/);
  assert.ok(cmd.body.equals(raw), 'the command is handed out byte for byte');
  assert.equal(commandOf(cmd)?.requestType, 'DeviceInformation');

  const result = fixture('nanomdm/mdm_testdata_DeviceInformation.1.plist');
  const ack = await put(`${srv.url}/mdm`, result, COMMAND_CONTENT_TYPE);
  assert.equal(ack.status, 200);
  assert.equal(ack.body.length, 0);

  const [detail] = await srv.store.getCommand(uuid, MAC_UDID);
  assert.equal(detail?.status, 'acknowledged');
  assert.ok(detail?.resultRaw?.equals(result), 'result stored byte for byte');
  assert.deepEqual((detail?.resultJson as { QueryResponses: unknown }).QueryResponses, { HostName: 'fruit.example.com', UDID: MAC_UDID });

  const kinds = (await srv.store.listEvents({ enrollmentId: MAC_UDID })).map((ev) => ev.kind).sort();
  assert.deepEqual(kinds, ['checkin.Authenticate', 'checkin.TokenUpdate', 'command.Acknowledged']);
});

/** Replays one recorded mdmb request (exact body, its own headers: no Content-Type on command PUTs). */
async function replay(name: string) {
  const http = readFileSync(fixturePath(`mdmb/conversation-nanomdm/${name}.http`), 'latin1');
  const head = http.slice(0, http.indexOf('\r\n\r\n') >= 0 ? http.indexOf('\r\n\r\n') : http.indexOf('\n\n'));
  const [requestLine, ...lines] = head.split(/\r?\n/);
  const [method, path] = requestLine!.split(' ');
  assert.equal(method, 'PUT');
  const ct = lines.find((l) => /^content-type:/i.test(l))?.replace(/^content-type:\s*/i, '') ?? null;
  return put(srv.url + path, fixture(`mdmb/conversation-nanomdm/${name}.body.plist`), ct);
}

async function queueSent(file: string, uuid: string, requestType: string, id: string): Promise<Buffer> {
  const raw = Buffer.from(readFileSync(fixturePath(`mdmb/commands-sent/${file}`), 'utf8').replace('CMDUUID', uuid));
  const [out] = await srv.store.enqueue({ uuid, requestType, raw, at: new Date() }, [id]);
  assert.equal(out?.ok, true);
  return raw;
}

test('mdmb conversation replayed as recorded (no Content-Type on the command channel, &#39;, empty RequestType)', async () => {
  const A = 'F716FADE-F9E7-4BDF-9EA2-3F82CE43B893';
  const B = '03ECD82D-9FBA-4ADC-B68D-2F7FF9F1AAE2';
  for (const name of ['04-PUT-mdm-Authenticate', '05-PUT-mdm-TokenUpdate', '06-PUT-mdm-Idle']) {
    const r = await replay(name);
    assert.deepEqual([r.status, r.body.length], [200, 0], name);
  }
  assert.equal((await srv.store.getEnrollment(A))?.deviceName, "B8Y4575TBPAZ's Computer");

  const devinfo = await queueSent('devinfo.plist', '6cda30b7-8827-4d2e-ba16-552a9a5955b4', 'DeviceInformation', A);
  const profiles = await queueSent('profilelist.plist', '59ee1810-0e63-4992-b645-88dae46e41d3', 'ProfileList', A);
  assert.ok((await replay('07-PUT-mdm-Idle')).body.equals(devinfo));
  assert.ok((await replay('08-PUT-mdm-Acknowledged-DeviceInformation')).body.equals(profiles));
  assert.equal((await replay('09-PUT-mdm-Acknowledged-ProfileList')).body.length, 0);

  // Device B: its recorded traffic starts at a command poll; its TokenUpdate (14) creates the channel.
  assert.equal((await replay('14-PUT-mdm-TokenUpdate')).status, 200);
  const install = await queueSent('installprofile.plist', '10b6db02-36b2-4324-8737-4082693b9b13', 'InstallProfile', B);
  const restart = await queueSent('restart.plist', 'da50a87a-a059-4351-8ec3-1ca8f532deb5', 'RestartDevice', B);
  const profilesB = await queueSent('profilelist.plist', '9c5cad63-3fc2-4558-8b47-0d9f14620f0d', 'ProfileList', B);
  assert.ok((await replay('10-PUT-mdm-Idle')).body.equals(install));
  assert.ok((await replay('11-PUT-mdm-Acknowledged-EMPTYRequestType')).body.equals(restart));
  assert.ok((await replay('12-PUT-mdm-Error-RestartDevice')).body.equals(profilesB));
  assert.equal((await replay('13-PUT-mdm-Acknowledged-ProfileList')).body.length, 0);

  const [err] = await srv.store.getCommand('da50a87a-a059-4351-8ec3-1ca8f532deb5', B);
  assert.equal(err?.status, 'error');
  assert.ok(err?.resultRaw?.equals(fixture('mdmb/conversation-nanomdm/12-PUT-mdm-Error-RestartDevice.body.plist')));
  assert.deepEqual((err?.resultJson as { ErrorChain: unknown }).ErrorChain, [
    { ErrorCode: 12021, ErrorDomain: 'MCMDMErrorDomain', LocalizedDescription: 'Unknown command: RestartDevice <MDMClientError:91>' },
  ]);
  const [installed] = await srv.store.getCommand('10b6db02-36b2-4324-8737-4082693b9b13', B);
  assert.equal(installed?.status, 'acknowledged');

  // The last two requests were refused by NanoMDM after its database was wiped; here the device is known.
  assert.deepEqual([(await replay('15-REJECTED500-PUT-mdm-Idle')).status, (await replay('16-REJECTED500-PUT-mdm-TokenUpdate')).status], [200, 200]);
  assert.equal((await srv.store.getEnrollment(A))?.tokenUpdateTally, 2);
});

test('MicroMDM routes: /mdm/checkin and /mdm/connect; NanoMDM /checkin', async () => {
  const dev = new TestDevice(srv.url, { ids: { UDID: 'MICRO-1' }, checkinPath: '/mdm/checkin', connectPath: '/mdm/connect' });
  assert.equal((await dev.authenticate()).status, 200);
  assert.equal((await dev.tokenUpdate()).status, 200);
  const uuid = await queueCommand(srv.store, ['MICRO-1'], 'ProfileList');
  const cmd = await dev.idle();
  assert.equal(commandOf(cmd)?.uuid, uuid);
  assert.equal((await dev.result('Acknowledged', uuid, { ProfileList: [] })).body.length, 0);
  const nano = new TestDevice(srv.url, { ids: { UDID: 'NANO-CHECKIN' }, checkinPath: '/checkin' });
  assert.equal((await nano.authenticate()).status, 200);
  assert.equal((await srv.store.getEnrollment('NANO-CHECKIN'))?.serialNumber, 'C02TEST0001');
});
