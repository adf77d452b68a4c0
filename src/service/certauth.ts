// Certificate binding: the identity certificate a device enrolled with is the only one its
// channels may use afterwards (PROTOCOL.md §1.4). Bindings are per device: user channels share
// the device's identity, so every channel of a device is checked against the device channel's hash.
//
// Rules (meta.certHash is the verified certificate's SHA-256):
// - Authenticate (device channel) binds the certificate, replacing any earlier one. This is how a
//   renewal arrives: a re-installed enrollment profile brings a new identity and a new Authenticate,
//   which resets the enrollment anyway. Refused if the certificate is bound to another device.
// - TokenUpdate of a device with no binding yet binds it (same reuse check).
// - Every other message, and a TokenUpdate of a bound device, must present the bound certificate,
//   else 400 "certificate does not match enrollment" (never 401) and nothing reaches the store.
// - A device moved in through /migration (bind_pending, see service/migration.ts) has no binding yet:
//   the first verified identity it presents on any message is bound, as NanoMDM's -retro does, and
//   enforced from then on like any other.
// - Optional mode (--insecure-skip-identity) never refuses: mismatches are logged, verified
//   certificates still bind on Authenticate and bind unbound devices on any message, so a migrated
//   fleet gets bound while the opt-out is on and can be enforced once it is turned off.
//
// A small cache (device id → bound hash, with a TTL) avoids a store read per request. It is only
// trusted to accept: whenever it disagrees with the request, the store is read before refusing,
// so several server processes sharing one database stay correct.
import type { Logger } from 'pino';
import type { EnrollmentStore } from '../storage/types.js';
import type { Enrollment } from '../mdm/types.js';
import { ServiceError, type MdmMiddleware, type MdmService, type RequestMeta } from './types.js';

export interface CertAuthOptions {
  store: Pick<EnrollmentStore, 'certBinding' | 'setCertHash' | 'bindPending'>;
  optional?: boolean;
  logger?: Pick<Logger, 'warn' | 'info'>;
  cacheSize?: number;
  /** How long a cached binding is trusted without re-reading the store (ms). */
  cacheTtlMs?: number;
}

type Kind = 'Authenticate' | 'TokenUpdate' | 'other';

export function certAuth(opts: CertAuthOptions): MdmMiddleware {
  const { store, optional = false, logger } = opts;
  const max = opts.cacheSize ?? 50_000;
  const ttl = opts.cacheTtlMs ?? 60_000;
  const cache = new Map<string, { hash: string; until: number }>();

  function remember(deviceId: string, hash: string, now: number): void {
    cache.delete(deviceId);
    if (cache.size >= max) cache.delete(cache.keys().next().value!);
    cache.set(deviceId, { hash, until: now + ttl });
  }

  type Decision = { bind: string | null; meta: RequestMeta };

  /** Refuses, or in optional mode lets the request through without a certificate to store. */
  function refuse(reason: string, e: Enrollment, meta: RequestMeta): Decision {
    if (!optional) throw new ServiceError(400, reason);
    logger?.warn({ enrollment: e.id, certHash: meta.certHash }, `identity not enforced (--insecure-skip-identity): ${reason}`);
    return { bind: null, meta: { ...meta, certHash: null } };
  }

  /** Whether the request may proceed, and the certificate to bind to the device once it has. */
  async function authorize(e: Enrollment, kind: Kind, meta: RequestMeta): Promise<Decision> {
    const hash = meta.certHash;
    if (hash === null) {
      if (optional) return { bind: null, meta }; // the resolver already logged why
      throw new ServiceError(400, 'no verified device identity');
    }
    const deviceId = e.deviceId;
    const now = meta.at.getTime();
    const isAuthenticate = kind === 'Authenticate' && e.id === deviceId;
    // Authenticate always re-binds: the store's reset of the enrollment may clear the old binding.
    const ok: Decision = { bind: isAuthenticate ? hash : null, meta };
    const cached = cache.get(deviceId);
    if (cached && cached.hash === hash && cached.until > now) return ok;

    // the binding and the certificate's other owners in one read (the owners matter only below)
    const { bound, owners } = await store.certBinding(deviceId, hash);
    if (bound === hash) {
      remember(deviceId, hash, now);
      return ok;
    }
    if (bound !== null && !isAuthenticate) return refuse('certificate does not match enrollment', e, meta);
    if (bound === null && !isAuthenticate && kind !== 'TokenUpdate' && !optional && !(await store.bindPending(deviceId))) {
      return refuse('no certificate is bound to this enrollment: re-enroll the device', e, meta);
    }
    if (owners.some((id) => id !== deviceId && !id.startsWith(`${deviceId}:`))) {
      return refuse('certificate is bound to another enrollment', e, meta);
    }
    return { bind: hash, meta };
  }

  /** `stored`: the hash the service bound itself (a device channel's Authenticate), nothing left to write. */
  async function bind(e: Enrollment, hash: string | null, at: Date, stored?: string): Promise<void> {
    if (hash === null) return;
    if (stored !== hash) await store.setCertHash(e.deviceId, hash, at);
    remember(e.deviceId, hash, at.getTime());
    logger?.info({ enrollment: e.deviceId, certHash: hash }, 'identity certificate bound');
  }

  return (next: MdmService): MdmService => ({
    async checkin(msg, meta) {
      const t = msg.messageType;
      const d = await authorize(msg.enrollment, t === 'Authenticate' || t === 'TokenUpdate' ? t : 'other', meta);
      const reply = await next.checkin(msg, d.meta);
      await bind(msg.enrollment, d.bind, meta.at, reply.boundCertHash);
      return reply;
    },
    async report(report, meta) {
      const d = await authorize(report.enrollment, 'other', meta);
      const command = await next.report(report, d.meta);
      await bind(report.enrollment, d.bind, meta.at);
      return command;
    },
  });
}
