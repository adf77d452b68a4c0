// Self-signed certificates for the fake APNs server's TLS and for stand-in push certificates
// (tests, the demo, benchmarks). Real push certificates come from Apple.
import 'reflect-metadata';
import { randomBytes, randomUUID, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

export interface SelfSigned {
  certPem: string;
  keyPem: string;
}

export interface SelfSignedOptions {
  commonName: string;
  /** Subject UID (a push certificate's topic). */
  uid?: string;
  /** DNS names and IP addresses for a server certificate. */
  dnsNames?: string[];
  ips?: string[];
  notBefore?: Date;
  notAfter?: Date;
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
type X509Crypto = Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[1];

export async function makeSelfSigned(opts: SelfSignedOptions): Promise<SelfSigned> {
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const notBefore = opts.notBefore ?? new Date(Date.now() - 60_000);
  const name: x509.JsonName = [];
  if (opts.uid) name.push({ '0.9.2342.19200300.100.1.1': [opts.uid] });
  name.push({ CN: [opts.commonName] });
  const sans = [
    ...(opts.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(opts.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: randomBytes(8).toString('hex').replace(/^[89a-f]/, '1'),
      name,
      notBefore,
      notAfter: opts.notAfter ?? new Date(notBefore.getTime() + 365 * 86_400_000),
      keys: keys as unknown as Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'],
      signingAlgorithm: ALGORITHM,
      extensions: sans.length ? [new x509.SubjectAlternativeNameExtension(sans)] : [],
    },
    webcrypto as unknown as X509Crypto,
  );
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END PRIVATE KEY-----\n`;
  return { certPem: cert.toString('pem') + '\n', keyPem };
}

/** A stand-in MDM push certificate with a fresh com.apple.mgmt.External.<uuid> topic. */
export function makeFakePushCert(opts: { topic?: string; notBefore?: Date; notAfter?: Date } = {}): Promise<SelfSigned & { topic: string }> {
  const topic = opts.topic ?? `com.apple.mgmt.External.${randomUUID()}`;
  return makeSelfSigned({ commonName: `APSP:${topic.slice(-36)}`, uid: topic, notBefore: opts.notBefore, notAfter: opts.notAfter }).then((c) => ({ ...c, topic }));
}
