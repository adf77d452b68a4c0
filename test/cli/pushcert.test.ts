// `updraft pushcert request`, `updraft pushcert mdmcert-download` and `updraft pushcert --cert` as a
// user runs them (subprocesses where the printed text matters, in-process for the rest) against a running server and a local fake of mdmcert.download: the
// vendor-signed request, refusals that leave the pending key and the output untouched, the request
// shape MicroMDM's mdmctl sends, the emailed reply opened, and the portal's .pem imported without a key.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, TEST_API_KEY, type TestServer } from '../helpers/server.js';
import { testDbLabel } from '../helpers/store.js';
import { FakeMdmcertDownload } from '../../src/push/fake-mdmcert.js';
import { MDMCERT_DOWNLOAD } from '../../src/push/portal-facts.js';
import { readPushRequest, requestSpki } from '../../src/push/portal-request.js';
import { EXCHANGE_KEY_FILE, PENDING_KEY_FILE } from '../../src/push/pending.js';
import { parseCsr } from '../../src/pki/csr.js';
import { makeVendorFiles, pemDer, portalIssue, type VendorFiles } from '../push/portal-helpers.js';
import { runMdmcertDownload, runRequest } from '../../src/cli/pushcert-request.js';
import { CliError } from '../../src/cli/client.js';
import { runCli } from './run.js';

