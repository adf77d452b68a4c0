// The MDM push certificate: read it from PEM (cert + key concatenated, as NanoMDM takes it) or
// from a .p12, check that the key matches, and pull out the topic and expiry.
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import type { Certificate } from '@peculiar/asn1-x509';
import { asn1Schema, asn1X509 } from '../pki/peculiar.js';

/** Subject attribute carrying the push topic: userId (UID). */
const UID_OID = '0.9.2342.19200300.100.1.1';
export const TOPIC_PREFIX = 'com.apple.mgmt.';

/** A problem with the certificate or key the user gave us; the message says what. */
export class PushCertError extends Error {}

export interface PushCertificate {
  topic: string;
  notAfter: Date;
  /** The leaf certificate, PEM. */
  certPem: string;
  /** The unencrypted private key, PKCS#8 PEM. */
  keyPem: string;
}

/** The push topic: the subject's UID, which must start with com.apple.mgmt. */
export function topicFromCert(der: Buffer): string {
  let cert: Certificate;
  try {
    cert = asn1Schema().AsnConvert.parse(der, asn1X509().Certificate);
  } catch {
    throw new PushCertError('the certificate cannot be parsed');
  }
  for (const rdn of cert.tbsCertificate.subject) {
    for (const attr of rdn) {
      if (attr.type !== UID_OID) continue;
      const topic = attr.value.toString();
      if (!topic.startsWith(TOPIC_PREFIX)) {
        throw new PushCertError(`not an MDM push certificate: its topic (UID) "${topic}" does not start with ${TOPIC_PREFIX}`);
      }
      return topic;
    }
  }
  throw new PushCertError('not an MDM push certificate: its subject has no UID (topic)');
}

/** The push certificate among `certs` that `key` belongs to, checked (topic, expiry). */
export function pushCertificateFor(certs: X509Certificate[], key: KeyObject, now = new Date()): PushCertificate {
  const leaf = certs.find((c) => c.checkPrivateKey(key));
  if (!leaf) throw new PushCertError('the private key does not match the certificate');
  const topic = topicFromCert(leaf.raw);
  const notAfter = new Date(leaf.validTo);
  if (notAfter.getTime() <= now.getTime()) {
    throw new PushCertError(`the push certificate expired on ${notAfter.toISOString()}; renew it at identity.apple.com with the same Apple ID`);
  }
  return { topic, notAfter, certPem: leaf.toString(), keyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

export function x509(der: Buffer | string): X509Certificate {
  try {
    return new X509Certificate(der);
  } catch {
    throw new PushCertError('the certificate cannot be parsed');
  }
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/** The certificates (chain allowed) and the unencrypted private key, if any, in PEM text. */
export function readPushPem(text: string): { certs: X509Certificate[]; key: KeyObject | null } {
  const certs: X509Certificate[] = [];
  let key: KeyObject | null = null;
  for (const m of text.matchAll(PEM_BLOCK)) {
    const [block, type] = m;
    if (type === 'CERTIFICATE') {
      certs.push(x509(block));
    } else if (type === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:\s*4,ENCRYPTED/.test(block)) {
      throw new PushCertError('the private key is encrypted: give it unencrypted (openssl pkey -in key.pem -out plain.pem)');
    } else if (type === 'PRIVATE KEY' || type.endsWith(' PRIVATE KEY')) {
      if (key) throw new PushCertError('more than one private key given');
      try {
        key = createPrivateKey(block);
      } catch {
        throw new PushCertError('the private key cannot be parsed');
      }
    } else {
      throw new PushCertError(`unexpected PEM block "${type}": give the certificate and its private key`);
    }
  }
  if (certs.length === 0) throw new PushCertError('no PEM certificate found');
  return { certs, key };
}

/** Parse PEM text holding the certificate (chain allowed) and its unencrypted private key. */
export function parsePushCertPem(text: string, now = new Date()): PushCertificate {
  const { certs, key } = readPushPem(text);
  if (!key) throw new PushCertError('no PEM private key found');
  return pushCertificateFor(certs, key, now);
}
