// MicroMDM-compatible API: POST /v1/commands (JSON), POST|PUT /v1/commands/{udid} (raw plist),
// GET|DELETE /v1/commands/{udid} (view or clear the queue), GET|POST /v1/devices, GET /push/{udid}.
import type { Static } from 'typebox';
import { Type } from '../schema.js';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AppDeps } from '../app.js';
import { buildCommand, fromMicroMDMJson, parseRawCommand, toMicroMDMJson } from '../../commands/index.js';
import { enqueueCommand, pushEnrollments, type EnqueueResult } from '../../service/enqueue.js';
import { ApiError, apiScope, rawBody } from './scope.js';
import { microDevice, microDevicesStream, microQueue } from './micromdm-views.js';

const UdidParams = Type.Object({ udid: Type.String({ minLength: 1, description: 'Device UDID (or any enrollment ID)' }) });

const DevicesBody = Type.Object({
  page: Type.Optional(Type.Integer({ minimum: 0 })),
  per_page: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
  filter_serial: Type.Optional(Type.Array(Type.String())),
  filter_udid: Type.Optional(Type.Array(Type.String())),
});

/** The single enrollment's enqueue error as a 404 (unknown device) or 400. */
function failIfNotQueued(r: EnqueueResult, udid: string): void {
  const err = r.results[0]?.enqueueError;
  if (err) throw new ApiError(/unknown/i.test(err) ? 404 : 400, `${udid}: ${err}`, 'udid');
}

export function registerMicroMdm(app: FastifyInstance, deps: AppDeps): void {
  apiScope(app, deps, (api) => {
    api.post(
      '/v1/commands',
      {
        schema: {
          summary: 'Queue a command from MicroMDM JSON (udid, request_type, snake_case payload), then push',
          tags: ['MicroMDM'],
          body: Type.Object({ udid: Type.String({ minLength: 1 }), request_type: Type.String({ minLength: 1 }) }, { additionalProperties: true }),
        },
      },
      async (req, reply) => {
        const { udid, requestType, payload, uuid } = fromMicroMDMJson(req.body);
        const command = buildCommand(requestType, payload, { uuid });
        const r = await enqueueCommand(deps, { uuid: command.uuid, requestType, xml: command.xml, ids: [udid] });
        failIfNotQueued(r, udid);
        return reply.code(201).send({ payload: { command_uuid: command.uuid, command: toMicroMDMJson(requestType, payload) } });
      },
    );

    api.get(
      '/v1/commands/:udid',
      { schema: { summary: "View a device's command queue (MicroMDM)", tags: ['MicroMDM'], params: UdidParams } },
      async (req) => ({ device_command: await microQueue(deps.store, req.params.udid) }),
    );

    api.delete(
      '/v1/commands/:udid',
      { schema: { summary: "Clear a device's command queue (MicroMDM)", tags: ['MicroMDM'], params: UdidParams } },
      async (req) => {
        await deps.store.clearQueue(req.params.udid, new Date());
        return {};
      },
    );

    /**
     * MicroMDM answers every device and ignores paging (its tools/api/get_devices relies on that), so
     * without page/per_page (or with Go's zero values) the whole fleet is streamed; with them, that page.
     */
    const listDevices = async (opts: Static<typeof DevicesBody>, reply: FastifyReply) => {
      const filter = {
        type: 'Device' as const,
        ids: opts.filter_udid?.length ? opts.filter_udid : undefined,
        serialNumbers: opts.filter_serial?.length ? opts.filter_serial : undefined,
      };
      if (!opts.page && !opts.per_page) {
        return reply.type('application/json; charset=utf-8').send(await microDevicesStream(deps.store, filter));
      }
      const perPage = opts.per_page || 100;
      const devices = await deps.store.listEnrollments({ ...filter, limit: perPage, offset: Math.max(0, (opts.page ?? 1) - 1) * perPage });
      return { devices: devices.map(microDevice) };
    };
    const devicesSchema = { summary: 'List devices (MicroMDM): all of them, streamed, unless page/per_page ask for one page', tags: ['MicroMDM'] };
    api.post(
      '/v1/devices',
      {
        schema: { ...devicesSchema, body: DevicesBody },
        preValidation: async (req) => {
          req.body ??= {}; // curl -X POST with no body lists everything
          // Go marshals a nil slice as null (mdmctl sends "filter_serial": null): no filter.
          const body = req.body as Record<string, unknown>;
          for (const k of Object.keys(body)) if (body[k] === null) delete body[k];
        },
      },
      async (req, reply) => listDevices(req.body, reply),
    );
    api.get('/v1/devices', { schema: devicesSchema }, async (_req, reply) => listDevices({}, reply));

    api.get(
      '/push/:udid',
      { schema: { summary: 'Send an APNs push to one device (MicroMDM)', tags: ['MicroMDM'], params: UdidParams } },
      async (req, reply) => {
        const [outcome] = await pushEnrollments(deps, [req.params.udid]);
        if (!outcome?.ok) return reply.code(500).send({ error: outcome?.error ?? outcome?.outcome ?? 'push failed' });
        return { status: 'success', push_notification_id: outcome.apnsId ?? '' };
      },
    );
  });

  apiScope(
    app,
    deps,
    (api) => {
      api.route({
        method: ['POST', 'PUT'],
        url: '/v1/commands/:udid',
        schema: {
          summary: 'Queue a raw command plist for one device, then push (MicroMDM)',
          tags: ['MicroMDM'],
          consumes: ['application/xml', 'application/octet-stream'],
          params: UdidParams,
        },
        handler: async (req, reply) => {
          const { udid } = req.params;
          const command = parseRawCommand(rawBody(req.body));
          const r = await enqueueCommand(deps, { uuid: command.uuid, requestType: command.requestType, xml: command.xml, ids: [udid] });
          failIfNotQueued(r, udid);
          return reply.code(201).send({ payload: { udid, command_uuid: command.uuid, command: { request_type: command.requestType } } });
        },
      });
    },
    { raw: true },
  );
}
