// Updraft's command API: JSON enqueue to many enrollments, command status and parsed results by
// CommandUUID, an enrollment's queue (view, cancel one, clear), and history pruning.
import { Type } from '../schema.js';
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app.js';
import type { CommandDetail, QueueEntry } from '../../storage/types.js';
import { buildCommand, CommandValidationError, fromMicroMDMJson, parseRawCommand, typedResultOf } from '../../commands/index.js';
import { enqueueCommand } from '../../service/enqueue.js';
import { pruneAll } from '../../service/retention.js';
import { ApiError, apiScope } from './scope.js';
import { ExpiryQuery, expiryFrom } from './expiry.js';
import { nanoEnqueueResult, nanoStatusCode } from './nanomdm.js';

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function queueEntryJson(q: QueueEntry): Record<string, unknown> {
  return {
    enrollment_id: q.enrollmentId,
    command_uuid: q.uuid,
    request_type: q.requestType,
    status: q.status,
    priority: q.priority,
    not_now_tally: q.notNowTally,
    not_now_at: iso(q.notNowAt),
    created_at: iso(q.createdAt),
    updated_at: iso(q.updatedAt),
    expires_at: iso(q.expiresAt),
    sent_at: iso(q.sentAt),
    result_at: iso(q.resultAt),
  };
}

/** A command's outcome for one enrollment: `result` is the whole result plist as JSON (as stored),
 * `result_raw` the plist as the device sent it (base64), `result_typed` its typed reading (commands/results.ts). */
function resultJson(d: CommandDetail): Record<string, unknown> {
  return {
    ...queueEntryJson(d),
    result: d.resultJson ?? null,
    result_raw: d.resultRaw ? d.resultRaw.toString('base64') : null,
    result_typed: d.resultRaw ? typedResultOf(d.requestType, d.resultRaw) : null,
  };
}

const EnqueueBody = Type.Object({
  ids: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'Enrollment IDs (any number: the body variant of PUT /v1/enqueue/{ids})' }),
  command: Type.Optional(Type.Object(
    { request_type: Type.String({ minLength: 1 }) },
    { additionalProperties: true, description: 'The command as MicroMDM JSON: request_type and snake_case payload keys (data as base64); or give plist' },
  )),
  plist: Type.Optional(Type.String({ minLength: 1, description: 'A raw command plist, as PUT /v1/enqueue/{ids} takes it: XML text, or base64 of an XML or binary plist' })),
  nopush: Type.Optional(Type.Boolean({ description: 'Queue without pushing' })),
  ...ExpiryQuery.properties,
});

/** The command of a JSON enqueue, from MicroMDM JSON (checked against Apple's schema). */
function fromJson(json: Record<string, unknown>, udid: string): { uuid: string; requestType: string; xml: Buffer } {
  const { requestType, payload, uuid } = fromMicroMDMJson({ ...json, udid });
  const command = buildCommand(requestType, payload, { uuid });
  return { uuid: command.uuid, requestType, xml: command.xml };
}

/** The command of a JSON enqueue, from a raw plist: XML text, or base64 of any plist (base64 never holds '<'). */
function fromPlist(text: string): { uuid: string; requestType: string; xml: Buffer } {
  const xml = text.trimStart().startsWith('<');
  if (!xml && !/^[A-Za-z0-9+/=\s]+$/.test(text)) throw new ApiError(400, 'plist must be XML text or base64', 'plist');
  try {
    const command = parseRawCommand(Buffer.from(text, xml ? 'utf8' : 'base64'));
    return { uuid: command.uuid, requestType: command.requestType, xml: command.xml };
  } catch (err) {
    if (!(err instanceof CommandValidationError)) throw err;
    throw new ApiError(400, `decoding command: ${err.message}`, err.field ? `plist.${err.field}` : 'plist');
  }
}

const IdParams = Type.Object({ id: Type.String({ minLength: 1, description: 'Enrollment ID' }) });

