// Moving enrollments in from NanoMDM or MicroMDM without touching the devices: NanoMDM's /migration
// takes the stored raw Authenticate, TokenUpdate (and SetBootstrapToken) check-ins of the old server
// and runs them through the service as if the devices had sent them, minus device identity (the
// request comes from the migration tool, not the device) and webhooks (nothing happened on a device).
// Each device moved in this way is marked bind-pending: its first verified identity is bound then
// (certauth.ts), and enforced from there on.
import type { EnrollmentStore } from '../storage/types.js';
import type { MessageType } from '../mdm/types.js';
import { ServiceError, type MdmMiddleware } from './types.js';

/** The check-ins the migration tools send (nano2nano: all three; micro2nano's llorne: the first two). */
export const MIGRATION_MESSAGES: ReadonlySet<MessageType> = new Set<MessageType>(['Authenticate', 'TokenUpdate', 'SetBootstrapToken']);

export function migrationMiddleware(store: Pick<EnrollmentStore, 'markBindPending'>): MdmMiddleware {
  return (next) => ({
    async checkin(msg, meta) {
      if (!MIGRATION_MESSAGES.has(msg.messageType)) {
        throw new ServiceError(400, `migration takes Authenticate, TokenUpdate and SetBootstrapToken check-ins, not ${msg.messageType}`);
      }
      const reply = await next.checkin(msg, { ...meta, certHash: null });
      await store.markBindPending(msg.enrollment.deviceId, meta.at);
      return reply;
    },
    async report() {
      throw new ServiceError(400, 'migration takes check-in messages, not command reports');
    },
  });
}
