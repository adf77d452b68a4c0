// Observers: what engines (inventory, OS update campaigns) learn from devices, told after the device's
// request is committed. The core service reports command results and check-ins, the DDM handler
// status reports. An observer's failure is logged and never becomes the device's error.
//
// Observers are awaited (each caught) before the device is answered: the answer waits only for what
// the observers do with this one event (they filter by request type or message type first, so for
// most requests that is nothing), nothing runs unsupervised after a reply, and a test that has its
// answer sees every observer's effect. An observer that queues a command does not push: it passes
// the event's wakes on (EnqueueDeps.wakes), and the request pushes once at its end (service/wake.ts).
import type { Logger } from 'pino';
import type { PlistDict } from '../plist/index.js';
import type { ErrorChainItem, Inventory, MessageType } from '../mdm/types.js';
import type { EnrollmentRecord } from '../storage/types.js';
import type { Wakes } from './types.js';

/** What every event carries: the device request's wakes, where an observer's pushes go (absent: push at once). */
interface Seen {
  wakes?: Wakes;
}

/** A command result the device reported (never an Idle). */
export interface ResultSeen extends Seen {
  enrollmentId: string;
  deviceId: string;
  uuid: string;
  /** The matched queued command's RequestType, else what the device echoed (real devices do not), else null. */
  requestType: string | null;
  /** Whether the result matched a queued command (false: unknown, finished or another enrollment's). */
  matched: boolean;
  status: 'Acknowledged' | 'Error' | 'CommandFormatError' | 'NotNow';
  /** The whole result plist. */
  dict: PlistDict;
  errorChain: ErrorChainItem[] | null;
  at: Date;
}

/** A DDM status report, its items flattened to dotted names as ddm/status.ts produces them. */
export interface StatusSeen extends Seen {
  enrollmentId: string;
  deviceId: string;
  full: boolean;
  items: Array<{ name: string; value: unknown }>;
  at: Date;
}

/** The check-ins observers are told about. */
export type ObservedCheckin = Extract<MessageType, 'Authenticate' | 'TokenUpdate' | 'CheckOut' | 'SetBootstrapToken'>;

export interface CheckinSeen extends Seen {
  enrollmentId: string;
  deviceId: string;
  messageType: ObservedCheckin;
  /** TokenUpdate: the count since the last Authenticate (1 = the enrollment's first). */
  tokenUpdateTally?: number;
  /** TokenUpdate: the enrollment as it left it. */
  enrollment?: EnrollmentRecord;
  /** Authenticate: the inventory it carried. */
  inventory?: Inventory;
  /** SetBootstrapToken: whether a token is now escrowed (false: the device removed it). */
  bootstrapTokenEscrowed?: boolean;
  at: Date;
}

export interface Observer {
  result?(e: ResultSeen): Promise<void>;
  status?(e: StatusSeen): Promise<void>;
  checkin?(e: CheckinSeen): Promise<void>;
}

type Kind = keyof Observer;
type EventOf<K extends Kind> = Parameters<NonNullable<Observer[K]>>[0];

/** Tell every observer that listens for `kind`, in order; each failure is logged and swallowed. */
export async function notifyObservers<K extends Kind>(
  observers: readonly Observer[] | undefined,
  kind: K,
  event: EventOf<K>,
  logger?: Logger,
): Promise<void> {
  if (!observers) return;
  for (const o of observers) {
    const fn = o[kind] as ((e: EventOf<K>) => Promise<void>) | undefined;
    if (!fn) continue;
    try {
      await fn.call(o, event);
    } catch (err) {
      logger?.error({ err, enrollmentId: event.enrollmentId, observe: kind }, 'observer failed');
    }
  }
}
