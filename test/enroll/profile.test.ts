// The enrollment profile over HTTP and the CLI: structure (against the NanoMDM and mdmb fixtures),
// push topic or placeholder, CMS signature checked by openssl, and enrolling over SCEP with it as-is.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parsePlist, type PlistDict, type PlistValue } from '../../src/plist/index.js';
import { loadPki } from '../../src/pki/pki.js';
import { CA_CERT_FILE } from '../../src/pki/ca.js';
import { PLACEHOLDER_TOPIC } from '../../src/enroll/profile.js';
import { fixture, repoRoot } from '../helpers/fixtures.js';
import { startTestServer, TEST_API_KEY, type TestServer } from '../helpers/server.js';
import { testDataDir } from '../helpers/store.js';
import { certRepAttributes, csr, openssl, pkiMessage, selfSigned, tmp } from '../pki/scep-client.js';

const PUBLIC_URL = 'https://mdm.example.test:8443';
let server: TestServer;
let dataDir: string;

async function getProfile(query = ''): Promise<{ res: Response; body: Buffer }> {
  const res = await fetch(`${server.url}/mdm/enroll${query}`);
  return { res, body: Buffer.from(await res.arrayBuffer()) };
}

const dict = (v: PlistValue | undefined): PlistDict => {
  assert.ok(v && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v) && !(v instanceof Date), 'a dict');
  return v as PlistDict;
};
const payloads = (profile: PlistDict): PlistDict[] => (profile.PayloadContent as PlistValue[]).map(dict);
const byType = (profile: PlistDict, type: string): PlistDict[] => payloads(profile).filter((p) => p.PayloadType === type);

/** Runs the real `updraft` command in a child process (asynchronously: the server lives in this one). */
async function updraft(args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli/main.ts'), ...args], { cwd: repoRoot });
  return stdout;
}

before(async () => {
  dataDir = testDataDir();
  server = await startTestServer({ config: { dataDir, publicUrl: PUBLIC_URL }, pki: (store, config) => loadPki(config, store) });
});
after(() => server.close());

