// The core MDM service: check-ins and command reports over the Store.
import { buildPlist, toJSONSafe } from '../plist/index.js';
import type {
  CheckinMessage, CommandReport, DeclarativeManagementMessage, UserAuthenticateMessage,
} from '../mdm/types.js';
import type { Logger } from 'pino';
import type { Store } from '../storage/types.js';
import { rawCheckinText } from './raw-checkin.js';
import { notifyObservers, type CheckinSeen, type ObservedCheckin, type Observer } from './observers.js';
import { ServiceError, type CheckinReply, type MdmService, type RequestMeta } from './types.js';

export type DeclarativeHandler = (msg: DeclarativeManagementMessage, meta: RequestMeta) => Promise<CheckinReply>;

export interface CoreOptions {
  store: Store;
  /** The push topic check-ins must carry (a function when it can change at run time); null: not checked. */
  pushTopic?: string | null | (() => string | null);
  /** Answers DeclarativeManagement check-ins; without one they get a 400 "not supported". */
  declarative?: DeclarativeHandler;
  /**
   * UserAuthenticate policy. 'allow' (default) answers the first round with an empty DigestChallenge,
   * which tells macOS to create the user channel without a digest round; 'decline' answers 410,
   * which leaves the user unmanaged (NanoMDM's default).
   */
  userAuthenticate?: 'allow' | 'decline';
  /** Idle polls refresh lastSeenAt at most this often per enrollment (ms); default 60 s. */
  touchIntervalMs?: number;
  /** Told of every command result and of Authenticate, TokenUpdate, CheckOut and SetBootstrapToken, once committed. */
  observers?: readonly Observer[];
  /** Where observer failures are logged. */
  logger?: Logger;
}

const PLIST = 'application/xml; charset=utf-8';
const TOUCH_CACHE_MAX = 100_000;

