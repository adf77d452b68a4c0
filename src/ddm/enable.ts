// Turning DDM on as devices enroll: after a device channel's first TokenUpdate, a DeclarativeManagement
// command is queued when the OS supports DDM, so every device reports its software update and OS
// status (through Updraft's status subscription) and receives its assigned sets without an admin step.
// A re-enrolled device is synced again the same way. Never fails the check-in.
import type { Logger } from 'pino';
import { compareVersions } from '../commands/catalog.js';
import type { OsName } from '../commands/types.js';
import type { MdmMiddleware } from '../service/types.js';
import type { Platform, Store } from '../storage/types.js';
import { declarationSpec } from './catalog.js';
import type { DdmAdmin } from './service.js';

/** Where DDM starts: the OS versions of Apple's status-subscriptions configuration. */
const SINCE = declarationSpec('com.apple.configuration.management.status-subscriptions')!.os;

const OS_OF: Record<Platform, OsName> = { macOS: 'macOS', iOS: 'iOS', iPadOS: 'iOS', tvOS: 'tvOS', watchOS: 'watchOS', visionOS: 'visionOS' };

/** Whether an OS runs DDM; unknown platforms or versions are given the benefit of the doubt. */
export function supportsDdm(platform: Platform | null, osVersion: string | null): boolean {
  if (!platform || !osVersion) return true;
  const since = SINCE[OS_OF[platform]]?.introduced;
  return since !== undefined && compareVersions(osVersion, since) >= 0;
}

export function ddmEnableMiddleware(opts: { store: Store; ddm: Pick<DdmAdmin, 'syncExisting'>; logger?: Logger }): MdmMiddleware {
  return (next) => ({
    report: (r, meta) => next.report(r, meta),
    async checkin(msg, meta) {
      const reply = await next.checkin(msg, meta);
      const e = msg.enrollment;
      if (msg.messageType !== 'TokenUpdate' || reply.tokenUpdateTally !== 1 || e.id !== e.deviceId) return reply;
      try {
        const rec = reply.enrollment ?? (await opts.store.getEnrollment(e.id));
        if (rec && supportsDdm(rec.platform, rec.osVersion)) await opts.ddm.syncExisting([e.id], meta.at, meta.wakes);
      } catch (err) {
        opts.logger?.error({ err, enrollmentId: e.id }, 'DeclarativeManagement command not queued');
      }
      return reply;
    },
  });
}
