// Does a device certificate chain to a trusted CA? The verdict depends only on the certificate and
// the configured anchors, so it is cached per certificate (SHA-256 fingerprint) in a bounded LRU.
// Validity is not part of the cached verdict: the window is cached and checked on every call.
//
// Every configured certificate is a trust anchor (like OpenSSL's -partial_chain and Go's root pool):
// the device certificate must be issued, directly, by one of them. Configure the CA that issues
// the identities (an intermediate is fine); its own issuers need not be present.
import { X509Certificate, type KeyObject } from 'node:crypto';
import type { KeyKind } from '../pki/oids.js';

export type TrustVerdict =
  | { trusted: true; key: KeyObject; keyKind: KeyKind | null; notBefore: number; notAfter: number }
  | { trusted: false; reason: string };

/**
 * Each entry keeps the certificate's public key (~2–3 KB of native memory for RSA): 10,000 entries is
 * ~30 MB. A device's session (Idle, results…) hits the cache even when the fleet is much larger.
 */
export const DEFAULT_TRUST_CACHE_SIZE = 10_000;

export class TrustCache {
  readonly #anchors: readonly X509Certificate[];
  readonly #max: number;
  readonly #verdicts = new Map<string, TrustVerdict>();

  constructor(anchors: readonly X509Certificate[], max = DEFAULT_TRUST_CACHE_SIZE) {
    this.#anchors = anchors;
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
