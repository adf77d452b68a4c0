// The push certificate service behind /v1/pushcert: import a certificate (with its key, or matched to
// the pending push key or the current certificate's key), keep the topic across renewals, make the
// push key and CSR, and open mdmcert.download's reply. The HTTP routes only parse and answer.
import { createPrivateKey, createPublicKey, type KeyObject, type X509Certificate } from 'node:crypto';
import type { PushStore, SettingStore } from '../storage/types.js';
import { pushCertificateFor, PushCertError, readPushPem, x509, type PushCertificate } from './cert.js';
import { openReply, type OpenedReply } from './mdmcert-download.js';
import { dataDirPendingStore, keyId, makeRequest, settingsPendingStore, type MadeRequest, type PendingRequest, type PendingStore, type RequestOptions } from './pending.js';
import { APPLE_ID_RULE, PORTAL } from './portal-facts.js';
import { requestSpki } from './portal-request.js';
import type { Pusher } from './types.js';

/** The new certificate's topic differs from the current one's (HTTP 409). */
export class TopicConflict extends PushCertError {}
/** Nothing is pending to act on (HTTP 404). */
export class NoPendingRequest extends PushCertError {}

export interface PushUpload {
  body: Buffer;
  contentType?: string;
  password?: string;
}

export interface ImportResult {
  cert: PushCertificate;
  /** Where the key came from: the upload, the pending push key, or the current certificate. */
  key: 'given' | 'pending' | 'current';
}

export interface PendingState {
  pending: PendingRequest;
  where: PendingStore['where'];
  keySha256: string;
}

const P12_TYPES = /^application\/(x-pkcs12|pkcs12|octet-stream)\b/i;

/** The certificates and key of an upload: PEM (key optional), a DER certificate alone, or a .p12. */
async function readUpload(u: PushUpload, now: Date): Promise<{ certs: X509Certificate[]; key: KeyObject | null } | PushCertificate> {
  if (u.body.length === 0) throw new PushCertError('empty body: send the PEM certificate (and its private key), or a .p12 file');
  const pem = u.body.includes('-----BEGIN');
  if (!pem && u.body[0] === 0x30 && !(u.contentType && P12_TYPES.test(u.contentType))) {
    try {
      return { certs: [x509(u.body)], key: null };
    } catch {
      // not a bare DER certificate: a .p12
    }
  }
  if (!pem && (u.body[0] === 0x30 || (u.contentType && P12_TYPES.test(u.contentType)))) return (await import('./p12-cert.js')).parsePushCertP12(u.body, u.password ?? '', now);
  return readPushPem(u.body.toString('utf8'));
}

/** Opens an mdmcert.download reply for the pending request and checks it is for the pending key. */
export function openReplyFor(pending: PendingRequest | null, file: Buffer): OpenedReply {
  if (!pending?.exchange) throw new NoPendingRequest('no mdmcert.download request is pending here: start with `updraft pushcert mdmcert-download --email ADDRESS`');
  const opened = openReply(file, pending.exchange);
  const ours = createPublicKey(pending.keyPem).export({ format: 'der', type: 'spki' });
  if (!ours.equals(requestSpki(opened.request))) {
    throw new PushCertError('this mdmcert.download reply is for another request: its CSR carries another key than the pending push key');
  }
  return opened;
}

export interface PushCertServiceDeps {
  store: PushStore & SettingStore;
  /** The server's data dir, where `--local` keeps a pending key (null or '' for none). */
  dataDir?: string | null;
  pusher?: Pick<Pusher, 'reload'>;
  now?: () => Date;
}

export class PushCertService {
  private readonly stores: PendingStore[];
  private readonly now: () => Date;

  constructor(private readonly deps: PushCertServiceDeps) {
    this.stores = [settingsPendingStore(deps.store), ...(deps.dataDir ? [dataDirPendingStore(deps.dataDir)] : [])];
    this.now = deps.now ?? (() => new Date());
  }

  /** The pending push key, from the database first, else the data dir. */
  async pendingState(): Promise<PendingState | null> {
    for (const store of this.stores) {
      const pending = await store.load();
      if (pending) return { pending, where: store.where, keySha256: keyId(pending.keyPem) };
    }
    return null;
  }

