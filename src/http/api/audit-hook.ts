// Recording API writes: every request to a route needing more than read (see roles.ts) is written to
// the audit log after it is answered (key, route, the ids it named, time, status; refused ones, 403,
// too). With a webhook URL each entry is also posted as an `updraft.api.write` event, in the same
// transaction.
import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppDeps } from '../app.js';
import type { AuditInput, AuditRecord } from '../../storage/types-access.js';
import { accessOf } from './roles.js';

export const AUDIT_TOPIC = 'updraft.api.write';

/** JSON body fields that name what a write acts on. */
const TARGET_FIELDS = ['udid', 'ids', 'id', 'name', 'Identifier', 'add', 'remove', 'assign', 'unassign'] as const;

/** The ids a request names: its path parameters (comma lists split) and the target fields of a JSON body. */
export function requestTargets(params: unknown, body: unknown): string[] {
  const out: string[] = [];
  const add = (v: unknown, split: boolean) => {
    if (typeof v === 'string') out.push(...(split ? v.split(',') : [v]).map((s) => s.trim()).filter(Boolean));
    else if (Array.isArray(v)) for (const x of v) if (typeof x === 'string' && x) out.push(x);
  };
  if (params && typeof params === 'object') for (const [k, v] of Object.entries(params)) add(v, k === 'ids');
  if (body && typeof body === 'object' && !Buffer.isBuffer(body)) {
    for (const f of TARGET_FIELDS) add((body as Record<string, unknown>)[f], false);
  }
  return [...new Set(out)];
}

/** An onResponse hook recording writes; failures to record are logged, never answered. */
export function auditHook(deps: Pick<AppDeps, 'store' | 'config' | 'logger'>) {
  return async function auditWrite(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const key = req.apiPrincipal;
    const route = req.routeOptions.url;
    if (!key || !route || accessOf(req.method, route) === 'read') return;
    const targets = requestTargets(req.params, req.body);
    const entry: AuditInput = {
      at: new Date(), keyId: key.id, keyName: key.name, role: key.role, method: req.method, route,
      targets, targetCount: targets.length, status: reply.statusCode,
    };
    try {
      const outbox = deps.config.webhookUrl
        ? { topic: AUDIT_TOPIC, body: JSON.stringify({ topic: AUDIT_TOPIC, event_id: randomUUID(), created_at: entry.at.toISOString(), api_write: auditJson({ ...entry, id: 0 }, false) }) }
        : undefined;
      await deps.store.addAudit(entry, outbox);
    } catch (err) {
      deps.logger.error({ err, route, key: key.name }, 'audit entry not recorded');
    }
  };
}

export function auditJson(e: AuditRecord, withId = true) {
  return {
    ...(withId ? { id: e.id } : {}),
    at: e.at.toISOString(), key_id: e.keyId, key_name: e.keyName, role: e.role,
    method: e.method, route: e.route, targets: e.targets, target_count: e.targetCount, status: e.status,
  };
}

