// The certificate authority that issues device identities over SCEP.
// Created on first run in the data dir (ca.pem, ca.key 0600), or given as PEM files so identities
// issued by another server keep verifying. Extra CAs (--ca) are trusted for device identities too.
import { X509Certificate, createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Certificate, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { buildCertificate, simpleName, type CertificateSpec, type Issuer } from './certificate.js';
import type { CertRequest } from './csr.js';
import { ab, parseCertificate, subjectKeyId } from './der.js';
import { buildLeaf, newSerial, spkiKeyId, type LeafIssuer } from './issue.js';
import { certParts, type CertParts } from './x509-der.js';
import { certPem, keyPem, readCertificates, readPrivateKey, writeSecret } from './pem.js';
import { asn1Schema, asn1X509 } from './peculiar.js';

export const CA_CERT_FILE = 'ca.pem';
export const CA_KEY_FILE = 'ca.key';
export const DEFAULT_CERT_VALIDITY_DAYS = 365;
const CA_VALIDITY_DAYS = 3650;
/** Backdating of notBefore, for devices whose clocks run a little behind. */
const CLOCK_SKEW_MS = 10 * 60 * 1000;
const DAY_MS = 86_400_000;

export interface IssueOptions {
  validityDays: number;
  at?: Date;
}

export class CA {
  readonly certDer: Buffer;
  readonly certPem: string;
  readonly x509: X509Certificate;
  /** Secret for implicit rejection in RSA key transport (derived from the key, stable across restarts). */
  readonly rejectionSecret: Buffer;
  /** The CA certificate's fields as DER (issuer name, issuer-and-serial), read once. */
  readonly parts: CertParts;
  /** SHA-1 of the CA certificate DER: what profiles pin as CAFingerprint. Apple does not name the hash;
   *  SHA-1 (like MD5 before it) is the digest devices have long been known to compare, so it is the safe one. */
  readonly fingerprintSha1: Buffer;
  private parsed: Certificate | undefined;
  private readonly leafIssuer: LeafIssuer;
  private readonly validFrom: number;
  private readonly validTo: number;

  constructor(certDer: Buffer, readonly key: KeyObject) {
    this.certDer = certDer;
    this.certPem = certPem(certDer);
    this.x509 = new X509Certificate(certDer);
    if (!this.x509.checkPrivateKey(key)) throw new Error('the CA key does not match the CA certificate');
    if (key.asymmetricKeyType !== 'rsa') throw new Error('the CA key must be RSA (SCEP encrypts requests to it)');
    this.rejectionSecret = createHash('sha256').update('updraft-scep-implicit-rejection').update(key.export({ format: 'der', type: 'pkcs8' })).digest();
    this.parts = certParts(certDer);
    this.fingerprintSha1 = createHash('sha1').update(certDer).digest();
    this.leafIssuer = { name: this.parts.subject, keyId: this.parts.subjectKeyId ?? spkiKeyId(this.parts.spki), key };
    this.validFrom = Date.parse(this.x509.validFrom);
    this.validTo = Date.parse(this.x509.validTo);
  }

  /** The certificate in @peculiar's object model, parsed on first use (certify() needs it; serving devices does not). */
  get cert(): Certificate {
    return (this.parsed ??= parseCertificate(this.certDer));
  }

  private get issuer(): Issuer {
    return { subject: this.cert.tbsCertificate.subject, publicKey: this.cert.tbsCertificate.subjectPublicKeyInfo, keyId: subjectKeyId(this.cert), key: this.key };
  }

  get notAfter(): Date {
    return new Date(this.x509.validTo);
  }

  /** Issues a client-identity certificate for a checked request; never outlives the CA. */
  issue(req: CertRequest, opts: IssueOptions): Buffer {
    return this.issueLeaf(req, opts).der;
  }

  /** issue(), also returning the serial (magnitude bytes) and the validity (whole seconds) it wrote. */
  issueLeaf(req: CertRequest, opts: IssueOptions): { der: Buffer; serial: Buffer; notBefore: Date; notAfter: Date } {
    const at = Math.floor((opts.at ?? new Date()).getTime() / 1000) * 1000;
    const notBefore = new Date(Math.max(at - CLOCK_SKEW_MS, this.validFrom));
    const notAfter = new Date(Math.min(at + opts.validityDays * DAY_MS, this.validTo));
    const serial = newSerial();
    return { der: buildLeaf({ serial, subject: req.subject, spki: req.spki, notBefore, notAfter, extensions: req.extensions }, this.leafIssuer), serial, notBefore, notAfter };
  }

  /** Signs any certificate under this CA, its lifetime cut to the CA's. */
  certify(spec: CertificateSpec): Buffer {
    const notAfter = new Date(Math.min(spec.notAfter.getTime(), this.notAfter.getTime()));
    return buildCertificate({ ...spec, notAfter }, this.issuer);
  }

  /** True when this CA signed the certificate and it is valid at `at`. */
  issued(cert: X509Certificate, at = new Date()): boolean {
    return cert.checkIssued(this.x509) && cert.verify(this.x509.publicKey) && new Date(cert.validFrom) <= at && at <= new Date(cert.validTo);
  }
}

export interface CAFiles {
  /** PEM certificate of a CA to use instead of the data dir's (first certificate in the file). */
  certFile?: string | null;
  keyFile?: string | null;
  keyPassphrase?: string;
  /** Subject common name for a newly created CA. */
  commonName?: string;
}

export function spkiOf(key: KeyObject): SubjectPublicKeyInfo {
  return asn1Schema().AsnConvert.parse(ab(key.export({ format: 'der', type: 'spki' })), asn1X509().SubjectPublicKeyInfo);
}

/** A self-signed RSA CA certificate and key. */
export function createCA(commonName: string, at = new Date()): { certDer: Buffer; key: KeyObject } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const { KeyUsageFlags } = asn1X509();
  const subject = simpleName([
    ['2.5.4.10', 'Updraft'],
    ['2.5.4.3', commonName],
  ]);
  const spki = spkiOf(publicKey);
  const certDer = buildCertificate(
    {
      subject,
      publicKey: spki,
      notBefore: new Date(at.getTime() - CLOCK_SKEW_MS),
      notAfter: new Date(at.getTime() + CA_VALIDITY_DAYS * DAY_MS),
      isCA: true,
      keyUsage: KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign | KeyUsageFlags.digitalSignature,
    },
    { subject, publicKey: spki, key: privateKey },
  );
  return { certDer, key: privateKey };
}