export function createCoreService(opts: CoreOptions): MdmService {
  const { store, pushTopic = null } = opts;
  const topicOf = typeof pushTopic === 'function' ? pushTopic : () => pushTopic;
  const touchInterval = opts.touchIntervalMs ?? 60_000;
  const lastTouch = new Map<string, number>();

  function checkTopic(topic: string | null): void {
    const want = topicOf();
    if (want !== null && topic !== null && topic !== want) {
      throw new ServiceError(403, `Topic ${JSON.stringify(topic)} does not match the push topic ${JSON.stringify(want)}`);
    }
  }

  /** Whether lastSeenAt is due a refresh: at most once per touchInterval per enrollment (keeps most polls from writing it). */
  function due(id: string, at: Date): boolean {
    const now = at.getTime();
    const last = lastTouch.get(id);
    if (last !== undefined && now - last < touchInterval) return false;
    if (lastTouch.size >= TOUCH_CACHE_MAX) lastTouch.clear();
    lastTouch.set(id, now);
    return true;
  }

  /** A check-in's event; its detail also keeps the plist, secrets redacted, for the dashboard. */
  function eventOf(msg: CheckinMessage, meta: RequestMeta, detail?: object) {
    const raw_plist = rawCheckinText(msg.dict, meta.raw.length);
    return { enrollmentId: msg.enrollment.id, kind: `checkin.${msg.messageType}`, detail: { ...detail, raw_plist }, at: meta.at };
  }

  /** Records a check-in event. */
  function event(msg: CheckinMessage, meta: RequestMeta, detail?: object): Promise<void> {
    return store.addEvent(eventOf(msg, meta, detail));
  }

  function observe(msg: CheckinMessage & { messageType: ObservedCheckin }, meta: RequestMeta, extra: Partial<CheckinSeen> = {}): Promise<void> {
    const e: CheckinSeen = { enrollmentId: msg.enrollment.id, deviceId: msg.enrollment.deviceId, messageType: msg.messageType, at: meta.at, wakes: meta.wakes, ...extra };
    return notifyObservers(opts.observers, 'checkin', e, opts.logger);
  }

  function userAuthenticate(msg: UserAuthenticateMessage): CheckinReply {
    if (opts.userAuthenticate === 'decline') {
      throw new ServiceError(410, 'UserAuthenticate declined: user channels are not managed');
    }
    // Second round (a DigestResponse to a challenge we never issued) or first round: both proceed.
    if (msg.digestResponse !== null) return {};
    return { body: buildPlist({ DigestChallenge: '' }), contentType: PLIST };
  }

  async function checkin(msg: CheckinMessage, meta: RequestMeta): Promise<CheckinReply> {
    const e = msg.enrollment;
    const at = meta.at;
    const base = { id: e.id, type: e.type, deviceId: e.deviceId, udid: e.udid, userId: e.userId, userShortName: e.userShortName, userLongName: e.userLongName, certHash: meta.certHash, at };
    switch (msg.messageType) {
      case 'Authenticate': {
        checkTopic(msg.topic);
        lastTouch.delete(e.id);
        // its event written with it (the same statement on PostgreSQL), and the ADE bind when the ADE step asks
        const adeBindWindowMs = meta.adeBindWindowMs;
        const outcome = await store.authenticate({ ...base, topic: msg.topic, inventory: msg.inventory, event: eventOf(msg, meta, msg.inventory), adeBindWindowMs });
        await observe(msg, meta, { inventory: msg.inventory });
        return {
          // the store bound the certificate with the reset: the identity middleware need not write it again
          ...(e.id === e.deviceId && meta.certHash ? { boundCertHash: meta.certHash } : {}),
          ...(adeBindWindowMs === undefined ? {} : { adeBound: outcome }),
        };
      }
      case 'TokenUpdate': {
        checkTopic(msg.topic);
        // The enrollment as the TokenUpdate left it goes along to the observers and middleware: the
        // first TokenUpdate's follow-ups (inventory queries, DDM) need not read it again.
        const { adeActive, ...enrollment } = await store.tokenUpdate({
          ...base,
          topic: msg.topic,
          pushToken: msg.token.toString('hex'),
          pushMagic: msg.pushMagic,
          unlockToken: msg.unlockToken,
          awaitingConfiguration: msg.awaitingConfiguration,
          // its event ({ tokenUpdateTally, raw_plist }) written with it (the same statement on PostgreSQL)
          event: { kind: `checkin.${msg.messageType}`, detail: eventOf(msg, meta).detail },
        });
        const tally = enrollment.tokenUpdateTally;
        await observe(msg, meta, { tokenUpdateTally: tally, enrollment });
        return { tokenUpdateTally: tally, enrollment, adeActive };
      }
      case 'CheckOut':
        checkTopic(msg.topic);
        await store.checkOut(e.id, at);
        await event(msg, meta);
        await observe(msg, meta);
        return {};
      case 'UserAuthenticate': {
        const reply = userAuthenticate(msg);
        await event(msg, meta);
        return reply;
      }
      case 'SetBootstrapToken':
        await store.setBootstrapToken(e.deviceId, msg.bootstrapToken, at);
        await event(msg, meta, { escrowed: msg.bootstrapToken !== null });
        await observe(msg, meta, { bootstrapTokenEscrowed: msg.bootstrapToken !== null && msg.bootstrapToken.length > 0 });
        return {};
      case 'GetBootstrapToken': {
        const token = await store.getBootstrapToken(e.deviceId);
        await event(msg, meta, { found: token !== null });
        return token ? { body: buildPlist({ BootstrapToken: token }), contentType: PLIST } : {};
      }
      case 'GetToken':
        throw new ServiceError(400, `GetToken: no token service for ${JSON.stringify(msg.tokenServiceType)}`);
      case 'DeclarativeManagement': {
        if (!opts.declarative) throw new ServiceError(400, 'DeclarativeManagement is not supported yet');
        const reply = await opts.declarative(msg, meta);
        await event(msg, meta, { endpoint: msg.endpoint });
        return reply;
      }
    }
  }

  async function report(r: CommandReport, meta: RequestMeta): Promise<Buffer | null> {
    const id = r.enrollment.id;
    const at = meta.at;
    // NotNow'd commands are not handed back in the session that got the NotNow (until the next Idle):
    // the store keeps the session's mark, so this holds whichever server process the device reaches.
    const skipNotNow = r.status === 'NotNow';
    // One transaction: the result, its event, the webhook outbox rows, lastSeenAt and the next command.
    const result =
      r.status !== 'Idle' && r.commandUuid !== null
        ? { uuid: r.commandUuid, status: r.status, requestType: r.requestType, raw: meta.raw, json: toJSONSafe(r.dict) }
        : null;
    const out = await store.reportAndNext({ enrollmentId: id, at, result, skipNotNow, touch: due(id, at), outbox: meta.outbox });
    if (result && r.status !== 'Idle' && opts.observers?.length) {
      await notifyObservers(opts.observers, 'result', {
        enrollmentId: id,
        deviceId: r.enrollment.deviceId,
        uuid: result.uuid,
        requestType: out.requestType ?? (r.requestType || null),
        matched: out.matched === true,
        status: r.status,
        dict: r.dict,
        errorChain: r.errorChain,
        at,
        wakes: meta.wakes,
      }, opts.logger);
    }
    return out.next ? out.next.raw : null;
  }

  return { checkin, report };
}