const EMAIL = 'admin@example.com';
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe(`updraft pushcert request / mdmcert-download (${testDbLabel})`, () => {
  let dir: string;
  let v: VendorFiles;
  let server: TestServer;
  let fake: FakeMdmcertDownload;
  let env: Record<string, string>;
  const file = (name: string) => join(dir, name);
  const client = () => ({ server: server.url, apiKey: TEST_API_KEY });
  const pendingKey = async () => {
    const res = await fetch(`${server.url}/v1/pushcert/request`, { headers: { authorization: `Bearer ${TEST_API_KEY}` } });
    return res.status === 404 ? null : ((await res.json()) as { key_sha256: string; mdmcert_download: boolean }).key_sha256;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'updraft-cli-pushcert-'));
    v = makeVendorFiles(dir);
    server = await startTestServer();
    fake = await FakeMdmcertDownload.start({ registered: [EMAIL] });
    env = { UPDRAFT_SERVER: server.url, UPDRAFT_API_KEY: TEST_API_KEY };
  });
  after(async () => {
    await fake.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('with a vendor .p12 and the chain: writes the request the portal takes, for the key the server keeps; says what to do next', async () => {
    const vendorArgs = ['--vendor-cert', v.p12, '--vendor-password', 'vendor pw', '--chain', v.wwdrDer, '--chain', v.rootDer];
    const r = await runCli(['pushcert', 'request', ...vendorArgs, '--email', EMAIL, '--out', file('req.b64')], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /push key [0-9a-f]{16}… \(new, kept by the server\)\nwrote .*req\.b64\nNext: sign in at https:\/\/identity\.apple\.com .*\n.*\n {2}updraft pushcert --cert FILE\.pem\n/);
    const req = readPushRequest(readFileSync(file('req.b64'), 'utf8'));
    assert.equal(req.digest, 'sha256');
    assert.equal(sha256(requestSpki(req)), await pendingKey(), "the CSR is for the server's pending key");
    assert.equal(req.chain.length, 3);

    const out = await runRequest({ ...client(), vendorCert: v.p12, vendorPassword: 'vendor pw', chain: [v.wwdrDer, v.rootDer], sha1: true, out: file('req1.b64') });
    assert.deepEqual([out.kind, out.reused_key, out.stored], ['portal_request', true, 'database']);
    assert.equal(readPushRequest(readFileSync(file('req1.b64'), 'utf8')).digest, 'sha1');
  });

  test('a wrong .p12 password or a certificate that is no MDM vendor certificate: exit 1, the pending key and the output untouched', async () => {
    const key = await pendingKey();
    const before = readFileSync(file('req.b64'));
    const wrong = await runCli(['pushcert', 'request', '--vendor-cert', v.p12, '--vendor-password', 'nope', '--new-key', '--out', file('req.b64')], env);
    assert.equal(wrong.code, 1, wrong.stdout);
    assert.match(wrong.stderr, /^updraft: cannot read the vendor certificate file .*wrong password/);
    await assert.rejects(
      runRequest({ ...client(), vendorCert: v.otherCert, vendorKey: v.otherKey, chain: [v.wwdrPem], newKey: true, out: file('req.b64') }),
      (e: Error) => e instanceof CliError && /^"updraft\.example\.com" .* is not an MDM vendor certificate/.test(e.message),
    );
    await assert.rejects(runRequest({ ...client(), vendorCert: v.p12, vendorPassword: 'vendor pw', newKey: true, out: file('req.b64') }), /chain stops at .*--chain/);
    assert.equal(await pendingKey(), key);
    assert.ok(readFileSync(file('req.b64')).equals(before));
  });

  test("`pushcert --cert` with the portal's .pem alone imports it with the pending key; `pushcert` shows it", async () => {
    const req = readPushRequest(readFileSync(file('req.b64'), 'utf8'));
    const issued = portalIssue(req.csr);
    writeFileSync(file('MDM_Updraft_Certificate.pem'), issued.pem);
    const r = await runCli(['pushcert', '--cert', file('MDM_Updraft_Certificate.pem')], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^topic: +${issued.topic.replace(/\./g, '\\.')}\\nnot after: .*\\nkey: +the pending push key\\n$`));
    const shown = await runCli(['pushcert'], env);
    assert.match(shown.stdout, new RegExp(`topic: +${issued.topic.replace(/\./g, '\\.')}`));
    assert.doesNotMatch(shown.stdout, /pending:/);
  });

  test('mdmcert-download: the request MicroMDM sends (JSON csr/email/key/encrypt) reaches the fake; --decrypt opens the emailed reply', async () => {
    const sent = await runCli(['pushcert', 'mdmcert-download', '--email', EMAIL, '--url', fake.url], env);
    assert.equal(sent.code, 0, sent.stderr);
    assert.match(sent.stdout, new RegExp(`emails ${EMAIL} a file .*\\nNext: updraft pushcert mdmcert-download --decrypt FILE\\n`));
    const got = fake.requests.at(-1)!;
    assert.match(String(got.headers['content-type']), /^application\/json/);
    const body = got.body as Record<string, string>;
    assert.deepEqual(Object.keys(body).sort(), ['csr', 'email', 'encrypt', 'key']);
    assert.equal(body.email, EMAIL);
    assert.equal(body.key, MDMCERT_DOWNLOAD.apiKey);
    const csrPem = Buffer.from(body.csr!, 'base64').toString('utf8');
    assert.match(csrPem, /^-----BEGIN CERTIFICATE REQUEST-----\n/);
    assert.equal(sha256(parseCsr(pemDer(csrPem)).spki), await pendingKey());
    const exchange = new X509Certificate(Buffer.from(body.encrypt!, 'base64').toString('utf8'));
    assert.match(exchange.subject, /mdmcert\.download/);

    writeFileSync(file('mdm_signed_request.plist.b64.p7'), fake.lastMail(EMAIL)!);
    const opened = await runCli(['pushcert', 'mdmcert-download', '--decrypt', file('mdm_signed_request.plist.b64.p7'), '--out', file('from-service.b64')], env);
    assert.equal(opened.code, 0, opened.stderr);
    assert.match(opened.stdout, /wrote .*from-service\.b64\nNext: sign in at https:\/\/identity\.apple\.com/);
    const req = readPushRequest(readFileSync(file('from-service.b64'), 'utf8'));
    assert.ok(req.chain[0]!.raw.equals(fake.vendor.cert.raw), "signed by the service's vendor certificate");
    assert.equal(sha256(requestSpki(req)), await pendingKey());
  });

  test('mdmcert-download refusals: an unregistered address, a garbled reply, a wrong API key: exit 1 with the reason', async () => {
    const own = await FakeMdmcertDownload.start({ apiKey: 'updraft-own-key' });
    try {
      writeFileSync(file('garbled.p7'), 'This is not the attachment\n');
      const unregistered = await runCli(['pushcert', 'mdmcert-download', '--email', 'stranger@example.com', '--url', fake.url], env);
      assert.equal(unregistered.code, 1);
      assert.match(unregistered.stderr, /^updraft: mdmcert\.download refused the request: Invalid email address\. Have you registered yet at https:\/\/mdmcert\.download\/\?/);
      await assert.rejects(
        runMdmcertDownload({ ...client(), decrypt: file('garbled.p7'), out: file('garbled.b64') }),
        /400 not an mdmcert\.download reply: it should be hex text/,
      );
      assert.ok(!existsSync(file('garbled.b64')));
      await assert.rejects(runMdmcertDownload({ ...client(), email: EMAIL, url: own.url }), /refused the request: Invalid API key/);
      const ownKey = await runMdmcertDownload({ ...client(), email: EMAIL, url: own.url, serviceKey: 'updraft-own-key' });
      assert.equal(ownKey.kind, 'sent');
    } finally {
      await own.close();
    }
  });

  test('--local: the push key and the exchange key stay in --data-dir; send and decrypt need no server (or API key)', async () => {
    const data = file('local-data');
    const sent = await runMdmcertDownload({ email: EMAIL, url: fake.url, local: true, dataDir: data });
    assert.equal(sent.stored, 'data_dir');
    assert.ok(existsSync(join(data, PENDING_KEY_FILE)) && existsSync(join(data, EXCHANGE_KEY_FILE)));
    writeFileSync(file('local.p7'), fake.lastMail(EMAIL)!);
    const opened = await runMdmcertDownload({ decrypt: file('local.p7'), out: file('local.b64'), local: true, dataDir: data });
    assert.equal(opened.key_sha256, sent.key_sha256);
    assert.equal(readPushRequest(readFileSync(file('local.b64'), 'utf8')).digest, 'sha256');
  });
});
