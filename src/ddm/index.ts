// Declarative Device Management. createDdm gives the whole feature over one store and pusher:
//   ddm.handler         the DeclarativeManagement check-in handler (createCoreService({ declarative: ddm.handler }))
//   ddm.putDeclaration, deleteDeclaration, putSet, addToSet, removeFromSet, deleteSet, assign, unassign,
//   applySet (engines: a set's exact declarations, assigned, one sync), sync (force a DeclarativeManagement
//   command), enrollmentView, statusItems, statusHistory, and the asset data the server hosts.
//   ddmEnableMiddleware turns DDM on at each device's first TokenUpdate.
// Every instance is stateless beyond the store, so several (API, service, engines) may coexist.
import type { Logger } from 'pino';
import type { Pusher } from '../push/types.js';
import type { Store } from '../storage/types.js';
import type { DeclarativeHandler } from '../service/core.js';
import { createAssetData } from './assets.js';
import { createDeclarativeHandler } from './protocol.js';
import { createDdmAdmin, type DdmAdmin } from './service.js';
import type { Observer } from '../service/observers.js';

export interface DdmOptions {
  store: Store;
  pusher: Pusher;
  logger?: Logger;
  /** Write ddm.Status and ddm.DeclarationError webhook events to the outbox (set when a webhook URL is configured). */
  webhooks?: boolean;
  /** Told of every status report once it is stored (as StatusSeen, items by dotted name). */
  observers?: readonly Observer[];
}

export type Ddm = DdmAdmin & ReturnType<typeof createAssetData> & { handler: DeclarativeHandler };

export function createDdm(opts: DdmOptions): Ddm {
  return {
    ...createDdmAdmin({ store: opts.store, pusher: opts.pusher }),
    ...createAssetData(opts.store),
    handler: createDeclarativeHandler({
      store: opts.store, pusher: opts.pusher, webhooks: opts.webhooks, logger: opts.logger, observers: opts.observers,
    }),
  };
}

export { ddmEnableMiddleware, supportsDdm } from './enable.js';
export { DdmError, type PutDeclarationResult, type EnrollmentDeclaration } from './service.js';
export { checkDeclaration, declarationSpec, listDeclarationTypes, statusItemSpec, RESERVED_PREFIX } from './catalog.js';
export { BUILTIN_DECLARATIONS, SUBSCRIBED_STATUS, STATUS_SUBSCRIPTIONS_ID, STATUS_ACTIVATION_ID } from './builtin.js';
export { parseStatusReport, flattenStatusItems, StatusReportError, type StatusReport } from './status.js';
export { serverToken, declarationsToken, canonicalJson } from './tokens.js';
export { declarativeManagementCommand, type SyncTokens, type SyncResult } from './sync.js';
export type { Declaration, DeclarationKind, DeclarationSpec, StatusItemSpec } from './types.js';
