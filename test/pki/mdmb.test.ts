// The SCEP exchange recorded from mdmb (an independent Go client), replayed byte for byte against
// Updraft with the recorded CA imported: single DES-CBC content encryption, SHA-1 signature, the
// message repeated in a ~6.7 KB query string, application/octet-stream body.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { loadPki, type Pki } from '../../src/pki/pki.js';
import { certPem } from '../../src/pki/pem.js';
import { fixture, fixturePath } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { testDataDir } from '../helpers/store.js';
import { certRepAttributes, certRepEnvelope, openssl, opensslVerify } from './scep-client.js';

const DIR = 'mdmb/conversation-nanomdm';
const CA_PEM = fixturePath(`${DIR}/scep-ca.pem`);

/** Method, path, headers and body of a recorded HTTP/1.1 request. */
function recorded(name: string): { method: string; path: string; headers: Record<string, string>; body: Buffer } {
  const raw = fixture(`${DIR}/${name}`);
  const end = raw.indexOf('\r\n\r\n');
  const [requestLine, ...headerLines] = raw.subarray(0, end).toString('latin1').split('\r\n');
  const [method, path] = requestLine.split(' ');
  const headers = Object.fromEntries(headerLines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  return { method, path, headers, body: raw.subarray(end + 4) };
}

async function replay(server: TestServer, name: string): Promise<Response> {
  const r = recorded(name);
  const headers: Record<string, string> = r.headers['content-type'] ? { 'content-type': r.headers['content-type'] } : {};
  return fetch(server.url + r.path, { method: r.method, headers, body: r.body.length ? new Uint8Array(r.body) : undefined });
}

async function mdmbServer(challenge: string): Promise<{ server: TestServer; pki: () => Pki }> {
  let pki: Pki | undefined;
  const server = await startTestServer({
    config: { dataDir: testDataDir(), scepChallenge: challenge, caCertFile: CA_PEM, caKeyFile: fixturePath(`${DIR}/scep-ca.key`) },
    pki: (store, config) => (pki = loadPki(config, store)),
  });
  return { server, pki: () => pki! };
}

describe('mdmb SCEP enrollment, replayed', () => {
  let ok: Awaited<ReturnType<typeof mdmbServer>>;
  before(async () => {
    ok = await mdmbServer('nanomdm');
  });
  after(() => ok.server.close());

  it('answers the recorded GetCACaps and GetCACert', async () => {
    const caps = await replay(ok.server, '01-GET-scep-GetCACaps.http');
    assert.equal(caps.status, 200);
    assert.match(await caps.text(), /POSTPKIOperation/);
    const cacert = await replay(ok.server, '02-GET-scep-GetCACert.http');
    assert.equal(cacert.status, 200);
    assert.equal(cacert.headers.get('content-type'), 'application/x-x509-ca-cert');
    assert.ok(Buffer.from(await cacert.arrayBuffer()).equals(new X509Certificate(fixture(`${DIR}/scep-ca.pem`)).raw));
  });

  it('issues a certificate for the recorded PKIOperation (DES-CBC, SHA-1, 6.7 KB request line)', async () => {
    const res = await replay(ok.server, '03-POST-scep-PKIOperation.http');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/x-pki-message');
    const der = Buffer.from(await res.arrayBuffer());
    const attrs = certRepAttributes(der);
    assert.equal(attrs.pkiStatus, '0');
    assert.equal(attrs.transactionId, 'VaEu0Ir6AVrbOBukO1tUIK1Ymys=');
    assert.equal(attrs.recipientNonce?.toString('hex'), 'e873e085c127450e5a7ac1336bb621ef');
    // Signed by the imported CA (openssl checks), encrypted to mdmb's self-signed "SCEP SIGNER" with 3DES.
    const envelope = openssl(['cms', '-cmsout', '-print', '-inform', 'DER'], certRepEnvelope(der, CA_PEM)).toString();
    assert.match(envelope, /serialNumber: 0xDB2A0508220E5BCA370960E8860C8EE1/i);
    assert.match(envelope, /CN=SCEP SIGNER/);
    assert.match(envelope, /des-ede3-cbc/);
  });

  it('the certificate it issues for that request chains to the imported CA and carries the CSR key', async () => {
    const result = await ok.pki().scep.pkiOperation(recorded('03-POST-scep-PKIOperation.http').body);
    assert.equal(result.status, 'SUCCESS');
    const pem = certPem(result.issued!.der);
    assert.match(opensslVerify(pem, CA_PEM), /OK/);
    const cert = new X509Certificate(pem);
    assert.equal(cert.subject, 'CN=com.github.micromdm.scep');
    assert.equal(cert.issuer, new X509Certificate(fixture(`${DIR}/scep-ca.pem`)).subject);
    assert.equal(cert.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
  });

  it('refuses the recorded request with badRequest when the challenge differs', async () => {
    const other = await mdmbServer('not-nanomdm');
    try {
      const res = await replay(other.server, '03-POST-scep-PKIOperation.http');
      const attrs = certRepAttributes(Buffer.from(await res.arrayBuffer()));
      assert.equal(attrs.pkiStatus, '2');
      assert.equal(attrs.failInfo, '2');
    } finally {
      await other.server.close();
    }
  });
});
