// The identity verifier on its own: recorded mdmb signatures, openssl-made signatures of every
// supported shape, the attacks it must refuse, proxy headers and TLS client certificates.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIdentityVerifier, type IdentityResult } from '../../src/identity/index.js';
import { TrustCache } from '../../src/identity/trust.js';
import { fixture, fixturePath } from '../helpers/fixtures.js';
import { during, TestPki, type Identity, type SignOptions } from './pki.js';

const CONV = 'mdmb/conversation-nanomdm';
const mdmbCa = new X509Certificate(fixture(`${CONV}/scep-ca.pem`));
const inMdmbWindow = new Date('2027-01-01T00:00:00Z'); // mdmb's certificates: 2026-11-28 → 2027-11-28
const recorded = readdirSync(fixturePath(CONV))
  .filter((f) => f.endsWith('.mdm-signature.b64'))
  .map((f) => {
    const name = f.replace('.mdm-signature.b64', '');
    return { name, sig: fixture(`${CONV}/${f}`).toString('utf8').trim(), body: fixture(`${CONV}/${name}.body.plist`) };
  });

function fails(r: IdentityResult, reason: RegExp): void {
  assert.equal(r.ok, false, `expected a refusal matching ${reason}`);
  if (!r.ok) assert.match(r.reason, reason);
}

