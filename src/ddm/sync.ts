// Keeping devices in sync: an enrollment's effective declaration set is Updraft's built-in
// declarations plus those of its assigned sets. After a change, the DeclarationsToken of each affected
// enrollment is recomputed; where it differs from the last one, a DeclarativeManagement command
// carrying the new SyncTokens is queued and the device is pushed. Enrollments that end up with the
// same token share one command, which supersedes any older one the device has not fetched yet.
import { randomUUID } from 'node:crypto';
import { buildPlist } from '../plist/index.js';
import { enqueueCommand, type EnqueueDeps } from '../service/enqueue.js';
import type { DdmItemRecord, DdmSyncState, Store } from '../storage/types.js';
import { BUILTIN_ITEMS } from './builtin.js';
import { declarationsToken, syncTimestamp } from './tokens.js';

export interface SyncTokens {
  DeclarationsToken: string;
  Timestamp: string;
}

/**
 * The enrollments' effective items (built-ins first), their sync states and which of them exist, read
 * together (store.ddmSyncInputs: one statement on PostgreSQL, one read transaction on SQLite).
 */
export async function syncInputs(store: Store, ids: string[]): Promise<{ known: Set<string>; items: Map<string, DdmItemRecord[]>; states: Map<string, DdmSyncState> }> {
  const { known, items, states } = await store.ddmSyncInputs(ids);
  return { known, items: new Map(ids.map((id) => [id, [...BUILTIN_ITEMS, ...(items.get(id) ?? [])]])), states };
}

/**
 * The current SyncTokens of one enrollment, remembering when its token last changed. `states`: the
 * sync states read with the items (syncInputs).
 */
export async function currentTokens(store: Store, id: string, items: DdmItemRecord[], at: Date, states: Map<string, DdmSyncState>): Promise<SyncTokens> {
  const token = declarationsToken(items);
  const state = states.get(id);
  if (state?.declarationsToken === token) return { DeclarationsToken: token, Timestamp: syncTimestamp(state.changedAt) };
  await store.ddmSaveSyncStates([{ enrollmentId: id, declarationsToken: token, changedAt: at }]);
  return { DeclarationsToken: token, Timestamp: syncTimestamp(at) };
}

/** The DeclarativeManagement command: Data is <data> of the JSON {"SyncTokens": {…}}. */
export function declarativeManagementCommand(uuid: string, tokens: SyncTokens): Buffer {
  const data = Buffer.from(JSON.stringify({ SyncTokens: tokens }), 'utf8');
  return Buffer.from(buildPlist({ CommandUUID: uuid, Command: { RequestType: 'DeclarativeManagement', Data: data } }), 'utf8');
}

export interface SyncResult {
  /** Enrollments that were sent a DeclarativeManagement command. */
  notified: string[];
}

/**
 * Recompute the tokens of `ids` and notify those whose token changed (all of them with `force`,
 * which also turns DDM on for enrollments that never used it).
 */
export async function syncEnrollments(deps: EnqueueDeps, enrollmentIds: string[], at: Date, force = false): Promise<SyncResult> {
  const ids = [...new Set(enrollmentIds)];
  if (ids.length === 0) return { notified: [] };
  const { items, states } = await syncInputs(deps.store, ids);
  const changed: DdmSyncState[] = [];
  const byToken = new Map<string, { tokens: SyncTokens; ids: string[] }>();
  for (const id of ids) {
    const token = declarationsToken(items.get(id)!);
    const prev = states.get(id);
    const same = prev?.declarationsToken === token;
    if (same && !force) continue;
    const changedAt = same ? prev.changedAt : at;
    if (!same) changed.push({ enrollmentId: id, declarationsToken: token, changedAt });
    const group = byToken.get(token) ?? { tokens: { DeclarationsToken: token, Timestamp: syncTimestamp(changedAt) }, ids: [] };
    group.ids.push(id);
    byToken.set(token, group);
  }
  // One command per token (one in the usual case, one device), each group's new states saved, its
  // older waiting commands superseded and the command queued in one statement or transaction.
  const notified: string[] = [];
  for (const { tokens, ids: group } of byToken.values()) {
    const uuid = randomUUID();
    const members = new Set(group);
    const save = changed.filter((s) => members.has(s.enrollmentId));
    const result = await enqueueCommand(deps, {
      uuid, requestType: 'DeclarativeManagement', xml: declarativeManagementCommand(uuid, tokens), ids: group, at,
    }, (c, ids) => deps.store.ddmSupersedeAndEnqueue(c, ids, save));
    notified.push(...result.results.filter((r) => !r.enqueueError).map((r) => r.id));
  }
  return { notified };
}
