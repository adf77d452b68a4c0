// The DeclarativeManagement check-in endpoints, exactly as devices speak them:
//   tokens                              → {"SyncTokens": {DeclarationsToken, Timestamp}}
//   declaration-items                   → {"Declarations": {Activations, Configurations, Assets, Management}, DeclarationsToken}
//   declaration/<kind>/<identifier>     → the declaration {Type, Identifier, ServerToken, Payload}
//   status (Data: a StatusReport)       → empty 200
import type { DeclarativeHandler } from '../service/core.js';
import { ServiceError, type CheckinReply, type RequestMeta, type Wakes } from '../service/types.js';
import type { DeclarativeManagementMessage } from '../mdm/types.js';
import type { DdmItemRecord } from '../storage/types.js';
import { builtinDeclaration } from './builtin.js';
import { statusRecords, type DdmEventDeps } from './events.js';
import type { Pusher } from '../push/types.js';
import { notifyObservers, type Observer } from '../service/observers.js';
import { toDeclaration } from './service.js';
import { parseStatusReport, StatusReportError, type StatusReport } from './status.js';
import { currentTokens, syncEnrollments, syncInputs } from './sync.js';
import { DECLARATION_KINDS, type Declaration, type DeclarationKind } from './types.js';

const JSON_TYPE = 'application/json';

/** declaration-items groups, in Apple's key names. */
const GROUP_OF: Record<DeclarationKind, 'Activations' | 'Configurations' | 'Assets' | 'Management'> = {
  activation: 'Activations',
  configuration: 'Configurations',
  asset: 'Assets',
  management: 'Management',
};

const json = (value: unknown): CheckinReply => ({ body: JSON.stringify(value), contentType: JSON_TYPE });

export function createDeclarativeHandler(deps: DdmEventDeps & { pusher: Pusher; observers?: readonly Observer[] }): DeclarativeHandler {
  const { store } = deps;

  async function declaration(path: string, known: DdmItemRecord[]): Promise<CheckinReply> {
    const slash = path.indexOf('/');
    const kind = DECLARATION_KINDS.find((k) => k === path.slice(0, slash));
    const identifier = path.slice(slash + 1);
    if (slash < 0 || !kind || identifier === '') {
      throw new ServiceError(404, `unknown declaration endpoint "declaration/${path}" (expected declaration/<activation|configuration|asset|management>/<identifier>)`);
    }
    const item = known.find((i) => i.identifier === identifier && i.kind === kind);
    if (!item) throw new ServiceError(404, `no ${kind} ${JSON.stringify(identifier)} for this enrollment`);
    let found: Declaration | undefined = builtinDeclaration(identifier)?.declaration;
    if (!found) {
      const r = await store.ddmGetDeclaration(identifier);
      if (!r) throw new ServiceError(404, `no ${kind} ${JSON.stringify(identifier)} for this enrollment`);
      found = toDeclaration(r);
    }
    return json(found);
  }

  /** Identifiers the report names that are neither built in nor stored: another server's, or deleted since. */
  async function unknownDeclarations(report: StatusReport): Promise<Set<string>> {
    const ids = (report.declarations ?? []).map((d) => d.identifier).filter((i) => !builtinDeclaration(i));
    if (ids.length === 0) return new Set();
    const known = await store.ddmKnownIdentifiers(ids);
    return new Set(ids.filter((i) => !known.has(i)));
  }

  /**
   * The device holds declarations Updraft does not know: queue a sync, so that it drops them. Only
   * for ones not already recorded as unknown at that ServerToken (a device that keeps them anyway is
   * not sent a sync per report). Done before the report is stored: should storing fail, the device
   * sends the report again and the sync is queued again (a newer one supersedes the older).
   */
  async function syncForUnknown(id: string, report: StatusReport, unknown: Set<string>, at: Date, wakes: Wakes | undefined): Promise<void> {
    const before = new Map((await store.ddmDeclarationStatus(id)).map((s) => [s.identifier, s]));
    const fresh = report.declarations!.some((d) => {
      const b = before.get(d.identifier);
      return unknown.has(d.identifier) && !(b?.unknown && b.serverToken === d.serverToken);
    });
    if (fresh) await syncEnrollments({ ...deps, wakes }, [id], at, true);
  }

  async function status(msg: DeclarativeManagementMessage, meta: RequestMeta): Promise<CheckinReply> {
    const { at, wakes } = meta;
    const e = msg.enrollment;
    let report;
    try {
      report = parseStatusReport(msg.data);
    } catch (err) {
      if (err instanceof StatusReportError) throw new ServiceError(400, `status report refused: ${err.message}`);
      throw err;
    }
    const unknown = await unknownDeclarations(report);
    if (unknown.size > 0) await syncForUnknown(e.id, report, unknown, at, wakes);
    const declarations = report.declarations?.map((d) => ({ ...d, unknown: unknown.has(d.identifier) })) ?? null;
    await store.ddmApplyStatus({
      enrollmentId: e.id, full: report.full, items: report.items, declarations, at,
      records: (outcome) => statusRecords(deps, e, report, outcome, at, [...unknown]),
    });
    await notifyObservers(deps.observers, 'status', {
      enrollmentId: e.id, deviceId: e.deviceId, full: report.full, items: report.items.map(({ name, value }) => ({ name, value })), at, wakes,
    }, deps.logger);
    return {};
  }

  return async (msg, meta) => {
    const id = msg.enrollment.id;
    const endpoint = msg.endpoint.replace(/^\/+/, '');
    // Whether the enrollment exists, its items and its sync state read together (store.ddmSyncInputs).
    const reads = endpoint === 'tokens' || endpoint === 'declaration-items' || endpoint.startsWith('declaration/');
    const pre = reads ? await syncInputs(store, [id]) : null;
    if (pre ? !pre.known.has(id) : !(await store.getEnrollment(id))) throw new ServiceError(400, `DeclarativeManagement from an unknown enrollment ${JSON.stringify(id)}`);
    switch (endpoint) {
      case 'tokens':
        return json({ SyncTokens: await currentTokens(store, id, pre!.items.get(id)!, meta.at, pre!.states) });
      case 'declaration-items': {
        const list = pre!.items.get(id)!;
        const groups = { Activations: [], Configurations: [], Assets: [], Management: [] } as Record<string, unknown[]>;
        for (const i of list) groups[GROUP_OF[i.kind]]!.push({ Identifier: i.identifier, ServerToken: i.serverToken });
        const tokens = await currentTokens(store, id, list, meta.at, pre!.states);
        return json({ Declarations: groups, DeclarationsToken: tokens.DeclarationsToken });
      }
      case 'status':
        return status(msg, meta);
      default:
        if (endpoint.startsWith('declaration/')) return declaration(endpoint.slice('declaration/'.length), pre!.items.get(id)!);
        throw new ServiceError(404, `unknown DeclarativeManagement endpoint ${JSON.stringify(msg.endpoint)}`);
    }
  };
}
