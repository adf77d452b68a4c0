// ADE at check-in. Authenticate: a device that fetched its profile through the ADE URL just before is
// recorded as enrolled through ADE (its inventory says so at once: EnrolledViaDEP and supervision,
// until SecurityInfo confirms), and a device that enrolled another way is not (the store binds the
// record with the Authenticate, RequestMeta.adeBindWindowMs). First TokenUpdate of an
// ADE enrollment: the admin's initial commands are queued once, then DeviceConfigured when the device
// awaits configuration (Setup Assistant goes on when it gets it). Never fails the check-in.
import type { Logger } from 'pino';
import type { Pusher } from '../push/types.js';
import { enqueueCommand } from '../service/enqueue.js';
import type { MdmMiddleware } from '../service/types.js';
import type { InventoryStore, Store } from '../storage/types.js';
import { configurationCommands, effectiveAdeSettings } from './ade-settings.js';

/** How long after the profile fetch the Authenticate still counts as the ADE enrollment. */
export const ADE_BIND_WINDOW_MS = 24 * 3600_000;

export interface AdeMiddlewareOptions {
  store: Store;
  /** Where inventory writes go (the posture-recomputing store in the server). */
  inventory?: Pick<InventoryStore, 'upsertInventory'>;
  pusher: Pusher;
  logger?: Logger;
}

export function adeMiddleware(opts: AdeMiddlewareOptions): MdmMiddleware {
  const { store, logger } = opts;
  const inventory = opts.inventory ?? store;
  return (next) => ({
    report: (r, meta) => next.report(r, meta),
    async checkin(msg, meta) {
      const e = msg.enrollment;
      const udid = e.id === e.deviceId ? e.udid : null;
      // A device channel's Authenticate binds the ADE record with the enrollment (the store's, in the
      // Authenticate's transaction on SQLite): the core answers with what it bound.
      const bind = udid && msg.messageType === 'Authenticate';
      const reply = await next.checkin(msg, bind ? { ...meta, adeBindWindowMs: ADE_BIND_WINDOW_MS } : meta);
      if (!udid) return reply;
      try {
        if (msg.messageType === 'Authenticate') {
          const bound = reply.adeBound;
          if (bound && 'adeError' in bound) throw bound.adeError;
          const rec = bound?.ade;
          if (rec) {
            await inventory.upsertInventory(e.id, { enrolledViaDep: true, isSupervised: rec.supervised }, meta.at);
            logger?.info({ enrollmentId: e.id, serial: rec.serial, depName: rec.depName }, 'enrolled through ADE');
          }
        } else if (msg.messageType === 'TokenUpdate' && reply.tokenUpdateTally === 1 && reply.adeActive !== false) {
          // (the core read adeActive with the TokenUpdate: no look-up for a device not enrolled through ADE)
          const rec = await store.getAdeEnrollment(udid);
          if (rec?.active && (await store.claimAdeConfiguration(udid, meta.at))) {
            const settings = await effectiveAdeSettings(store, rec.depName);
            const commands = configurationCommands(settings);
            if (!(msg.awaitingConfiguration && rec.awaitConfiguration)) commands.pop(); // DeviceConfigured only for a waiting device
            // each push goes to the request's wakes: the device is pushed once, after the TokenUpdate's follow-ups
            for (const c of commands) {
              await enqueueCommand({ store, pusher: opts.pusher, wakes: meta.wakes }, { uuid: c.uuid, requestType: c.requestType, xml: c.xml, ids: [e.id], at: meta.at });
            }
            if (commands.length) logger?.info({ enrollmentId: e.id, commands: commands.map((c) => c.requestType) }, 'ADE: Await Configuration commands queued');
          }
        }
      } catch (err) {
        logger?.error({ err, enrollmentId: e.id }, 'ADE check-in step failed');
      }
      return reply;
    },
  });
}
