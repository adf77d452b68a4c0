// The hand-walked DER of the SCEP path, in process: any corruption of a request is either answered
// with a CertRep or refused as MalformedScep (never another error, so never a 5xx); BER
// indefinite-length envelopes (openssl -stream) are read; an EC CSR with a subjectAltName is issued
// with both kept; the DER reader refuses lengths that run past their container.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { CA, createCA } from '../../src/pki/ca.js';
import { Challenges } from '../../src/pki/challenge.js';
import { certPem } from '../../src/pki/pem.js';
import { ScepServer } from '../../src/pki/scep/server.js';
import { MalformedScep } from '../../src/pki/scep/message.js';
import { Asn1Error, children, read } from '../../src/asn1/index.js';
import { csr, issuedCertificate, openssl, opensslVerify, pkiMessage, selfSigned, tmp, type KeyPair } from './scep-client.js';

const CHALLENGE = 'der-path-secret';
let scep: ScepServer;
let caFile: string;
let device: KeyPair;

before(() => {
  const { certDer, key } = createCA('DER path CA');
  caFile = tmp('ca.pem');
  writeFileSync(caFile, certPem(certDer));
  const noStore = { addChallenge: async () => {}, consumeChallenge: async () => false };
  scep = new ScepServer({ ca: new CA(certDer, key), challenges: new Challenges(noStore, CHALLENGE), certValidityDays: 30 });
  device = selfSigned();
});

async function outcome(der: Buffer): Promise<string> {
  try {
    return (await scep.pkiOperation(der)).status;
  } catch (e) {
    if (e instanceof MalformedScep) return 'malformed';
    throw new Error(`unexpected ${(e as Error).constructor.name}: ${(e as Error).message}`);
  }
}

describe('SCEP DER path', () => {
  it('answers or refuses every single-byte corruption and truncation of a request, with nothing else thrown', async () => {
    const good = pkiMessage({ csr: csr(device.keyFile, 'fuzzed', 'not the challenge'), caCertFile: caFile, signer: device }).der;
    assert.equal(await outcome(good), 'FAILURE');
    const seen = new Map<string, number>();
    for (let i = 0; i < good.length; i++) {
      for (const flip of i % 2 ? [0xff] : [0x01, 0x80]) {
        const bad = Buffer.from(good);
        bad[i] ^= flip;
        const o = await outcome(bad);
        seen.set(o, (seen.get(o) ?? 0) + 1);
      }
    }
    for (let n = 0; n < good.length; n += 17) seen.set(await outcome(good.subarray(0, n)), 0);
    assert.ok(seen.has('malformed') && seen.has('FAILURE'), JSON.stringify([...seen]));
  });

  it('reads a BER indefinite-length envelope (openssl cms -stream) and issues', async () => {
    const csrFile = tmp('csr.der');
    writeFileSync(csrFile, csr(device.keyFile, 'streamed', CHALLENGE));
    const streamed = openssl(['cms', '-encrypt', '-stream', '-binary', '-outform', 'DER', '-aes256', '-in', csrFile, caFile]);
    assert.equal(streamed[1], 0x80, 'openssl wrote an indefinite length');
    const { signData, attribute } = await import('../../src/pki/cms/index.js');
    const { OID } = await import('../../src/pki/oids.js');
    const { octetString: octets, printableString: printable } = await import('../../src/asn1/index.js');
    const { createPrivateKey, randomBytes } = await import('node:crypto');
    const { readFileSync } = await import('node:fs');
    const der = signData({
      content: streamed, signerCert: device.certDer, signerKey: createPrivateKey(readFileSync(device.keyFile)), digest: 'sha256', at: new Date(),
      attributes: [attribute(OID.scepMessageType, printable('19')), attribute(OID.scepTransactionId, printable('streamed-1')), attribute(OID.scepSenderNonce, octets(randomBytes(16)))],
    });
    const result = await scep.pkiOperation(der);
    assert.equal(result.status, 'SUCCESS', result.reason);
    assert.match(opensslVerify(issuedCertificate(result.body, caFile, device), caFile), /OK/);
  });

  it('issues for an EC P-256 key with a subjectAltName, keeping both', async () => {
    const ecKey = tmp('ec.pem');
    openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', ecKey]);
    const cfg = tmp('ec.cnf');
    writeFileSync(cfg, `[req]\ndistinguished_name = dn\nprompt = no\nattributes = attrs\nreq_extensions = ext\n[attrs]\nchallengePassword = ${CHALLENGE}\n[dn]\nO = Example\nCN = ec device\n[ext]\nsubjectAltName = DNS:device.example.test,email:it@example.test\n`);
    const ecCsr = openssl(['req', '-new', '-key', ecKey, '-config', cfg, '-outform', 'DER']);
    const result = await scep.pkiOperation(pkiMessage({ csr: ecCsr, caCertFile: caFile, signer: device }).der);
    assert.equal(result.status, 'SUCCESS', result.reason);
    const pem = issuedCertificate(result.body, caFile, device);
    assert.match(opensslVerify(pem, caFile), /OK/);
    const cert = new X509Certificate(pem);
    assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.equal(cert.subject, 'O=Example\nCN=ec device');
    assert.equal(cert.subjectAltName, 'DNS:device.example.test, email:it@example.test');
    assert.equal(result.issued?.subject, 'O=Example, CN=ec device');
    assert.equal(result.issued?.serialNumber, cert.serialNumber);
    const text = openssl(['x509', '-noout', '-text'], Buffer.from(pem)).toString();
    assert.match(text, /Digital Signature, Key Encipherment/);
    assert.match(text, /TLS Web Client Authentication/);
    assert.match(text, /CA:FALSE/);
  });

  it('refuses lengths that run past their container, over-long length fields and runaway nesting', () => {
    for (const bytes of [[0x30, 0x05, 0x02, 0x01], [0x30, 0x85, 1, 0, 0, 0, 0], [0x04, 0x80, 0, 0], [0x30, 0x03, 0x02, 0x05, 0x00], [0x30, 0x80, 0x02, 0x01, 0x00]]) {
      const b = Buffer.from(bytes);
      assert.throws(() => children(b, read(b)), Asn1Error, Buffer.from(bytes).toString('hex'));
    }
    const deep = Buffer.concat([Buffer.alloc(80, 0x30).map((_, i) => (i % 2 ? 0x80 : 0x30)), Buffer.alloc(80, 0)]);
    assert.throws(() => read(deep), Asn1Error);
  });
});