  /** Makes the push key (kept in the database) or keeps the pending one, and a CSR for it. */
  request(opts: RequestOptions): Promise<MadeRequest> {
    return makeRequest(this.stores[0]!, { ...opts, now: this.now() });
  }

  async decrypt(file: Buffer): Promise<OpenedReply> {
    return openReplyFor((await this.pendingState())?.pending ?? null, file);
  }

  /** Imports a certificate; refuses (storing nothing) a bad file, a key that matches nothing, a new topic unless forced. */
  async importCert(upload: PushUpload, force: boolean): Promise<ImportResult> {
    const now = this.now();
    const read = await readUpload(upload, now);
    let result: ImportResult;
    let matched: PendingStore | null = null;
    if ('topic' in read) result = { cert: read, key: 'given' };
    else if (read.key) result = { cert: pushCertificateFor(read.certs, read.key, now), key: 'given' };
    else {
      const found = await this.matchKey(read.certs, now);
      result = found.result;
      matched = found.store;
    }
    const current = await this.deps.store.getPushCert();
    if (current && current.topic !== result.cert.topic && !force) {
      throw new TopicConflict(
        `the new certificate's topic ${result.cert.topic} differs from the current ${current.topic}: ${APPLE_ID_RULE}. ` +
          `Renew the current certificate at ${PORTAL.url} with the Apple ID that created it, or force (?force=1, --force) to replace it anyway`,
      );
    }
    const { cert } = result;
    await this.deps.store.savePushCert({ topic: cert.topic, certPem: cert.certPem, keyPem: cert.keyPem, notAfter: cert.notAfter }, now);
    if (matched) await matched.clear();
    await this.deps.pusher?.reload?.();
    return result;
  }

  /** A certificate uploaded without its key: the pending push key's, else the current certificate's. */
  private async matchKey(certs: X509Certificate[], now: Date): Promise<{ result: ImportResult; store: PendingStore | null }> {
    const tried: string[] = [];
    for (const store of this.stores) {
      const pending = await store.load();
      if (!pending) continue;
      const key = createPrivateKey(pending.keyPem);
      if (certs.some((c) => c.checkPrivateKey(key))) return { result: { cert: pushCertificateFor(certs, key, now), key: 'pending' }, store };
      tried.push(`the pending push key (made ${pending.createdAt.toISOString()})`);
    }
    const current = await this.deps.store.getPushCert();
    if (current) {
      const key = createPrivateKey(current.keyPem);
      if (certs.some((c) => c.checkPrivateKey(key))) return { result: { cert: pushCertificateFor(certs, key, now), key: 'current' }, store: null };
      tried.push(`the current certificate's key (${current.topic})`);
    }
    if (tried.length === 0) {
      throw new PushCertError('the certificate came without its private key and no push key is waiting here: give the key too (--key), or start with `updraft pushcert request`');
    }
    throw new PushCertError(
      `the certificate is for another key: it matches neither ${tried.join(' nor ')}. ` +
        'Upload the certificate the portal issued for the request Updraft made, or give its key (--key)',
    );
  }
}

/** What `updraft serve` prints while no push certificate is loaded: the next step from where things stand. */
export function pushSetupHint(pending: PendingState | null): string {
  if (!pending) {
    return (
      'Push: no push certificate yet, so devices cannot be woken. Get one with `updraft pushcert request --vendor-cert FILE ...` ' +
      '(with an MDM vendor certificate) or `updraft pushcert mdmcert-download --email ADDRESS` (without one); ' +
      'see docs/push.md, "From zero to a push certificate"'
    );
  }
  const since = pending.pending.createdAt.toISOString();
  const reply = pending.pending.exchange ? 'open the reply mdmcert.download emailed with `updraft pushcert mdmcert-download --decrypt FILE`, then ' : '';
  return (
    `Push: no push certificate yet; push key ${pending.keySha256.slice(0, 16)}… has waited for it since ${since}: ` +
    `${reply}upload the request at ${PORTAL.url} and import the certificate it gives with \`updraft pushcert --cert FILE.pem\``
  );
}
