// `updraft dep …` as a subprocess against one running server and one fake DEP service shared by the
// file (each CLI run is a process: independent ones run side by side): tokenpki, token, list, config
// and assigner (the certificate written, the ABM token decrypted with it, a wrong token refused with
// the reason); sync (fetch, then changes, new devices given the assigner's profile; a name without
// a token refused) and devices (enrolled or not, --not-enrolled, --all with released ones, --json).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, TEST_API_KEY, type TestServer } from '../helpers/server.js';
import { TestDevice } from '../helpers/device.js';
import { makeTokenPki, sealTokenFile } from '../../src/dep/tokenpki.js';
import { FakeDep } from '../../src/dep/fake/server.js';
import { runCli } from './run.js';

let server: TestServer;
let dep: FakeDep;
let env: Record<string, string>;
let dir: string;
const tokens = { consumer_key: 'CK_cli', consumer_secret: 'CS_cli', access_token: 'AT_cli', access_secret: 'AS_cli', access_token_expiry: '2020-01-01T00:00:00Z' };

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'updraft-dep-cli-'));
  [server, dep] = await Promise.all([startTestServer(), FakeDep.start()]);
  env = { UPDRAFT_SERVER: server.url, UPDRAFT_API_KEY: TEST_API_KEY };
});
after(async () => {
  await Promise.all([server.close(), dep.close()]);
  rmSync(dir, { recursive: true, force: true });
});

