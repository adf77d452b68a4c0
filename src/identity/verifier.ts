// Device identity on every MDM request, from (in this order) the Mdm-Signature header, a header set
// by a TLS-terminating proxy (only when configured), or the TLS client certificate.
// Fast path: the CMS is walked once without building object trees, the signature is checked with
// node:crypto, and the chain verdict is cached per certificate fingerprint (trust.ts). The signature
// itself is verified on every request, so a cached certificate never vouches for a bad signature.
import { createHash, type X509Certificate } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { certFromHeader } from './certheader.js';
import { CmsError, onlySigner, parseSignedData, signerAlgorithms, verifySigner, type SignerInfo } from '../pki/cms/index.js';
import { TrustCache, validityProblem, type TrustVerdict } from './trust.js';

export type IdentitySource = 'signature' | 'header' | 'tls';

export type IdentityResult =
  | {
      ok: true;
      /** SHA-256 (hex) of the device certificate; null only when identity is optional and none was verified. */
      certHash: string | null;
      certDer: Buffer | null;
      source: IdentitySource | null;
      /** Why no identity was taken (optional mode only). */
      skipped?: string;
    }
  | { ok: false; reason: string };

export interface IdentityRequest {
  /** The exact body bytes. */
  raw: Buffer;
  headers: IncomingHttpHeaders;
  /** DER of the TLS client certificate, when Updraft terminates TLS and the client sent one. */
  tlsCert?: Buffer | null;
}

export interface IdentityVerifierOptions {
  /** CAs whose certificates are device identities (our SCEP CA plus --ca extras). */
  anchors: readonly X509Certificate[];
  /** Header a TLS proxy puts the client certificate in; null/undefined = such headers are ignored. */
  certHeader?: string | null;
  /** --insecure-skip-identity: failures become `ok` with certHash null (and a `skipped` reason). */
  optional?: boolean;
  cacheSize?: number;
}

export interface IdentityVerifier {
  fromRequest(req: IdentityRequest, at: Date): IdentityResult;
  /** Verifies an Mdm-Signature header value (base64 CMS) over `body`. */
  verifySignature(signatureB64: string, body: Buffer, at: Date): IdentityResult;
  /** Verifies a certificate presented by TLS or a proxy (possession already proven by TLS). */
  verifyCertificate(certDer: Buffer, at: Date, source: IdentitySource): IdentityResult;
}

export function createIdentityVerifier(opts: IdentityVerifierOptions): IdentityVerifier {
  const trust = new TrustCache(opts.anchors, opts.cacheSize);
  const headerName = opts.certHeader ? opts.certHeader.toLowerCase() : null;

  function trusted(certDer: Buffer, at: Date): { verdict: TrustVerdict & { trusted: true }; hash: string } | string {
    const hash = createHash('sha256').update(certDer).digest('hex');
    const verdict = trust.verdict(certDer, hash);
    if (!verdict.trusted) return verdict.reason;
    return validityProblem(verdict, at) ?? { verdict, hash };
  }

  function verifySignature(signatureB64: string, body: Buffer, at: Date): IdentityResult {
    let signer: SignerInfo;
    let keyKind: string;
    try {
      signer = onlySigner(parseSignedData(Buffer.from(signatureB64, 'base64')));
      keyKind = signerAlgorithms(signer).keyKind;
      if (!signer.certDer) throw new CmsError('malformed', 'the signer certificate is not in the signature');
    } catch (e) {
      return { ok: false, reason: `malformed Mdm-Signature: ${(e as Error).message}` };
    }
    const t = trusted(signer.certDer, at);
    if (typeof t === 'string') return { ok: false, reason: t };
    if (t.verdict.keyKind !== keyKind) return { ok: false, reason: `Mdm-Signature algorithm needs an ${keyKind.toUpperCase()} key` };
    try {
      verifySigner(signer, body, t.verdict.key);
    } catch (e) {
      if (!(e instanceof CmsError)) throw e;
      if (e.problem === 'malformed') return { ok: false, reason: `malformed Mdm-Signature: ${e.message}` };
      if (/digest/.test(e.message)) return { ok: false, reason: 'Mdm-Signature does not match the body' };
      return { ok: false, reason: 'Mdm-Signature signature is invalid' };
    }
    return { ok: true, certHash: t.hash, certDer: signer.certDer, source: 'signature' };
  }

  function verifyCertificate(certDer: Buffer, at: Date, source: IdentitySource): IdentityResult {
    const t = trusted(certDer, at);
    if (typeof t === 'string') return { ok: false, reason: t };
    return { ok: true, certHash: t.hash, certDer, source };
  }

  function strict(req: IdentityRequest, at: Date): IdentityResult {
    const sig = one(req.headers['mdm-signature']);
    if (sig) return verifySignature(sig, req.raw, at);
    if (headerName) {
      const value = one(req.headers[headerName]);
      if (value) {
        let der: Buffer | null;
        try {
          der = certFromHeader(value);
        } catch (e) {
          return { ok: false, reason: `${opts.certHeader} header: ${(e as Error).message}` };
        }
        if (der) return verifyCertificate(der, at, 'header');
      }
    }
    if (req.tlsCert && req.tlsCert.length > 0) return verifyCertificate(req.tlsCert, at, 'tls');
    return { ok: false, reason: 'no device identity: neither an Mdm-Signature header nor a client certificate' };
  }

  return {
    verifySignature,
    verifyCertificate,
    fromRequest(req, at) {
      const result = strict(req, at);
      if (result.ok || !opts.optional) return result;
      return { ok: true, certHash: null, certDer: null, source: null, skipped: result.reason };
    },
  };
}

function one(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
