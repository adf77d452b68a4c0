// Device identity for the MDM endpoints: the verifier, its HTTP adapter and the binding middleware,
// wired from the server configuration in one call (setupIdentity).
import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { X509Certificate } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { certAuth, type CertAuthOptions } from '../service/certauth.js';
import { ServiceError, type MdmMiddleware } from '../service/types.js';
import { createIdentityVerifier, type IdentityVerifier } from './verifier.js';
import { DEFAULT_REVOCATION_TTL_MS, revocationList, type RevocationCheck, type RevokedSource } from './revocation.js';

export { createIdentityVerifier } from './verifier.js';
export type { IdentityRequest, IdentityResult, IdentitySource, IdentityVerifier, IdentityVerifierOptions } from './verifier.js';
export { certFromHeader } from './certheader.js';
export { RevocationList, revocationList, noteRevoked, DEFAULT_REVOCATION_TTL_MS, type RevocationCheck } from './revocation.js';

/** What the resolver reads from a fastify request (structural, so this module does not import fastify). */
export interface IdentityHttpRequest {
  body: unknown;
  headers: IncomingHttpHeaders;
  raw: { socket: Socket };
}

export type IdentityResolverFn = (req: IdentityHttpRequest) => Promise<{ certHash: string | null }>;

// getPeerCertificate builds a large object: read each TLS connection's certificate once.
const peerCerts = new WeakMap<Socket, Buffer | null>();

function tlsCertOf(socket: Socket): Buffer | null {
  const tls = socket as Partial<TLSSocket>;
  if (typeof tls.getPeerCertificate !== 'function') return null;
  let der = peerCerts.get(socket);
  if (der === undefined) {
    der = tls.getPeerCertificate(false)?.raw ?? null;
    peerCerts.set(socket, der);
  }
  return der;
}

const REVOKED = 'device certificate is revoked';

/**
 * Adapts the verifier to the MDM routes: a failed identity is a ServiceError 400 with the reason
 * (never 401, which unenrolls devices). In optional mode the skip reason is logged at debug level.
 * A verified certificate that is revoked is refused the same way (in optional mode it is dropped and
 * the request goes on without an identity, as any other failed identity does).
 */
export function identityResolver(
  verifier: IdentityVerifier,
  opts: { logger?: Pick<Logger, 'debug' | 'warn'>; now?: () => Date; revocations?: RevocationCheck; optional?: boolean } = {},
): IdentityResolverFn {
  const now = opts.now ?? (() => new Date());
  const { revocations } = opts;
  return async (req) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const result = verifier.fromRequest({ raw, headers: req.headers, tlsCert: tlsCertOf(req.raw.socket) }, now());
    if (!result.ok) throw new ServiceError(400, result.reason);
    if (result.skipped) opts.logger?.debug({ reason: result.skipped }, 'device identity skipped');
    if (result.certHash !== null && revocations && (await revocations.isRevoked(result.certHash))) {
      if (!opts.optional) throw new ServiceError(400, REVOKED);
      opts.logger?.warn({ certHash: result.certHash }, `identity not enforced (--insecure-skip-identity): ${REVOKED}`);
      return { certHash: null };
    }
    return { certHash: result.certHash };
  };
}

/** The revoked-set TTL from --revocation-refresh (seconds), or the default. */
export function revocationTtlMs(config: Pick<Config, 'revocationRefreshSeconds'>): number {
  const s = config.revocationRefreshSeconds;
  return s === undefined || !Number.isFinite(s) || s < 0 ? DEFAULT_REVOCATION_TTL_MS : s * 1000;
}

export interface IdentitySetup {
  verifier: IdentityVerifier;
  /** For AppDeps.identity. */
  resolver: IdentityResolverFn;
  /** The certificate-binding middleware: put it outermost, before anything that stores or emits. */
  middleware: MdmMiddleware;
}

/** Everything the composition root needs, from the config and the trust anchors (src/pki loadTrustAnchors). */
export function setupIdentity(deps: {
  config: Pick<Config, 'certHeader' | 'identityOptional' | 'revocationRefreshSeconds'>;
  anchors: readonly X509Certificate[];
  /** With revokedCertificateHashes, revoked certificates are refused (the revoked set is re-read every config.revocationRefreshSeconds). */
  store: CertAuthOptions['store'] & Partial<RevokedSource>;
  logger: Logger;
  /** The clock identities are checked against (default: the wall clock). */
  now?: () => Date;
}): IdentitySetup {
  const { config, logger } = deps;
  const optional = config.identityOptional;
  if (optional) {
    logger.warn(
      '*** --insecure-skip-identity is ON: MDM requests are accepted without a verified device identity and ' +
        'any client can impersonate any device. Use it only while migrating a fleet, then turn it off. ***',
    );
  }
  if (config.certHeader) logger.info({ header: config.certHeader }, 'trusting the client certificate forwarded by the TLS proxy in this header');
  const verifier = createIdentityVerifier({ anchors: deps.anchors, certHeader: config.certHeader, optional });
  const { store } = deps;
  const revocations = store.revokedCertificateHashes ? revocationList(store as RevokedSource, revocationTtlMs(config)) : undefined;
  return {
    verifier,
    resolver: identityResolver(verifier, { logger, now: deps.now, revocations, optional }),
    middleware: certAuth({ store: deps.store, optional, logger }),
  };
}