export function registerCommands(app: FastifyInstance, deps: AppDeps): void {
  async function requireEnrollment(id: string): Promise<void> {
    if (!(await deps.store.getEnrollment(id))) throw new ApiError(404, `unknown enrollment: ${id}`, 'id');
  }

  apiScope(app, deps, (api) => {
    api.post(
      '/v1/enqueue',
      {
        schema: {
          summary: 'Queue a command (MicroMDM JSON checked against Apple\'s schema, or a raw plist) for any number of enrollments and push (NanoMDM\'s result)',
          tags: ['Updraft'],
          body: EnqueueBody,
        },
      },
      async (req, reply) => {
        const { ids, command: json, plist, nopush } = req.body;
        if ((json === undefined) === (plist === undefined)) throw new ApiError(400, 'give either command (MicroMDM JSON) or plist (a raw command plist)', 'command');
        const command = json ? fromJson(json, ids[0]!) : fromPlist(plist!);
        const { priority, expiresAt } = expiryFrom(req.body);
        const result = nanoEnqueueResult(
          await enqueueCommand(deps, { ...command, ids, priority, expiresAt, push: !nopush }),
        );
        return reply.code(nanoStatusCode(result, new Set(ids).size)).send(result);
      },
    );

    api.get(
      '/v1/commands/:uuid/results',
      {
        schema: {
          summary: 'Status and parsed result of a command, per enrollment',
          tags: ['Updraft'],
          params: Type.Object({ uuid: Type.String({ minLength: 1 }) }),
          querystring: Type.Object({ enrollment_id: Type.Optional(Type.String({ minLength: 1 })) }),
        },
      },
      async (req) => {
        const rows = await deps.store.getCommand(req.params.uuid, req.query.enrollment_id);
        if (rows.length === 0) throw new ApiError(404, `unknown command: ${req.params.uuid}`, 'uuid');
        return { command_uuid: rows[0]!.uuid, request_type: rows[0]!.requestType, enrollments: rows.map(resultJson) };
      },
    );

    api.get(
      '/v1/enrollments/:id/queue',
      {
        schema: {
          summary: "An enrollment's command queue",
          tags: ['Updraft'],
          params: IdParams,
          querystring: Type.Object({
            all: Type.Optional(Type.Boolean({ description: 'Include finished, cancelled and expired commands' })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
          }),
        },
      },
      async (req) => {
        await requireEnrollment(req.params.id);
        const rows = await deps.store.listQueue(req.params.id, { includeDone: req.query.all ?? false, limit: req.query.limit });
        return { enrollment_id: req.params.id, commands: rows.map(queueEntryJson) };
      },
    );

    api.delete(
      '/v1/enrollments/:id/queue',
      { schema: { summary: "Cancel every queued command of an enrollment", tags: ['Updraft'], params: IdParams } },
      async (req) => {
        await requireEnrollment(req.params.id);
        return { cancelled: await deps.store.clearQueue(req.params.id, new Date()) };
      },
    );

    api.delete(
      '/v1/enrollments/:id/queue/:uuid',
      {
        schema: {
          summary: 'Cancel one queued command',
          tags: ['Updraft'],
          params: Type.Object({ id: Type.String({ minLength: 1 }), uuid: Type.String({ minLength: 1 }) }),
        },
      },
      async (req) => {
        const { id, uuid } = req.params;
        if (await deps.store.cancelCommand(id, uuid, new Date())) return { cancelled: 1 };
        const [cmd] = await deps.store.getCommand(uuid, id);
        if (!cmd) throw new ApiError(404, `no command ${uuid} for enrollment ${id}`, 'uuid');
        throw new ApiError(409, `command ${uuid} is ${cmd.status}, not queued`, 'uuid');
      },
    );

    api.post(
      '/v1/prune',
      {
        schema: {
          summary: 'Delete finished commands, results, events and DDM status history older than N days',
          tags: ['Updraft'],
          body: Type.Object({ older_than_days: Type.Optional(Type.Integer({ minimum: 1 })) }),
        },
        preValidation: async (req) => {
          req.body ??= {};
        },
      },
      async (req) => {
        const days = req.body.older_than_days ?? deps.config.retentionDays;
        if (!days) throw new ApiError(400, 'older_than_days is required when no retention is configured', 'older_than_days');
        const before = new Date(Date.now() - days * 86400e3);
        return { before: before.toISOString(), ...(await pruneAll(deps.store, before)) };
      },
    );
  });
}
