import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseReport, ProtocolError, type CommandReport } from '../../src/mdm/index.js';
import { parsePlist } from '../../src/plist/index.js';
import { fixture } from '../helpers/fixtures.js';

const conv = (name: string): CommandReport => parseReport(parsePlist(fixture(`mdmb/conversation-nanomdm/${name}.body.plist`)));

test('Idle (mdmb): no command UUID', () => {
  const r = conv('06-PUT-mdm-Idle');
  assert.equal(r.status, 'Idle');
  assert.equal(r.commandUuid, null);
  assert.equal(r.enrollment.id, 'F716FADE-F9E7-4BDF-9EA2-3F82CE43B893');
});

test('Acknowledged DeviceInformation (nanomdm fixture) keeps the response keys in dict', () => {
  const r = parseReport(parsePlist(fixture('nanomdm/mdm_testdata_DeviceInformation.1.plist')));
  assert.equal(r.status, 'Acknowledged');
  assert.equal(r.commandUuid, '76eda240-5488-4989-8339-f2ae160113c4');
  assert.equal(r.requestType, 'DeviceInformation');
  assert.deepEqual(r.dict.QueryResponses, { HostName: 'fruit.example.com', UDID: '66ADE930-5FDF-5EC4-8429-15640684C489' });
});

test('an acknowledgement echoing an empty RequestType (mdmb) is accepted', () => {
  const r = conv('11-PUT-mdm-Acknowledged-EMPTYRequestType');
  assert.equal(r.status, 'Acknowledged');
  assert.equal(r.commandUuid, '10b6db02-36b2-4324-8737-4082693b9b13');
  assert.equal(r.requestType, null);
});

test('Error (mdmb): the whole ErrorChain, entities decoded', () => {
  const r = conv('12-PUT-mdm-Error-RestartDevice');
  assert.equal(r.status, 'Error');
  assert.deepEqual(r.errorChain, [{
    errorCode: 12021, errorDomain: 'MCMDMErrorDomain',
    localizedDescription: 'Unknown command: RestartDevice <MDMClientError:91>', usEnglishDescription: null,
  }]);
});

test('Error without USEnglishDescription, negative code (nanocmd fixture)', () => {
  const r = parseReport(parsePlist(fixture('nanocmd/workflow_certprof_testdata_resp-error.plist')));
  assert.deepEqual(r.errorChain, [{
    errorCode: -909, errorDomain: 'NSOSStatusErrorDomain', localizedDescription: ' <NSOSStatusErrorDomain:-909>', usEnglishDescription: null,
  }]);
});

test('user-channel, Shared iPad and User Enrollment reports resolve to their channel', () => {
  assert.equal(parseReport({ Status: 'Idle', UDID: 'U', UserID: 'u1' }).enrollment.id, 'U:u1');
  assert.equal(parseReport({ Status: 'Idle', UDID: 'U', UserID: 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF', UserShortName: 'a@b.c' }).enrollment.id, 'U:a@b.c');
  assert.equal(parseReport({ Status: 'Idle', EnrollmentID: 'E', EnrollmentUserID: 'EU' }).enrollment.id, 'E:EU');
});

test('bad reports are refused with a reason', () => {
  const bad = (v: Parameters<typeof parseReport>[0], re: RegExp) =>
    assert.throws(() => parseReport(v), (e: unknown) => e instanceof ProtocolError && re.test(e.message));
  bad({ UDID: 'U' }, /missing Status/);
  bad({ Status: 'Done', UDID: 'U' }, /unknown Status "Done"/);
  bad({ Status: 'Acknowledged', UDID: 'U' }, /Acknowledged report: missing CommandUUID/);
  bad({ Status: 'NotNow', UDID: 'U', CommandUUID: '' }, /missing CommandUUID/);
  bad({ Status: 'Idle' }, /missing UDID or EnrollmentID/);
  bad('Idle', /not a dict/);
});
