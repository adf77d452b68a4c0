// NanoMDM-compatible API: PUT /v1/enqueue/{id,id,…} with a raw command plist, GET|POST /v1/push/{id,id,…}
// (10,000 ids and more fit in the path: see MAX_HEADER_BYTES), and POST /v1/push {ids} for any number.
// Answers NanoMDM's APIResult JSON: 200 all ok, 207 some failed, 500 all failed.
import { Type } from '../schema.js';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AppDeps } from '../app.js';
import { parseRawCommand } from '../../commands/index.js';
import { enqueueCommand, pushEnrollments, uniqueIds, type EnqueueResult } from '../../service/enqueue.js';
import type { PushOutcome } from '../../push/types.js';
import { apiScope, rawBody } from './scope.js';
import { expiryFrom, ExpiryQuery } from './expiry.js';

interface EnrollmentResultJson {
  push_error?: string;
  push_result?: string;
  command_error?: string;
}

export interface NanoApiResult {
  status?: Record<string, EnrollmentResultJson>;
  no_push?: boolean;
  push_error?: string;
  command_error?: string;
  command_uuid?: string;
  request_type?: string;
}

const IdsParams = Type.Object({ ids: Type.String({ description: 'Comma-separated enrollment IDs', minLength: 1 }) });

function pushJson(p: PushOutcome | undefined): EnrollmentResultJson {
  if (!p) return {};
  if (p.ok) return p.apnsId ? { push_result: p.apnsId } : {};
  return { push_error: p.error ?? p.outcome };
}

/** NanoMDM's HTTP status for a result: 200 no errors, 207 some, 500 all (or nothing to report). */
export function nanoStatusCode(result: NanoApiResult, idCount: number): 200 | 207 | 500 {
  if (result.push_error || result.command_error) return 500;
  const errors = Object.values(result.status ?? {}).filter((r) => r.push_error || r.command_error).length;
  if (errors === 0) return 200;
  return errors < idCount ? 207 : 500;
}

/** NanoMDM's APIResult for an enqueue (status omitted when empty, as NanoMDM's omitempty does). */
export function nanoEnqueueResult(r: EnqueueResult): NanoApiResult {
  const status: Record<string, EnrollmentResultJson> = {};
  for (const o of r.results) {
    const entry: EnrollmentResultJson = { ...pushJson(o.push), ...(o.enqueueError ? { command_error: o.enqueueError } : {}) };
    if (Object.keys(entry).length > 0) status[o.id] = entry;
  }
  return {
    ...(Object.keys(status).length > 0 ? { status } : {}),
    ...(r.pushed ? {} : { no_push: true }),
    command_uuid: r.uuid,
    request_type: r.requestType,
  };
}

function nanoPushResult(outcomes: PushOutcome[]): NanoApiResult {
  const status: Record<string, EnrollmentResultJson> = {};
  for (const o of outcomes) status[o.id] = pushJson(o);
  return Object.keys(status).length > 0 ? { status } : {};
}

export function registerNanoMdm(app: FastifyInstance, deps: AppDeps): void {
  apiScope(
    app,
    deps,
    (api) => {
      api.put(
        '/v1/enqueue/:ids',
        {
          schema: {
            summary: 'Enqueue a raw command plist for enrollments, then push (NanoMDM)',
            tags: ['NanoMDM'],
            consumes: ['application/x-apple-aspen-mdm', 'application/xml', 'application/octet-stream'],
            params: IdsParams,
            querystring: Type.Object({
              nopush: Type.Optional(Type.String({ description: 'Any non-empty value: queue without pushing' })),
              ...ExpiryQuery.properties,
            }),
          },
        },
        async (req, reply) => {
          const ids = uniqueIds(req.params.ids.split(','));
          const noPush = (req.query.nopush ?? '') !== '';
          const body = rawBody(req.body);
          if (body.length === 0) {
            if (noPush) return reply.code(400).send({ error: 'empty body with nopush: nothing to enqueue or push', command_error: 'must enqueue or push' });
            const result = nanoPushResult(await pushEnrollments(deps, ids));
            return reply.code(nanoStatusCode(result, ids.length)).send(result);
          }
          let command;
          try {
            command = parseRawCommand(body);
          } catch (err) {
            const message = `decoding command: ${(err as Error).message}`;
            return reply.code(400).send({ error: message, command_error: message });
          }
          const { priority, expiresAt } = expiryFrom(req.query);
          const result = nanoEnqueueResult(
            await enqueueCommand(deps, { uuid: command.uuid, requestType: command.requestType, xml: command.xml, ids, priority, expiresAt, push: !noPush }),
          );
          return reply.code(nanoStatusCode(result, ids.length)).send(result);
        },
      );
    },
    { raw: true },
  );
  apiScope(app, deps, (api) => {
    const push = async (list: string[], reply: FastifyReply) => {
      const ids = uniqueIds(list);
      const result = nanoPushResult(await pushEnrollments(deps, ids));
      return reply.code(nanoStatusCode(result, ids.length)).send(result);
    };
    api.route({
      method: ['GET', 'POST'],
      url: '/v1/push/:ids',
      schema: { summary: 'Send APNs pushes to enrollments (NanoMDM)', tags: ['NanoMDM'], params: IdsParams },
      handler: async (req, reply) => push(req.params.ids.split(','), reply),
    });
    api.post(
      '/v1/push',
      {
        schema: {
          summary: 'Send APNs pushes to any number of enrollments (the body variant of /v1/push/{ids}; NanoMDM\'s result)',
          tags: ['NanoMDM'],
          body: Type.Object({ ids: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'Enrollment IDs' }) }),
        },
      },
      async (req, reply) => push(req.body.ids, reply),
    );
  });
}
