// The NanoDEP-compatible API against a real server and the fake DEP service over HTTP: token PKI →
// a token encrypted to it (`openssl smime -encrypt`, and ABM's MIME format) → decrypted and stored;
// a token for another certificate or a corrupt file refused 4xx with nothing stored; tokens, config,
// assigner; Updraft's expiry view; the MAID JWT; /proxy with the requests NanoDEP's tools/*.sh send, and
// curl called as those tools call it (-u depserver:KEY, -T FILE, JSON from a file or stdin).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createVerify, X509Certificate } from 'node:crypto';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { testDbLabel } from '../helpers/store.js';
import { FakeDep } from '../../src/dep/fake/server.js';
import { makeTokenPki, sealTokenFile } from '../../src/dep/tokenpki.js';
import { basicAuth, call } from './helpers.js';

const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const hasCurl = (() => {
  try {
    execFileSync('curl', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** curl in a child process (the server answering it runs in this one): the body and the status. */
function curl(args: string[], input = ''): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile('curl', ['-sS', '-w', '\n%{http_code}', ...args], { encoding: 'utf8' }, (err, stdout) => {
      if (err) return reject(err);
      const i = stdout.lastIndexOf('\n');
      resolve({ status: Number(stdout.slice(i + 1)), body: stdout.slice(0, i) });
    });
    child.stdin?.end(input);
  });
}

/** The token file as `openssl smime -encrypt -aes256 -outform PEM` makes it (ABM's MIME format without openssl). */
function encryptToken(json: object, certPem: string, dir: string): Buffer {
  const inner = `Content-Type: text/plain;charset=UTF-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n-----BEGIN MESSAGE-----\n${JSON.stringify(json)}\n-----END MESSAGE-----\n`;
  if (!hasOpenssl) return Buffer.from(sealTokenFile(json as never, certPem));
  writeFileSync(join(dir, 'msg'), inner);
  writeFileSync(join(dir, 'cert.pem'), certPem);
  execFileSync('openssl', ['smime', '-encrypt', '-aes256', '-in', join(dir, 'msg'), '-outform', 'PEM', '-out', join(dir, 'token.p7m'), join(dir, 'cert.pem')]);
  return readFileSync(join(dir, 'token.p7m'));
}

describe(`NanoDEP API and /proxy (${testDbLabel})`, () => {
  let server: TestServer;
  let fake: FakeDep;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'updraft-dep-'));
    server = await startTestServer();
    fake = await FakeDep.start();
    fake.state.upsertDevices([
      { serial_number: 'P01MAC', model: 'Mac mini', os: 'OSX', device_family: 'Mac' },
      { serial_number: 'P02IPAD', model: 'iPad Air', os: 'iOS', device_family: 'iPad' },
    ]);
  });
  after(async () => {
    await fake.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('token PKI → openssl-encrypted token → decrypted and stored; the staging key pair made current', async () => {
    const pki = await fetch(`${server.url}/v1/tokenpki/mdm1?cn=acme-dep&validity_days=3`, { headers: { authorization: basicAuth('depserver') } });
    assert.equal(pki.status, 200);
    assert.equal(pki.headers.get('content-type'), 'application/x-pem-file');
    assert.equal(pki.headers.get('content-disposition'), 'attachment; filename="mdm1.pem"');
    const certPem = await pki.text();
    const cert = new X509Certificate(certPem);
    assert.equal(cert.subject, 'CN=acme-dep');
    const days = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / 86_400_000;
    assert.ok(days > 3 && days < 3.1, `valid ${days} days`);

    const tokens = { ...fake.state.tokens };
    const r = await call(server.url, 'PUT', '/v1/tokenpki/mdm1', encryptToken(tokens, certPem, dir), { authorization: basicAuth('depserver') });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, tokens);
    assert.deepEqual((await call(server.url, 'GET', '/v1/tokens/mdm1')).json, tokens);
    const dep = await server.store.getDepName('mdm1');
    assert.equal(dep?.stagingPki, null);
    assert.equal(dep?.currentPki?.certPem, certPem);

    // ABM renews the token encrypted to the certificate uploaded before (now current): still opens.
    const renewed = await call(server.url, 'PUT', '/v1/tokenpki/mdm1', Buffer.from(sealTokenFile({ ...tokens, access_secret: 'AS_renewed' }, certPem)));
    assert.equal(renewed.status, 200, renewed.text);
    assert.equal(renewed.json.access_secret, 'AS_renewed');
    await call(server.url, 'PUT', '/v1/tokens/mdm1', tokens);
  });

  test('a token for another certificate, a corrupt file, another consumer key: 4xx with the reason, nothing stored', async () => {
    const certPem = (await call(server.url, 'GET', '/v1/tokenpki/mdm2')).text;
    const before = await server.store.getDepName('mdm2');
    const other = makeTokenPki();
    const wrong = await call(server.url, 'PUT', '/v1/tokenpki/mdm2', encryptToken(fake.state.tokens, other.certPem, dir));
    assert.equal(wrong.status, 400);
    assert.match(wrong.json.error, /not encrypted to this DEP name's certificate/);
    const corrupt = await call(server.url, 'PUT', '/v1/tokenpki/mdm2', Buffer.from('Content-Type: application/pkcs7-mime\r\n\r\nMIIBnotreallyCMS=='));
    assert.equal(corrupt.status, 400);
    assert.match(corrupt.json.error, /corrupt|not a server token/);
    const empty = await call(server.url, 'PUT', '/v1/tokenpki/mdm2', Buffer.alloc(0));
    assert.equal(empty.status, 400);
    const after = await server.store.getDepName('mdm2');
    assert.equal(after?.tokens, null);
    assert.deepEqual(after?.stagingPki, before?.stagingPki, 'the staging key pair is kept for the right token');
    assert.equal((await call(server.url, 'GET', '/v1/tokens/mdm2')).status, 404);

    // The right token, then one of another consumer key: 409 unless ?force=1.
    assert.equal((await call(server.url, 'PUT', '/v1/tokenpki/mdm2', encryptToken(fake.state.tokens, certPem, dir))).status, 200);
    const foreign = { ...fake.state.tokens, consumer_key: 'CK_other' };
    const refused = await call(server.url, 'PUT', '/v1/tokens/mdm2', foreign);
    assert.equal(refused.status, 409);
    assert.match(refused.json.error, /mismatched consumer key/);
    assert.equal((await call(server.url, 'PUT', '/v1/tokens/mdm2?force=1', foreign)).status, 200);
    assert.equal((await call(server.url, 'PUT', '/v1/tokens/mdm2', { consumer_key: 'x' })).status, 400);
    assert.equal((await call(server.url, 'PUT', '/v1/tokens/mdm2', 'not json')).status, 400);
    assert.equal((await call(server.url, 'GET', '/v1/tokenpki/mdm2?validity_days=abc')).status, 400);
    assert.equal((await call(server.url, 'GET', '/v1/tokenpki/bad%20name')).status, 400);
    assert.equal((await fetch(`${server.url}/v1/tokens/mdm2`)).status, 401);
  });

  test('config, assigner, and the expiry view warned from 30 days', async () => {
    assert.deepEqual((await call(server.url, 'GET', '/v1/config/mdm1')).json, { base_url: 'https://mdmenrollment.apple.com' });
    const empty = await call(server.url, 'PUT', '/v1/config/mdm1', { base_url: '' });
    assert.equal(empty.status, 400);
    assert.match(empty.json.error, /base_url is required/);
    assert.deepEqual((await call(server.url, 'PUT', '/v1/config/mdm1', { base_url: fake.url })).json, { base_url: fake.url });
    assert.deepEqual((await call(server.url, 'GET', '/v1/config/mdm1')).json, { base_url: fake.url });

    assert.deepEqual((await call(server.url, 'GET', '/v1/assigner/mdm1')).json, {});
    assert.equal((await call(server.url, 'PUT', '/v1/assigner/mdm1')).status, 400);
    assert.deepEqual((await call(server.url, 'PUT', '/v1/assigner/mdm1?profile_uuid=ABC123')).json, { profile_uuid: 'ABC123' });
    assert.deepEqual((await call(server.url, 'GET', '/v1/assigner/mdm1')).json, { profile_uuid: 'ABC123' });

    const soon = new Date(Date.now() + 10 * 86_400_000 + 3_600_000).toISOString();
    await call(server.url, 'PUT', '/v1/tokens/mdm3', { ...fake.state.tokens, access_token_expiry: soon });
    const view = (await call(server.url, 'GET', '/v1/dep/mdm3')).json;
    assert.equal(view.days_left, 10);
    assert.match(view.warning, /expires in 10 days .*updraft dep token mdm3 FILE/);
    const list = (await call(server.url, 'GET', '/v1/dep')).json.dep_names;
    const one = list.find((d: { name: string }) => d.name === 'mdm1');
    assert.equal(one.warning, null);
    assert.equal(one.base_url, fake.url);
    assert.equal(one.has_tokens, true);
    assert.equal(JSON.stringify(list).includes(fake.state.tokens.consumer_secret), false, 'no secrets in the view');
    assert.equal((await call(server.url, 'GET', '/v1/dep/nope')).status, 404);
  });

  test("/proxy with NanoDEP tools' requests: account, define, get, assign, details, remove, activation lock", async () => {
    const tool = (method: string, path: string, body?: object) =>
      call(server.url, method, `/proxy/mdm1${path}`, body === undefined ? undefined : JSON.stringify(body), {
        authorization: basicAuth('depserver'),
        'user-agent': 'nanodep-tools/0',
        ...(body === undefined ? {} : { 'content-type': 'application/json;charset=UTF8' }),
      });
    const account = await tool('GET', '/account');
    assert.equal(account.status, 200, account.text);
    assert.equal(account.json.server_name, 'Updraft fake DEP');
    const defined = await tool('POST', '/profile', { profile_name: 'ADE', url: 'https://mdm.example.test/mdm/ade', is_supervised: true });
    assert.equal(defined.status, 200, defined.text);
    const uuid = defined.json.profile_uuid as string;
    assert.equal((await tool('GET', `/profile?profile_uuid=${uuid}`)).json.profile_name, 'ADE');
    // dep-assign-profile.sh POSTs; Apple's documentation PUTs: both pass through.
    assert.deepEqual((await tool('POST', '/profile/devices', { profile_uuid: uuid, devices: ['P01MAC'] })).json.devices, { P01MAC: 'SUCCESS' });
    assert.deepEqual((await tool('PUT', '/profile/devices', { profile_uuid: uuid, devices: ['P02IPAD'] })).json.devices, { P02IPAD: 'SUCCESS' });
    const details = await tool('POST', '/devices', { devices: ['P01MAC', 'P02IPAD'] });
    assert.equal(details.json.devices.P01MAC.profile_uuid, uuid);
    assert.deepEqual((await tool('DELETE', '/profile/devices', { devices: ['P02IPAD'] })).json.devices, { P02IPAD: 'SUCCESS' });
    assert.equal((await tool('POST', '/device/activationlock', { device: 'P01MAC', escrow_key: 'abcd' })).json.response_status, 'SUCCESS');
    // Apple's own errors pass through untouched.
    const notFound = await tool('GET', '/profile?profile_uuid=NOPE');
    assert.equal(notFound.status, 404);
    assert.equal(notFound.text, 'NOT_FOUND');

    const mine = fake.log.filter((r) => r.path !== '/session');
    assert.ok(mine.length >= 9);
    assert.ok(mine.every((r) => r.authorization === null), "the caller's Authorization is never forwarded");
    assert.ok(fake.log.every((r) => r.protocolVersion === '7'), 'X-Server-Protocol-Version sent');
  });

  test('/proxy: re-authenticates on 401 and 403 FORBIDDEN replaying the body; adopts a rotated session; clear errors', async () => {
    const body = JSON.stringify({ limit: 1 });
    const fetchPage = () => call(server.url, 'POST', '/proxy/mdm1/server/devices', body, { 'content-type': 'application/json' });
    await server.store.saveDepSession('mdm1', 'stale', new Date());
    let from = fake.log.length;
    let page = await fetchPage();
    assert.equal(page.status, 200, page.text);
    assert.equal(page.json.devices.length, 1, 'replayed with its body');
    assert.deepEqual(fake.log.slice(from).map((r) => r.status), [401, 200, 200]);

    fake.state.expireSessions();
    from = fake.log.length;
    page = await fetchPage();
    assert.equal(page.json.devices.length, 1);
    assert.deepEqual(fake.log.slice(from).map((r) => [r.path, r.status]), [['/server/devices', 403], ['/session', 200], ['/server/devices', 200]]);

    fake.state.rotateSessions = true;
    const res = await fetch(`${server.url}/proxy/mdm1/account`, { headers: { authorization: basicAuth('depserver') } });
    fake.state.rotateSessions = false;
    assert.equal(res.headers.get('x-adm-auth-session'), null, 'the session stays the proxy\'s');
    const rotated = (await server.store.getDepName('mdm1'))?.sessionToken;
    await fetchPage();
    assert.equal(fake.log.at(-1)?.session, rotated);

    fake.state.addFailure({ path: '/session', status: 403, body: 'T_C_NOT_SIGNED' });
    fake.state.expireSessions();
    const terms = await fetchPage();
    assert.equal(terms.status, 403);
    assert.equal(terms.json.code, 'T_C_NOT_SIGNED');
    assert.match(terms.json.error, /accept/);
    const unknown = await call(server.url, 'GET', '/proxy/nosuchname/account');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json.code, 'NO_TOKENS');
  });

  test('/v1/maidjwt: an RS256 JWT signed with the current key pair, iss the server UUID from the account or ?server_uuid=; refusals', async () => {
    const res = await fetch(`${server.url}/v1/maidjwt/mdm1`, { headers: { authorization: basicAuth('depserver') } });
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(res.headers.get('content-type'), 'application/jwt');
    const jwt = await res.text();
    const [header, claims, signature] = jwt.split('.') as [string, string, string];
    const decode = (p: string) => JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    assert.deepEqual(decode(header), { alg: 'RS256', typ: 'JWT' });
    const c = decode(claims);
    assert.equal(c.iss, '677cc3c8-1fb1-4f1f-9f0b-6c3c2e1f0a11', "the fake's account server_uuid");
    assert.equal(c.service_type, 'com.apple.maid');
    assert.equal(c.jti, res.headers.get('x-jwt-jti'));
    assert.equal(res.headers.get('x-server-uuid'), c.iss);
    assert.ok(Math.abs(c.iat - Date.now() / 1000) < 60);
    const cert = new X509Certificate((await server.store.getDepName('mdm1'))!.currentPki!.certPem);
    assert.ok(createVerify('RSA-SHA256').update(`${header}.${claims}`).verify(cert.publicKey, Buffer.from(signature, 'base64url')), 'signed by the token key pair');

    const from = fake.log.length;
    const given = await call(server.url, 'GET', '/v1/maidjwt/mdm1?server_uuid=A1B2C3D4E5F6');
    assert.equal(given.status, 200);
    assert.equal(decode(given.text.split('.')[1]!).iss, 'A1B2C3D4E5F6');
    assert.equal(fake.log.length, from, 'no DEP call with ?server_uuid=');
    assert.equal((await call(server.url, 'GET', '/v1/maidjwt/mdm1?server_uuid=%3Cx%3E')).status, 400);
    const none = await call(server.url, 'GET', '/v1/maidjwt/mdm3');
    assert.equal(none.status, 404, 'tokens put as JSON: no key pair to sign with');
    assert.match(none.json.error, /no current token key pair/);
    fake.state.addFailure({ path: '/account', status: 403, body: 'T_C_NOT_SIGNED' });
    const terms = await call(server.url, 'GET', '/v1/maidjwt/mdm1');
    assert.equal(terms.status, 403);
    assert.equal(terms.json.code, 'T_C_NOT_SIGNED');
  });

  test("curl as NanoDEP's tools/*.sh call it: -u depserver:KEY, -T FILE uploads, JSON from a file or stdin, -A nanodep-tools/0", { skip: !hasCurl && 'no curl' }, async () => {
    const base = server.url;
    const auth = ['-u', 'depserver:test-api-key'];
    const cert = await curl([...auth, `${base}/v1/tokenpki/curl1?cn=curl-cn&validity_days=1`]);
    assert.equal(cert.status, 200, cert.body);
    assert.equal(new X509Certificate(cert.body).subject, 'CN=curl-cn');
    writeFileSync(join(dir, 'curl1.p7m'), encryptToken(fake.state.tokens, cert.body, dir));
    const decrypted = await curl([...auth, '-T', join(dir, 'curl1.p7m'), `${base}/v1/tokenpki/curl1?force=`]);
    assert.equal(decrypted.status, 200, decrypted.body);
    assert.equal(JSON.parse(decrypted.body).consumer_key, fake.state.tokens.consumer_key);
    assert.equal((await curl([...auth, '-X', 'PUT', '--data-binary', JSON.stringify({ base_url: fake.url }), `${base}/v1/config/curl1`])).status, 200);

    const tool = ['-X', 'POST', '-H', 'Content-type: application/json;charset=UTF8', '-A', 'nanodep-tools/0'];
    assert.equal(JSON.parse((await curl([...auth, '-A', 'nanodep-tools/0', `${base}/proxy/curl1/account`])).body).org_name, 'Example Org');
    writeFileSync(join(dir, 'curl-profile.json'), JSON.stringify({ profile_name: 'curl', url: 'https://mdm.example.test/mdm/ade/enroll', devices: ['P01MAC'] }));
    const defined = await curl([...auth, ...tool, '-T', join(dir, 'curl-profile.json'), `${base}/proxy/curl1/profile`]);
    assert.equal(defined.status, 200, defined.body);
    const uuid = JSON.parse(defined.body).profile_uuid as string;
    assert.deepEqual(JSON.parse(defined.body).devices, { P01MAC: 'SUCCESS' });
    assert.deepEqual(JSON.parse((await curl([...auth, '-X', 'PUT', `${base}/v1/assigner/curl1?profile_uuid=${uuid}`])).body), { profile_uuid: uuid });
    const details = await curl([...auth, ...tool, '--data-binary', '@-', `${base}/proxy/curl1/devices`], JSON.stringify({ devices: ['P01MAC'] }));
    assert.equal(JSON.parse(details.body).devices.P01MAC.profile_uuid, uuid);
    const removed = await curl([...auth, ...tool.slice(2), '-X', 'DELETE', '--data-binary', '@-', `${base}/proxy/curl1/profile/devices`], JSON.stringify({ devices: ['P01MAC'] }));
    assert.deepEqual(JSON.parse(removed.body).devices, { P01MAC: 'SUCCESS' });
    const locked = await curl([...auth, ...tool, '--data-binary', '@-', `${base}/proxy/curl1/device/activationlock`], JSON.stringify({ device: 'P01MAC', escrow_key: '', lost_message: '' }));
    assert.equal(JSON.parse(locked.body).response_status, 'SUCCESS');
    assert.equal((await curl(['-u', 'depserver:wrong', `${base}/proxy/curl1/account`])).status, 401);
    assert.ok(fake.log.filter((r) => r.path !== '/session').every((r) => r.authorization === null), "the caller's Authorization is never forwarded");
  });

  test("NanoDEP's own tools/*.sh, when NANODEP_TOOLS names their folder", { skip: !process.env.NANODEP_TOOLS && 'set NANODEP_TOOLS=path/to/nanodep/tools' }, async () => {
    const tools = process.env.NANODEP_TOOLS!;
    const env = { ...process.env, BASE_URL: server.url, APIKEY: 'test-api-key', DEP_NAME: 'tools1' };
    // Asynchronously: the server answering curl runs in this process.
    const sh = async (script: string, ...args: string[]) => (await promisify(execFile)('sh', [join(tools, script), ...args], { env, encoding: 'utf8' })).stdout;
    const certPem = await sh('cfg-get-cert.sh', 'tools-cn', '2');
    assert.match(certPem, /BEGIN CERTIFICATE/);
    writeFileSync(join(dir, 'tools.p7m'), encryptToken(fake.state.tokens, certPem, dir));
    assert.equal(JSON.parse(await sh('cfg-decrypt-tokens.sh', join(dir, 'tools.p7m'))).consumer_key, fake.state.tokens.consumer_key);
    await call(server.url, 'PUT', '/v1/config/tools1', { base_url: fake.url });
    assert.equal(JSON.parse(await sh('dep-account-detail.sh')).org_name, 'Example Org');
    writeFileSync(join(dir, 'profile.json'), JSON.stringify({ profile_name: 'tools', url: 'https://mdm.example.test/mdm/ade' }));
    const uuid = JSON.parse(await sh('dep-define-profile.sh', join(dir, 'profile.json'))).profile_uuid as string;
    assert.equal(JSON.parse(await sh('dep-get-profile.sh', uuid)).profile_name, 'tools');
    assert.deepEqual(JSON.parse(await sh('dep-assign-profile.sh', uuid, 'P01MAC')).devices, { P01MAC: 'SUCCESS' });
    assert.equal(JSON.parse(await sh('dep-device-details.sh', 'P01MAC')).devices.P01MAC.profile_uuid, uuid);
    assert.deepEqual(JSON.parse(await sh('dep-remove-profile.sh', 'P01MAC')).devices, { P01MAC: 'SUCCESS' });
    assert.equal(JSON.parse(await sh('dep-activation-lock.sh', 'P01MAC')).response_status, 'SUCCESS');
    assert.deepEqual(JSON.parse(await sh('cfg-set-assigner.sh', uuid)), { profile_uuid: uuid });
    assert.equal((await sh('cfg-maidjwt.sh')).split('.').length, 3, 'a JWT');
  });
});