/** The signer certificate's SHA-256 as openssl extracts it (independent of our CMS walker). */
function opensslSignerHash(sigB64: string, bodyPath: string, caPath: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'updraft-sig-'));
  try {
    writeFileSync(join(dir, 'sig.der'), Buffer.from(sigB64, 'base64'));
    execFileSync('openssl', ['cms', '-verify', '-inform', 'DER', '-binary', '-purpose', 'any', '-in', join(dir, 'sig.der'),
      '-content', bodyPath, '-CAfile', caPath, '-signer', join(dir, 'signer.pem'), '-out', '/dev/null'], { stdio: 'ignore' });
    return createHash('sha256').update(new X509Certificate(readFileSync(join(dir, 'signer.pem'))).raw).digest('hex');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('recorded mdmb signatures (SHA-1, RSA)', () => {
  const verifier = createIdentityVerifier({ anchors: [mdmbCa] });

  test('every Mdm-Signature in the conversation verifies and names the device certificate', () => {
    assert.ok(recorded.length >= 13);
    // The recording holds two devices, each with its own identity: F716FADE… (04–09, 15, 16) and 03ECD82D… (10–14).
    const [first, second] = ['04-PUT-mdm-Authenticate', '10-PUT-mdm-Idle'].map((name) =>
      opensslSignerHash(recorded.find((r) => r.name === name)!.sig, fixturePath(`${CONV}/${name}.body.plist`), fixturePath(`${CONV}/scep-ca.pem`)));
    assert.notEqual(first, second);
    for (const { name, sig, body } of recorded) {
      const r = verifier.verifySignature(sig, body, inMdmbWindow);
      assert.ok(r.ok, `${name}: ${r.ok ? '' : r.reason}`);
      assert.equal(r.certHash, body.includes('03ECD82D-9FBA-4ADC-B68D-2F7FF9F1AAE2') ? second : first, name);
      assert.equal(r.source, 'signature');
    }
  });

  test('the standalone example signature verifies too', () => {
    const der = fixture('mdmb/mdm-signature-example.der');
    const ca = new X509Certificate(fixture('mdmb/mdm-signature-example.scep-ca.pem'));
    const r = createIdentityVerifier({ anchors: [ca] }).verifySignature(der.toString('base64'), fixture('mdmb/mdm-signature-example.body.plist'), inMdmbWindow);
    assert.ok(r.ok);
  });

  test('a tampered body is refused for every recorded request', () => {
    for (const { name, sig, body } of recorded) {
      const tampered = Buffer.from(body);
      tampered[tampered.length >> 1] ^= 0x01;
      fails(verifier.verifySignature(sig, tampered, inMdmbWindow), /does not match the body/);
      fails(verifier.verifySignature(sig, Buffer.concat([body, Buffer.from('\n')]), inMdmbWindow), /does not match the body/);
      assert.ok(verifier.verifySignature(sig, body, inMdmbWindow).ok, name);
    }
  });

  test('outside the certificate validity the same signatures are refused', () => {
    const { sig, body } = recorded[0];
    fails(verifier.verifySignature(sig, body, new Date('2028-01-01T00:00:00Z')), /expired/);
    fails(verifier.verifySignature(sig, body, new Date('2026-01-01T00:00:00Z')), /not valid before/);
  });
});

describe('openssl-made signatures and attacks', () => {
  const pki = new TestPki();
  let ca: Identity, otherCa: Identity, lookalikeCa: Identity;
  let ec: Identity, rsa: Identity, stranger: Identity, forged: Identity;
  let at: Date;
  const body = Buffer.from('<?xml version="1.0"?><plist version="1.0"><dict><key>Status</key><string>Idle</string><key>UDID</key><string>X</string></dict></plist>');

  before(() => {
    ca = pki.ca('Updraft Test CA');
    otherCa = pki.ca('Somebody Else CA');
    lookalikeCa = pki.ca('Updraft Test CA'); // same name as the trusted CA, different key
    ec = pki.device(ca, 'device-ec', 'ec');
    rsa = pki.device(ca, 'device-rsa', 'rsa');
    stranger = pki.device(otherCa, 'stranger');
    forged = pki.device(lookalikeCa, 'forged');
    at = during(ec.cert);
  });
  after(() => pki.cleanup());

  const verifier = () => createIdentityVerifier({ anchors: [ca.cert] });

  test('RSA and ECDSA, SHA-1/256/384, with and without signed attributes, by issuer+serial or key id', () => {
    const v = verifier();
    const shapes: SignOptions[] = [
      { md: 'sha256' }, { md: 'sha1' }, { md: 'sha384' }, { md: 'sha256', noattr: true }, { md: 'sha1', noattr: true }, { md: 'sha256', keyid: true },
    ];
    for (const id of [ec, rsa]) {
      for (const shape of shapes) {
        const r = v.verifySignature(pki.sign(id, body, shape), body, at);
        assert.ok(r.ok, `${id.cert.subject} ${JSON.stringify(shape)}: ${r.ok ? '' : r.reason}`);
        assert.equal(r.certHash, id.hash);
        assert.deepEqual(r.certDer, id.certDer);
      }
    }
  });

  test('no identity at all is refused; in optional mode it passes with no certificate', () => {
    fails(verifier().fromRequest({ raw: body, headers: {} }, at), /no device identity/);
    const r = createIdentityVerifier({ anchors: [ca.cert], optional: true }).fromRequest({ raw: body, headers: {} }, at);
    assert.deepEqual(r, { ok: true, certHash: null, certDer: null, source: null, skipped: r.ok ? r.skipped : '' });
    assert.ok(r.ok && /no device identity/.test(r.skipped ?? ''));
  });

  test('a bad signature is refused, for RSA and ECDSA, with and without signed attributes', () => {
    const v = verifier();
    for (const id of [ec, rsa]) {
      for (const noattr of [false, true]) {
        const der = Buffer.from(pki.sign(id, body, { noattr }), 'base64');
        der[der.length - 3] ^= 0x40; // inside the signature value (the last field)
        fails(v.verifySignature(der.toString('base64'), body, at), /signature is invalid/);
      }
    }
  });

  test('a tampered body is refused, also when the body itself is signed (no signed attributes)', () => {
    const v = verifier();
    const tampered = Buffer.from(body.toString().replace('Idle', 'Idlf'));
    fails(v.verifySignature(pki.signFast(rsa, body), tampered, at), /does not match the body/);
    fails(v.verifySignature(pki.sign(rsa, body, { noattr: true }), tampered, at), /signature is invalid/);
  });

  test('certificates from an untrusted CA, or from a look-alike CA with the same name, are refused', () => {
    const v = verifier();
    fails(v.verifySignature(pki.signFast(stranger, body), body, at), /not issued by a trusted CA.*Somebody Else CA/);
    fails(v.verifySignature(pki.signFast(forged, body), body, at), /not issued by a trusted CA/);
    assert.ok(createIdentityVerifier({ anchors: [otherCa.cert, ca.cert] }).verifySignature(pki.signFast(stranger, body), body, at).ok);
  });

  test('expired and not-yet-valid certificates are refused, even with a cached verdict', () => {
    const v = verifier();
    const sig = pki.signFast(ec, body);
    assert.ok(v.verifySignature(sig, body, at).ok); // verdict now cached
    fails(v.verifySignature(sig, body, new Date(Date.parse(ec.cert.validTo) + 1000)), /expired/);
    fails(v.verifySignature(sig, body, new Date(Date.parse(ec.cert.validFrom) - 1000)), /not valid before/);
    assert.ok(v.verifySignature(sig, body, at).ok);
  });

  test('the verdict cache cannot be poisoned: a known-good certificate with a bad signature still fails', () => {
    const v = verifier();
    const good = pki.signFast(rsa, body);
    const bad = Buffer.from(good, 'base64');
    bad[bad.length - 1] ^= 0x01;
    for (let i = 0; i < 3; i++) {
      assert.ok(v.verifySignature(good, body, at).ok);
      fails(v.verifySignature(bad.toString('base64'), body, at), /signature is invalid/);
    }
    // and a refused certificate does not taint a trusted one
    fails(v.verifySignature(pki.signFast(stranger, body), body, at), /trusted CA/);
    assert.ok(v.verifySignature(good, body, at).ok);
  });

  test('the verdict cache is bounded and an evicted certificate is simply re-checked', () => {
    const cache = new TrustCache([ca.cert], 2);
    const ids = [ec, rsa, stranger];
    for (const id of ids) cache.verdict(id.certDer, id.hash);
    assert.equal(cache.size, 2);
    assert.equal(cache.verdict(ec.certDer, ec.hash).trusted, true);
    assert.equal(cache.verdict(stranger.certDer, stranger.hash).trusted, false);
    assert.equal(cache.size, 2);
  });

  test('the DER check and OpenSSL agree: same verdicts and validity windows; what the DER check does not take goes to OpenSSL', () => {
    const rsaCa = pki.ca('Updraft Test RSA CA', 'rsa');
    const ids = [
      ec, rsa, stranger, forged,
      pki.device(rsaCa, 'pss-signed', 'rsa', 365, ['-sigopt', 'rsa_padding_mode:pss', '-sha256']), // RSASSA-PSS: OpenSSL decides
      pki.device(rsaCa, 'sha1-signed', 'rsa', 365, ['-sha1']),
      pki.device(rsaCa, 'past-2050', 'ec', 12_000), // notAfter as a GeneralizedTime
    ];
    const cache = new TrustCache([ca.cert, rsaCa.cert]);
    for (const id of ids) {
      const v = cache.verdict(id.certDer, id.hash);
      const issuer = [ca, rsaCa].find((a) => id.cert.checkIssued(a.cert) && id.cert.verify(a.cert.publicKey));
      assert.equal(v.trusted, !!issuer, id.cert.subject);
      if (!v.trusted || !issuer) continue;
      assert.equal(v.notBefore, Math.max(Date.parse(id.cert.validFrom), Date.parse(issuer.cert.validFrom)), id.cert.subject);
      assert.equal(v.notAfter, Math.min(Date.parse(id.cert.validTo), Date.parse(issuer.cert.validTo)), id.cert.subject);
      assert.equal(v.keyKind, id.cert.publicKey.asymmetricKeyType);
      assert.ok(v.key.equals(id.cert.publicKey));
    }
    // an anchor whose keyUsage does not allow certificate signing issues nothing, on either path
    const signOnly = pki.ca('Sign Only CA', 'rsa', 'keyUsage=critical,digitalSignature');
    const fromSignOnly = pki.device(signOnly, 'from-sign-only', 'rsa');
    assert.equal(new TrustCache([signOnly.cert]).verdict(fromSignOnly.certDer, fromSignOnly.hash).trusted, false);
  });

  test('malformed signatures get a clear reason, never an exception', () => {
    const v = verifier();
    const good = Buffer.from(pki.signFast(ec, body), 'base64');
    const cases = ['', 'not base64 at all!!', Buffer.from('hello').toString('base64'), good.subarray(0, good.length - 10).toString('base64'),
      Buffer.concat([good, Buffer.from([0])]).toString('base64'), Buffer.from([0x30, 0x80, 0x30, 0x80, 0x30, 0x80]).toString('base64'),
      Buffer.alloc(200, 0x30).toString('base64')];
    for (const sig of cases) fails(v.verifySignature(sig, body, at), /malformed Mdm-Signature/);
  });

  test('an Mdm-Signature header wins over the TLS certificate, and a bad one is not rescued by it', () => {
    const v = verifier();
    const bad = Buffer.from(pki.signFast(ec, body), 'base64');
    bad[bad.length - 2] ^= 0x01;
    fails(v.fromRequest({ raw: body, headers: { 'mdm-signature': bad.toString('base64') }, tlsCert: rsa.certDer }, at), /signature/);
    const r = v.fromRequest({ raw: body, headers: { 'mdm-signature': pki.signFast(ec, body) }, tlsCert: rsa.certDer }, at);
    assert.ok(r.ok && r.certHash === ec.hash && r.source === 'signature');
  });

  test('a TLS client certificate is checked against the anchors and its validity', () => {
    const v = verifier();
    const r = v.fromRequest({ raw: body, headers: {}, tlsCert: rsa.certDer }, at);
    assert.ok(r.ok && r.certHash === rsa.hash && r.source === 'tls');
    fails(v.fromRequest({ raw: body, headers: {}, tlsCert: stranger.certDer }, at), /trusted CA/);
    fails(v.fromRequest({ raw: body, headers: {}, tlsCert: rsa.certDer }, new Date(Date.parse(rsa.cert.validTo) + 1000)), /expired/);
    fails(v.fromRequest({ raw: body, headers: {}, tlsCert: Buffer.from('garbage') }, at), /malformed device certificate/);
  });

  test('proxy header: RFC 9440, URL-escaped PEM (nginx), PEM with + for spaces; ignored unless configured', () => {
    const v = createIdentityVerifier({ anchors: [ca.cert], certHeader: 'X-Client-Cert' });
    const pem = readFileSync(ec.certPath, 'utf8');
    const forms = [
      `:${ec.certDer.toString('base64')}:`,
      encodeURIComponent(pem),
      encodeURIComponent(pem).replace(/%20/g, '+'),
      ec.certDer.toString('base64'),
    ];
    for (const value of forms) {
      const r = v.fromRequest({ raw: body, headers: { 'x-client-cert': value } }, at);
      assert.ok(r.ok && r.certHash === ec.hash && r.source === 'header', value.slice(0, 40));
    }
    fails(v.fromRequest({ raw: body, headers: { 'x-client-cert': `:${stranger.certDer.toString('base64')}:` } }, at), /trusted CA/);
    fails(v.fromRequest({ raw: body, headers: { 'x-client-cert': ':abc' } }, at), /X-Client-Cert header: malformed RFC 9440/);
    fails(v.fromRequest({ raw: body, headers: { 'x-client-cert': '%E0%A4%A' } }, at), /malformed URL-escaped/);
    fails(v.fromRequest({ raw: body, headers: { 'x-client-cert': '' } }, at), /no device identity/);
    // Not configured: a client cannot vouch for itself with the header.
    fails(verifier().fromRequest({ raw: body, headers: { 'x-client-cert': forms[0] } }, at), /no device identity/);
  });

  test('the signer is found among several certificates in the signature', () => {
    const withChain = execFileSync('openssl', ['cms', '-sign', '-binary', '-outform', 'DER', '-md', 'sha256', '-signer', rsa.certPath,
      '-inkey', rsa.keyPath, '-certfile', ca.certPath], { input: body });
    const r = verifier().verifySignature(withChain.toString('base64'), body, at);
    assert.ok(r.ok && r.certHash === rsa.hash);
  });
});
