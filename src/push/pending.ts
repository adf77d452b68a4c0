// The pending push key: made with the CSR, kept until the portal's certificate for it is imported.
// A running server keeps it in its settings table (every process sees it); `--local` keeps it in the
// data dir as PEM files, 0600, like the CA key (neither is encrypted at rest, as ca.key is not).
// For mdmcert.download it also holds the exchange identity the service encrypts its reply to.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { buildCertificate, simpleName } from '../pki/certificate.js';
import { spkiOf } from '../pki/ca.js';
import { asn1X509 } from '../pki/peculiar.js';
import { buildCsr, type NameAttribute } from '../pki/csr.js';
import { certPem, keyPem, writeSecret } from '../pki/pem.js';
import type { SettingStore } from '../storage/types.js';
import { PushCertError } from './cert.js';

export interface PendingRequest {
  /** The push private key, PKCS#8 PEM. */
  keyPem: string;
  createdAt: Date;
  email: string | null;
  /** The self-signed identity mdmcert.download encrypts its reply to (null when not asked for). */
  exchange: { certPem: string; keyPem: string } | null;
}

export interface PendingStore {
  /** "database" (the server's settings) or "data_dir" (files beside ca.key). */
  readonly where: 'database' | 'data_dir';
  load(): Promise<PendingRequest | null>;
  save(p: PendingRequest): Promise<void>;
  clear(): Promise<void>;
}

export const PENDING_SETTING = 'pushcert.pending';
export const PENDING_KEY_FILE = 'push-request.key';
export const EXCHANGE_KEY_FILE = 'mdmcert-download.key';
export const EXCHANGE_CERT_FILE = 'mdmcert-download.pem';

/** In the server's settings as JSON; an empty value means none (the settings store has no delete). */
export function settingsPendingStore(store: SettingStore): PendingStore {
  return {
    where: 'database',
    async load() {
      const text = await store.getSetting(PENDING_SETTING);
      if (!text) return null;
      const j = JSON.parse(text) as { key_pem: string; created_at: string; email: string | null; exchange: PendingRequest['exchange'] };
      return { keyPem: j.key_pem, createdAt: new Date(j.created_at), email: j.email, exchange: j.exchange };
    },
    async save(p) {
      const j = { key_pem: p.keyPem, created_at: p.createdAt.toISOString(), email: p.email, exchange: p.exchange };
      await store.setSetting(PENDING_SETTING, JSON.stringify(j));
    },
    async clear() {
      await store.setSetting(PENDING_SETTING, '');
    },
  };
}

/** In the data dir: push-request.key, and mdmcert-download.key/.pem for the exchange identity. */
export function dataDirPendingStore(dataDir: string): PendingStore {
  const file = (name: string) => join(dataDir, name);
  return {
    where: 'data_dir',
    async load() {
      if (!existsSync(file(PENDING_KEY_FILE))) return null;
      const exchange = existsSync(file(EXCHANGE_KEY_FILE)) && existsSync(file(EXCHANGE_CERT_FILE))
        ? { keyPem: readFileSync(file(EXCHANGE_KEY_FILE), 'utf8'), certPem: readFileSync(file(EXCHANGE_CERT_FILE), 'utf8') }
        : null;
      return { keyPem: readFileSync(file(PENDING_KEY_FILE), 'utf8'), createdAt: statSync(file(PENDING_KEY_FILE)).mtime, email: null, exchange };
    },
    async save(p) {
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      const same = existsSync(file(PENDING_KEY_FILE)) && readFileSync(file(PENDING_KEY_FILE), 'utf8') === p.keyPem;
      if (!same) writeSecret(file(PENDING_KEY_FILE), p.keyPem); // kept as is: its time is the key's age
      if (p.exchange) {
        writeSecret(file(EXCHANGE_KEY_FILE), p.exchange.keyPem);
        writeSecret(file(EXCHANGE_CERT_FILE), p.exchange.certPem);
      } else {
        for (const f of [EXCHANGE_KEY_FILE, EXCHANGE_CERT_FILE]) rmSync(file(f), { force: true });
      }
    },
    async clear() {
      for (const f of [PENDING_KEY_FILE, EXCHANGE_KEY_FILE, EXCHANGE_CERT_FILE]) rmSync(file(f), { force: true });
    },
  };
}

/** SHA-256 of the key's SubjectPublicKeyInfo, hex: how a pending key is named to people. */
export function keyId(key: KeyObject | string): string {
  const pub = createPublicKey(key);
  return createHash('sha256').update(pub.export({ format: 'der', type: 'spki' })).digest('hex');
}

export interface RequestOptions {
  email?: string | null;
  commonName?: string | null;
  country?: string | null;
  /** Make a new key even when one is pending (the previous one's certificate can then no longer be imported). */
  newKey?: boolean;
  /** Also make (or keep) the exchange identity for mdmcert.download. */
  exchange?: boolean;
  now?: Date;
}

export interface MadeRequest {
  pending: PendingRequest;
  csr: Buffer;
  /** True when the pending key was kept (a CSR made again for it). */
  reused: boolean;
}

export const DEFAULT_COMMON_NAME = 'Updraft MDM push';
const EXCHANGE_DAYS = 365;

function exchangeIdentity(now: Date): { certPem: string; keyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const subject = simpleName([['2.5.4.3', 'Updraft mdmcert.download exchange']]);
  const spki = spkiOf(publicKey);
  const der = buildCertificate(
    { subject, publicKey: spki, notBefore: new Date(now.getTime() - 600_000), notAfter: new Date(now.getTime() + EXCHANGE_DAYS * 86_400_000), isCA: false, keyUsage: asn1X509().KeyUsageFlags.keyEncipherment },
    { subject, publicKey: spki, key: privateKey },
  );
  return { certPem: certPem(der), keyPem: keyPem(privateKey) };
}

function subjectOf(opts: RequestOptions): Array<[NameAttribute, string]> {
  const subject: Array<[NameAttribute, string]> = [];
  const country = opts.country?.trim().toUpperCase();
  if (country) {
    if (!/^[A-Z]{2}$/.test(country)) throw new PushCertError(`country must be a two-letter code such as US, got ${JSON.stringify(opts.country)}`);
    subject.push(['C', country]);
  }
  const cn = opts.commonName?.trim() || DEFAULT_COMMON_NAME;
  if (cn.length > 64) throw new PushCertError('common name must be at most 64 characters');
  subject.push(['CN', cn]);
  if (opts.email) subject.push(['emailAddress', opts.email]);
  return subject;
}

export function checkEmail(email: string): void {
  if (!/^[\x21-\x7e]+@[\x21-\x7e]+\.[A-Za-z0-9-]+$/.test(email) || email.split('@').length !== 2) {
    throw new PushCertError(`${JSON.stringify(email)} is not an email address`);
  }
}

/** Makes the push key (or keeps the pending one) and a CSR for it, and saves the pending state. */
export async function makeRequest(store: PendingStore, opts: RequestOptions = {}): Promise<MadeRequest> {
  if (opts.email) checkEmail(opts.email);
  const subject = subjectOf(opts);
  const now = opts.now ?? new Date();
  const current = opts.newKey ? null : await store.load();
  const keyText = current?.keyPem ?? keyPem(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
  const exchange = opts.exchange ? (current?.exchange ?? exchangeIdentity(now)) : (current?.exchange ?? null);
  const pending: PendingRequest = { keyPem: keyText, createdAt: current?.createdAt ?? now, email: opts.email ?? current?.email ?? null, exchange };
  const csr = buildCsr(createPrivateKey(keyText), subject);
  await store.save(pending);
  return { pending, csr, reused: current !== null };
}