// The two tests use different DEP names: they run side by side.
describe('updraft dep', { concurrency: true }, () => {
  test('dep tokenpki writes the certificate; dep token decrypts the ABM file; dep list warns of the expired token', async () => {
    const out = join(dir, 'acme.pem');
    const pki = await runCli(['dep', 'tokenpki', 'acme', '--cn', 'acme-mdm', '--out', out], env);
    assert.equal(pki.code, 0, pki.stderr);
    assert.match(pki.stdout, /upload .*acme\.pem.*updraft dep token acme TOKEN\.p7m/s);
    assert.equal(new X509Certificate(readFileSync(out)).subject, 'CN=acme-mdm');

    writeFileSync(join(dir, 'wrong.p7m'), sealTokenFile(tokens, makeTokenPki().certPem));
    writeFileSync(join(dir, 'right.p7m'), sealTokenFile(tokens, readFileSync(out, 'utf8')));
    // Either order: a file encrypted to another certificate is refused before anything is stored.
    const [wrong, right] = await Promise.all([
      runCli(['dep', 'token', 'acme', join(dir, 'wrong.p7m')], env),
      runCli(['dep', 'token', 'acme', join(dir, 'right.p7m')], env),
    ]);
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /400 the token was not encrypted to this DEP name's certificate/);

    assert.equal(right.code, 0, right.stderr);
    assert.match(right.stdout, /stored the server token of acme: consumer key CK_cli/);
    assert.match(right.stderr, /warning: the DEP server token of acme expired on 2020-01-01/);
    assert.equal(right.stdout.includes('CS_cli'), false, 'secrets are not printed');

    // Several DEP names: one expiring within 30 days is warned of, one further off is not.
    const inDays = (d: number) => new Date(Date.now() + d * 86_400_000 + 3_600_000).toISOString();
    await server.store.saveDepTokens('acme-soon', { ...tokens, consumer_key: 'CK_soon', access_token_expiry: inDays(20) }, new Date());
    await server.store.saveDepTokens('acme-later', { ...tokens, consumer_key: 'CK_later', access_token_expiry: inDays(45) }, new Date());
    const [list, config, assigner] = await Promise.all([
      runCli(['dep', 'list'], env),
      runCli(['dep', 'config', 'acme', '--base-url', 'http://127.0.0.1:9510', '--json'], env),
      runCli(['dep', 'assigner', 'acme', '--profile-uuid', 'PROFILE1'], env),
    ]);
    assert.equal(list.code, 0, list.stderr);
    assert.ok(list.stdout.split('\n').some((l) => /^acme\s+CK_cli\s/.test(l)), list.stdout); // other tests' names may be listed too
    assert.match(list.stderr, /expired/);
    assert.ok(list.stdout.split('\n').some((l) => /^acme-soon\s+CK_soon\s/.test(l)) && list.stdout.split('\n').some((l) => /^acme-later\s+CK_later\s/.test(l)), list.stdout);
    assert.match(list.stderr, /warning: the DEP server token of acme-soon expires in 20 days .*updraft dep token acme-soon FILE/);
    assert.equal(list.stderr.includes('acme-later'), false, 'a token 45 days from expiry is not warned of');
    assert.equal(config.code, 0, config.stderr);
    assert.equal(JSON.parse(config.stdout).base_url, 'http://127.0.0.1:9510');
    assert.equal(assigner.stdout.trim(), 'acme: new devices get profile PROFILE1');
  });

  test('dep sync fetches then syncs and assigns; dep devices lists them, enrolled or not, released ones with --all', async () => {
    const at = new Date();
    await server.store.saveDepTokens('abm', dep.state.tokens, at);
    await server.store.saveDepConfig('abm', dep.url, at);
    const profile = dep.state.defineProfile({ profile_name: 'Macs', url: 'https://mdm.example.test/mdm/ade/enroll' }).profile_uuid;
    await server.store.saveDepAssignerProfile('abm', profile, at);
    await server.store.saveDepConfig('tokenless', dep.url, at);
    dep.state.upsertDevices([
      { serial_number: 'C02CLI000001', model: 'MacBook Pro', os: 'OSX', device_family: 'Mac' },
      { serial_number: 'C02CLI000002', model: 'MacBook Air', os: 'OSX', device_family: 'Mac' },
      { serial_number: 'DMPCLI000003', model: 'iPad Pro', os: 'iOS', device_family: 'iPad' },
    ]);
    const mac = new TestDevice(server.url, { ids: { UDID: 'CLI-DEP-0000-0001' } });
    const [fetched, unknown, noToken, none, enrolled] = await Promise.all([
      runCli(['dep', 'sync', 'abm'], env),
      runCli(['dep', 'sync', 'nope'], env),
      runCli(['dep', 'sync', 'tokenless'], env),
      runCli(['dep', 'devices', 'nosuch'], env),
      mac.authenticate({ SerialNumber: 'C02CLI000001' }), // one of them is enrolled already
    ]);
    assert.equal(enrolled.status, 200, enrolled.text);
    assert.equal(fetched.code, 0, fetched.stderr);
    assert.deepEqual(fetched.stdout.trim().split('\n'), ['abm: fetch of 3 device(s), 3 new', `  profile ${profile}: C02CLI000001, C02CLI000002, DMPCLI000003`]);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /404 no DEP name nope/);
    assert.notEqual(noToken.code, 0);
    assert.match(noToken.stderr, /409 .*tokenless/);
    assert.equal(none.code, 0, none.stderr);
    assert.match(none.stdout, /^no DEP devices \(run `updraft dep sync NAME`/);

    // ABM lists a new iPhone and releases the iPad: the next pass asks only the changes.
    dep.state.upsertDevices([{ serial_number: 'F2LCLI000004', model: 'iPhone 16', os: 'iOS', device_family: 'iPhone' }]);
    dep.state.deleteDevices(['DMPCLI000003']);
    const synced = await runCli(['dep', 'sync', 'abm', '--json'], env);
    assert.equal(synced.code, 0, synced.stderr);
    const s = JSON.parse(synced.stdout) as { mode: string; added: string[]; assigned: Record<string, string[]> };
    assert.deepEqual([s.mode, s.added, s.assigned], ['sync', ['F2LCLI000004'], { [profile]: ['F2LCLI000004'] }]);

    // What an admin must act on is said as such: terms not accepted in ABM, an expired token.
    dep.state.addFailure({ path: '/devices/sync', status: 403, body: 'T_C_NOT_SIGNED' });
    await server.store.saveDepTokens('abm-old', { ...dep.state.tokens, access_token_expiry: '2020-01-01T00:00:00Z' }, at);
    await server.store.saveDepConfig('abm-old', dep.url, at);
    const [terms, old] = await Promise.all([runCli(['dep', 'sync', 'abm'], env), runCli(['dep', 'sync', 'abm-old'], env)]);
    assert.notEqual(terms.code, 0);
    assert.match(terms.stderr, /403 the sync of abm failed: .*not accepted the latest terms and conditions: an administrator must sign in to Apple Business Manager/);
    assert.notEqual(old.code, 0);
    assert.match(old.stderr, /502 the sync of abm-old failed: .*the server token expired: .*updraft dep token abm-old FILE/);

    const [list, waiting, all] = await Promise.all([
      runCli(['dep', 'devices', 'abm'], env),
      runCli(['dep', 'devices', '--not-enrolled'], env),
      runCli(['dep', 'devices', '--all', '--json'], env),
    ]);
    assert.equal(list.code, 0, list.stderr);
    const rows = list.stdout.trim().split('\n');
    assert.match(rows[0]!, /^DEP NAME\s+SERIAL\s+MODEL\s+OS\s+OP\s+OP DATE\s+PROFILE\s+STATUS\s+ENROLLED$/);
    assert.equal(rows.length, 4, 'the released iPad is left out');
    assert.match(rows[1]!, new RegExp(`^abm\\s+C02CLI000001\\s+MacBook Pro\\s+OSX\\s+\\S+\\s+.*${profile}\\s+assigned\\s+yes$`));
    assert.match(rows[2]!, /^abm\s+C02CLI000002\s+MacBook Air\s+OSX\s+.*\s+no$/);
    assert.match(rows[3]!, /^abm\s+F2LCLI000004\s+iPhone 16\s+iOS\s+(added|modified)\s+.*\s+assigned\s+no$/);
    assert.equal(waiting.code, 0, waiting.stderr);
    assert.deepEqual(waiting.stdout.trim().split('\n').slice(1).map((r) => r.split(/\s+/)[1]), ['C02CLI000002', 'F2LCLI000004']);
    assert.equal(all.code, 0, all.stderr);
    const released = (JSON.parse(all.stdout) as { devices: Array<{ serial_number: string; op_type: string | null; enrolled: boolean }> }).devices;
    assert.deepEqual(released.map((d) => d.serial_number), ['C02CLI000001', 'C02CLI000002', 'DMPCLI000003', 'F2LCLI000004']);
    assert.equal(released.find((d) => d.serial_number === 'DMPCLI000003')?.op_type, 'deleted');
  });
});