/** The CA given by files, else the one in dataDir, else a new one saved there (key 0600). */
export function loadOrCreateCA(dataDir: string, opts: CAFiles = {}): CA {
  if (opts.certFile || opts.keyFile) {
    if (!opts.certFile || !opts.keyFile) throw new Error('an imported CA needs both its certificate and its key');
    return new CA(readCertificates(opts.certFile)[0], readPrivateKey(opts.keyFile, opts.keyPassphrase));
  }
  const certFile = join(dataDir, CA_CERT_FILE);
  const keyFile = join(dataDir, CA_KEY_FILE);
  if (existsSync(certFile) && existsSync(keyFile)) return new CA(readCertificates(certFile)[0], readPrivateKey(keyFile));
  const { certDer, key } = createCA(opts.commonName ?? 'Updraft Device CA');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  writeSecret(keyFile, keyPem(key));
  writeSecret(certFile, certPem(certDer));
  return new CA(certDer, key);
}

/** Certificates trusted for device identities: our CA plus every certificate in the extra CA files. */
export function loadTrustAnchors(ca: CA, extraFiles: readonly string[] = []): X509Certificate[] {
  const extra = extraFiles.flatMap((f) => readCertificates(f)).map((der) => new X509Certificate(der));
  return [ca.x509, ...extra.filter((c) => !c.raw.equals(ca.certDer))];
}
