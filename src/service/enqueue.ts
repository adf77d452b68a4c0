// Enqueue a command for enrollments and wake them with a push: the one path every producer uses
// (the HTTP APIs, the OS update and DDM engines). Push attempts are also recorded as events, by the
// pusher in its push log's commit (push/record.ts). Inside a device's request (deps.wakes set), a push
// is only noted: service/wake.ts sends it after the request.
import type { Store } from '../storage/types.js';
import type { Pusher, PushOutcome } from '../push/types.js';
import type { Wakes } from './types.js';

export interface EnqueueDeps {
  store: Store;
  pusher: Pusher;
  /** The device request's wakes (RequestMeta.wakes): pushes are added to it, and sent once after the request. */
  wakes?: Wakes;
}

export interface EnqueueInput {
  uuid: string;
  requestType: string;
  /** The full command plist as it will be sent. */
  xml: Buffer;
  ids: string[];
  priority?: number;
  expiresAt?: Date | null;
  /** false: queue only, the device picks it up on its next check-in. */
  push?: boolean;
  at?: Date;
}

export interface EnrollmentOutcome {
  id: string;
  /** Why the command could not be queued for this enrollment (e.g. unknown enrollment). */
  enqueueError?: string;
  /** Absent when no push was attempted. */
  push?: PushOutcome;
}

export interface EnqueueResult {
  uuid: string;
  requestType: string;
  pushed: boolean;
  results: EnrollmentOutcome[];
}

/** Unique, non-empty ids in their given order. */
export function uniqueIds(ids: Iterable<string>): string[] {
  return [...new Set([...ids].map((id) => id.trim()).filter((id) => id !== ''))];
}

/**
 * Queue the command for every id (unknown ids fail alone), then push to those that got it. `enqueue`:
 * the store's enqueue or one that does more in the same statement (a DDM sync's supersede).
 */
export async function enqueueCommand(deps: EnqueueDeps, input: EnqueueInput, enqueue: Store['enqueue'] = (c, ids) => deps.store.enqueue(c, ids)): Promise<EnqueueResult> {
  const at = input.at ?? new Date();
  const ids = uniqueIds(input.ids);
  const outcomes = await enqueue(
    { uuid: input.uuid, requestType: input.requestType, raw: input.xml, priority: input.priority ?? 0, expiresAt: input.expiresAt ?? null, at },
    ids,
  );
  const byId = new Map(outcomes.map((o) => [o.id, o]));
  const results: EnrollmentOutcome[] = ids.map((id) => {
    const o = byId.get(id);
    if (!o) return { id, enqueueError: 'not enqueued' };
    return o.ok ? { id } : { id, enqueueError: o.error ?? 'not enqueued' };
  });
  const pushed = input.push !== false;
  if (pushed) {
    const queued = results.filter((r) => !r.enqueueError).map((r) => r.id);
    const pushes = new Map((await pushEnrollments(deps, queued, at)).map((p) => [p.id, p]));
    for (const r of results) r.push = pushes.get(r.id);
  }
  return { uuid: input.uuid, requestType: input.requestType, pushed, results };
}

/**
 * Push to each id, its push events asked for (the pusher records them with its push log, in one
 * commit). Inside a device's request (deps.wakes), the ids are only added to its wakes (no outcomes:
 * nothing was attempted yet).
 */
export async function pushEnrollments(deps: EnqueueDeps, ids: string[], at = new Date()): Promise<PushOutcome[]> {
  if (deps.wakes) {
    for (const id of ids) deps.wakes.add(id);
    return [];
  }
  if (ids.length === 0) return [];
  return deps.pusher.push(ids, { events: at });
}
