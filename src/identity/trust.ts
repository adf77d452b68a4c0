// Does a device certificate chain to a trusted CA? The verdict depends only on the certificate and
// the configured anchors, so it is cached per certificate (SHA-256 fingerprint) in a bounded LRU.
// Validity is not part of the cached verdict: the window is cached and checked on every call.
//
// Every configured certificate is a trust anchor (like OpenSSL's -partial_chain and Go's root pool):
// the device certificate must be issued, directly, by one of them. Configure the CA that issues
// the identities (an intermediate is fine); its own issuers need not be present.
//
// A device's first request after a restart pays for this check, so it is done on the DER itself
// (issuer name bytes equal to an anchor's subject, the anchor's signature over the TBSCertificate
// verified with node:crypto, the key read from its PKCS#1 form): ~0.1 ms instead of ~0.45 ms for an
// X509Certificate and its key. Any certificate this path does not accept (another signature algorithm,
// a name encoded differently, a time form RFC 5280 does not allow) gets OpenSSL's verdict instead.
import { verify, X509Certificate, type KeyObject } from 'node:crypto';
import { SIGNATURE_ALGORITHMS, type KeyKind } from '../pki/oids.js';
import { certPartsOrNull, type CertParts } from '../pki/x509-der.js';
import { publicKeyFromSpki } from '../pki/spki.js';

export type TrustVerdict =
  | { trusted: true; key: KeyObject; keyKind: KeyKind | null; notBefore: number; notAfter: number }
  | { trusted: false; reason: string };

/**
 * Each entry keeps the certificate's public key (~2–3 KB of native memory for RSA): 10,000 entries is
 * ~30 MB. A device's session (Idle, results…) hits the cache even when the fleet is much larger.
 */
export const DEFAULT_TRUST_CACHE_SIZE = 10_000;

interface Anchor {
  subject: Buffer;
  key: KeyObject;
  notBefore: number;
  notAfter: number;
}

export class TrustCache {
  readonly #anchors: readonly X509Certificate[];
  readonly #fast: readonly Anchor[];
  readonly #max: number;
  readonly #verdicts = new Map<string, TrustVerdict>();

  constructor(anchors: readonly X509Certificate[], max = DEFAULT_TRUST_CACHE_SIZE) {
    this.#anchors = anchors;
    this.#fast = anchors.flatMap((a) => {
      const p = certPartsOrNull(a.raw);
      // a.ca: basicConstraints CA and, when there is a keyUsage, keyCertSign (OpenSSL's X509_check_ca);
      // an anchor that is not a CA is left to OpenSSL's check, which says why
      return p && a.ca ? [{ subject: p.subject, key: a.publicKey, notBefore: Date.parse(a.validFrom), notAfter: Date.parse(a.validTo) }] : [];
    });
    this.#max = max;
  }

  get size(): number {
    return this.#verdicts.size;
  }

  /** The verdict for a certificate; `fingerprint` is its SHA-256 (hex), the cache key. */
  verdict(certDer: Buffer, fingerprint: string): TrustVerdict {
    const hit = this.#verdicts.get(fingerprint);
    if (hit) {
      this.#verdicts.delete(fingerprint); // most recently used goes last
      this.#verdicts.set(fingerprint, hit);
      return hit;
    }
    const verdict = this.#evaluate(certDer);
    if (this.#verdicts.size >= this.#max) this.#verdicts.delete(this.#verdicts.keys().next().value!);
    this.#verdicts.set(fingerprint, verdict);
    return verdict;
  }

  #evaluate(certDer: Buffer): TrustVerdict {
    const parts = certPartsOrNull(certDer);
    return (parts && this.#fastVerdict(parts)) ?? this.#opensslVerdict(certDer);
  }

  /** The verdict from the DER alone when an anchor issued it, else null (OpenSSL decides). */
  #fastVerdict(c: CertParts): TrustVerdict | null {
    const alg = SIGNATURE_ALGORITHMS[c.signatureAlgorithm];
    if (!alg?.hash || Number.isNaN(c.notBefore) || Number.isNaN(c.notAfter)) return null;
    let best: { notBefore: number; notAfter: number } | null = null;
    for (const a of this.#fast) {
      if (!a.subject.equals(c.issuer) || a.key.asymmetricKeyType !== alg.key) continue;
      try {
        if (!verify(alg.hash, c.tbs, a.key, c.signature)) continue;
      } catch {
        continue;
      }
      const notBefore = Math.max(c.notBefore, a.notBefore);
      const notAfter = Math.min(c.notAfter, a.notAfter);
      if (!best || notAfter > best.notAfter) best = { notBefore, notAfter };
    }
    if (!best) return null;
    let key: KeyObject;
    try {
      key = publicKeyFromSpki(c.spki);
    } catch {
      return null;
    }
    const type = key.asymmetricKeyType;
    return { trusted: true, key, keyKind: type === 'rsa' || type === 'ec' ? type : null, ...best };
  }

  #opensslVerdict(certDer: Buffer): TrustVerdict {
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(certDer);
    } catch {
      return { trusted: false, reason: 'malformed device certificate' };
    }
    let best: { notBefore: number; notAfter: number } | null = null;
    for (const anchor of this.#anchors) {
      if (!cert.checkIssued(anchor) || !cert.verify(anchor.publicKey)) continue;
      const notBefore = Math.max(Date.parse(cert.validFrom), Date.parse(anchor.validFrom));
      const notAfter = Math.min(Date.parse(cert.validTo), Date.parse(anchor.validTo));
      if (!best || notAfter > best.notAfter) best = { notBefore, notAfter };
    }
    if (!best) return { trusted: false, reason: `device certificate is not issued by a trusted CA (issuer ${oneLine(cert.issuer)})` };
    const key = cert.publicKey;
    const type = key.asymmetricKeyType;
    return { trusted: true, key, keyKind: type === 'rsa' || type === 'ec' ? type : null, ...best };
  }
}

/** Why a trusted certificate cannot be used at `at`, or null when it is within its validity. */
export function validityProblem(v: { notBefore: number; notAfter: number }, at: Date): string | null {
  const t = at.getTime();
  if (t < v.notBefore) return `device certificate (or its CA) is not valid before ${new Date(v.notBefore).toISOString()}`;
  if (t > v.notAfter) return `device certificate (or its CA) expired at ${new Date(v.notAfter).toISOString()}`;
  return null;
}

function oneLine(dn: string): string {
  return dn.split('\n').join(', ');
}
