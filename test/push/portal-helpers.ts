// For the push certificate request tests: an MDM vendor identity made by openssl the way Apple's is
// shaped (root → "Apple Worldwide Developer Relations…" → "MDM Vendor: …"), and a stand-in for the
// portal that issues a push certificate (UID = topic) for a CSR, as identity.apple.com does.
import { execFileSync } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KeyUsageFlags } from '@peculiar/asn1-x509';
import { buildCertificate, simpleName } from '../../src/pki/certificate.js';
import { spkiOf } from '../../src/pki/ca.js';
import { parseCsr } from '../../src/pki/csr.js';
import { certPem } from '../../src/pki/pem.js';

export function openssl(args: string[], input?: Buffer | string): Buffer {
  return execFileSync('openssl', args, { input, stdio: ['pipe', 'pipe', 'pipe'] });
}

export interface VendorFiles {
  rootPem: string;
  rootDer: string;
  wwdrPem: string;
  wwdrDer: string;
  certPem: string;
  keyPem: string;
  p12: string;
  /** A certificate with the key that is no MDM vendor certificate (CN=updraft.example.com, same issuer). */
  otherCert: string;
  otherKey: string;
}

/** Writes a vendor identity into dir with openssl; the .p12's password is "vendor pw". */
export function makeVendorFiles(dir: string, vendorCn = 'MDM Vendor: Example Org'): VendorFiles {
  const f = (name: string) => join(dir, name);
  const ca = f('ca.ext');
  writeFileSync(ca, 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n');
  const leaf = f('leaf.ext');
  writeFileSync(leaf, 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n');
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('root.key'), '-out', f('root.pem'), '-days', '30', '-subj', '/C=US/O=Example Root (test)/CN=Example Root CA']);
  const issue = (name: string, subj: string, issuer: string, ext: string) => {
    openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', subj]);
    openssl(['x509', '-req', '-in', f(`${name}.csr`), '-CA', f(`${issuer}.pem`), '-CAkey', f(`${issuer}.key`), '-CAcreateserial', '-days', '20', '-extfile', ext, '-out', f(`${name}.pem`)]);
  };
  issue('wwdr', '/C=US/O=Apple Inc. (test)/OU=G3/CN=Apple Worldwide Developer Relations Certification Authority', 'root', ca);
  issue('vendor', `/UID=ABCDE12345/CN=${vendorCn}/O=Example Org/C=US`, 'wwdr', leaf);
  issue('other', '/CN=updraft.example.com/O=Example Org/C=US', 'wwdr', leaf);
  for (const name of ['root', 'wwdr']) openssl(['x509', '-in', f(`${name}.pem`), '-outform', 'DER', '-out', f(`${name}.cer`)]);
  openssl(['pkcs12', '-export', '-in', f('vendor.pem'), '-inkey', f('vendor.key'), '-passout', 'pass:vendor pw', '-out', f('vendor.p12')]);
  return {
    rootPem: f('root.pem'), rootDer: f('root.cer'), wwdrPem: f('wwdr.pem'), wwdrDer: f('wwdr.cer'),
    certPem: f('vendor.pem'), keyPem: f('vendor.key'), p12: f('vendor.p12'), otherCert: f('other.pem'), otherKey: f('other.key'),
  };
}

const portalKey = generateKeyPairSync('rsa', { modulusLength: 2048 });

/** What the portal gives back for a CSR: a push certificate for the CSR's key with the topic as UID (PEM). */
export function portalIssue(csrDer: Buffer, topic = `com.apple.mgmt.External.${randomUUID()}`): { pem: string; topic: string } {
  const spki = spkiOf(createPublicKey({ key: parseCsr(csrDer).spki, format: 'der', type: 'spki' }));
  const issuer = simpleName([['2.5.4.3', 'Stand-in Application Integration CA (test)']]);
  const now = Date.now();
  const der = buildCertificate(
    {
      subject: simpleName([['0.9.2342.19200300.100.1.1', topic], ['2.5.4.3', `APSP:${topic.slice(-36)}`], ['2.5.4.6', 'US']]),
      publicKey: spki,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 365 * 86_400_000),
      isCA: false,
      keyUsage: KeyUsageFlags.digitalSignature,
    },
    { subject: issuer, publicKey: spkiOf(portalKey.publicKey), key: portalKey.privateKey },
  );
  return { pem: certPem(der), topic };
}

/** The DER of the first PEM block of a text. */
export function pemDer(text: string): Buffer {
  const m = /-----BEGIN [A-Z ]+-----([\s\S]+?)-----END/.exec(text);
  if (!m) throw new Error('no PEM block');
  return Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
}