describe('GET /mdm/enroll', () => {
  it('serves one SCEP and one com.apple.mdm payload with every key the reference profiles carry', async () => {
    const { res, body } = await getProfile('?unsigned=1');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/x-apple-aspen-config');
    const profile = dict(parsePlist(body));
    assert.equal(profile.PayloadType, 'Configuration');
    assert.equal(profile.PayloadVersion, 1);
    assert.equal(payloads(profile).length, 2);
    const [scep] = byType(profile, 'com.apple.security.scep');
    const [mdm] = byType(profile, 'com.apple.mdm');
    assert.ok(scep && mdm);
    for (const ref of ['nanomdm/docs_enroll.mobileconfig', 'mdmb/enroll-nanomdm.mobileconfig']) {
      const refProfile = dict(parsePlist(fixture(ref)));
      const refScep = byType(refProfile, 'com.apple.security.scep')[0];
      const refMdm = byType(refProfile, 'com.apple.mdm')[0];
      for (const key of Object.keys(dict(refScep.PayloadContent))) assert.ok(key in dict(scep.PayloadContent), `${ref}: SCEP ${key}`);
      for (const key of Object.keys(refMdm)) assert.ok(key in mdm, `${ref}: MDM ${key}`);
      for (const key of Object.keys(refProfile)) assert.ok(key in profile, `${ref}: ${key}`);
    }
    const content = dict(scep.PayloadContent);
    assert.equal(content.URL, `${PUBLIC_URL}/scep`);
    assert.equal(content['Key Type'], 'RSA');
    assert.equal(content.Keysize, 2048);
    assert.equal(mdm.IdentityCertificateUUID, scep.PayloadUUID);
    assert.equal(mdm.ServerURL, `${PUBLIC_URL}/mdm`);
    assert.equal(mdm.CheckInURL, `${PUBLIC_URL}/mdm`);
    assert.equal(mdm.SignMessage, true);
    assert.equal(mdm.AccessRights, 8191);
    assert.equal(mdm.CheckOutWhenRemoved, true);
    assert.deepEqual(mdm.ServerCapabilities, ['com.apple.mdm.per-user-connections', 'com.apple.mdm.bootstraptoken']);
  });

  it('pins the CA: CAFingerprint is the SHA-1 of the CA certificate GetCACert returns, as <data>', async () => {
    const { body } = await getProfile('?unsigned=1');
    assert.match(body.toString('utf8'), /<key>CAFingerprint<\/key>\s*<data>/);
    const content = dict(byType(dict(parsePlist(body)), 'com.apple.security.scep')[0]!.PayloadContent);
    const pinned = content.CAFingerprint;
    assert.ok(Buffer.isBuffer(pinned) && pinned.length === 20, 'CAFingerprint is 20 bytes of data');
    const caDer = Buffer.from(await (await fetch(`${server.url}/scep?operation=GetCACert`)).arrayBuffer());
    assert.ok(pinned.equals(createHash('sha1').update(caDer).digest()), 'matches the CA served over SCEP');
    const fromOpenssl = openssl(['x509', '-in', join(dataDir, CA_CERT_FILE), '-noout', '-fingerprint', '-sha1']).toString();
    assert.equal(fromOpenssl.split('=')[1]!.trim().replace(/:/g, '').toLowerCase(), pinned.toString('hex'));
  });

  it('carries a placeholder topic and a warning until a push certificate is imported, then its topic', async () => {
    const before = await getProfile('?unsigned=1');
    assert.match(before.res.headers.get('x-updraft-warning') ?? '', /push certificate/);
    assert.equal(byType(dict(parsePlist(before.body)), 'com.apple.mdm')[0].Topic, PLACEHOLDER_TOPIC);
    const topic = 'com.apple.mgmt.External.5f2a1c3e-0000-4000-8000-000000000001';
    await server.store.savePushCert({ topic, certPem: 'unused', keyPem: 'unused', notAfter: new Date(Date.now() + 86_400_000) }, new Date());
    const after = await getProfile('?unsigned=1');
    assert.equal(after.res.headers.get('x-updraft-warning'), null);
    assert.equal(byType(dict(parsePlist(after.body)), 'com.apple.mdm')[0].Topic, topic);
  });

  it('is CMS-signed by default: openssl verifies it against the CA and finds the same profile inside', async () => {
    const signed = await getProfile();
    assert.equal(signed.res.headers.get('content-type'), 'application/x-apple-aspen-config');
    const file = tmp('signed.mobileconfig');
    writeFileSync(file, signed.body);
    const inner = openssl(['cms', '-verify', '-inform', 'DER', '-in', file, '-CAfile', join(dataDir, CA_CERT_FILE), '-purpose', 'any', '-binary']);
    const unsigned = await getProfile('?unsigned=1');
    assert.ok(inner.equals(unsigned.body), 'the same bytes, with the same payload UUIDs on every download');
  });

  it('answers the ADE-style POST with the profile too', async () => {
    const res = await fetch(`${server.url}/mdm/enroll?unsigned=1`, { method: 'POST', headers: { 'content-type': 'application/pkcs7-signature' }, body: 'machine info' });
    assert.equal(res.status, 200);
    assert.equal(byType(dict(parsePlist(Buffer.from(await res.arrayBuffer()))), 'com.apple.mdm').length, 1);
  });

  it('enrolls over SCEP with the challenge and URL exactly as the profile gives them', async () => {
    const { body } = await getProfile('?unsigned=1');
    const content = dict(byType(dict(parsePlist(body)), 'com.apple.security.scep')[0].PayloadContent);
    const path = new URL(String(content.URL)).pathname;
    const device = selfSigned();
    const msg = pkiMessage({ csr: csr(device.keyFile, 'enrolled', String(content.Challenge)), caCertFile: join(dataDir, CA_CERT_FILE), signer: device });
    const res = await fetch(`${server.url}${path}?operation=PKIOperation`, { method: 'POST', body: new Uint8Array(msg.der) });
    assert.equal(certRepAttributes(Buffer.from(await res.arrayBuffer())).pkiStatus, '0');
  });
});

describe('CLI', () => {
  it('updraft profile --unsigned -o FILE writes the served profile', async () => {
    const out = tmp('enroll.mobileconfig');
    await updraft(['profile', '--server', server.url, '--unsigned', '-o', out]);
    assert.ok(readFileSync(out).equals((await getProfile('?unsigned=1')).body));
  });

  it('updraft challenge --json prints a one-time challenge the SCEP server accepts once', async () => {
    const out = JSON.parse(await updraft(['challenge', '--json', '--server', server.url, '--api-key', TEST_API_KEY])) as { challenge: string; expires_at: string };
    assert.match(out.challenge, /^[0-9a-f]{32}$/);
    const device = selfSigned(2048, 'cli');
    const send = async () => {
      const msg = pkiMessage({ csr: csr(device.keyFile, 'cli', out.challenge), caCertFile: join(dataDir, CA_CERT_FILE), signer: device });
      const res = await fetch(`${server.url}/scep?operation=PKIOperation`, { method: 'POST', body: new Uint8Array(msg.der) });
      return certRepAttributes(Buffer.from(await res.arrayBuffer())).pkiStatus;
    };
    assert.equal(await send(), '0');
    assert.equal(await send(), '2');
  });
});
