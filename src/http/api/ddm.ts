// Updraft's DDM API: declarations (validated against Apple's schema), sets, set ↔ enrollment
// assignments, per-enrollment declaration status and status items, forced sync, and asset data
// (uploaded here, served to devices at /ddm/assets/<name>).
import { Type } from '../schema.js';
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app.js';
import { createDdm, listDeclarationTypes, type Ddm, type PutDeclarationResult } from '../../ddm/index.js';
import type { DdmDeclarationRecord, DdmSetRecord } from '../../storage/types.js';
import { ApiError, apiScope, rawBody } from './scope.js';

const TAGS = ['DDM'];
const iso = (d: Date): string => d.toISOString();

function declarationJson(r: DdmDeclarationRecord): Record<string, unknown> {
  return {
    Type: r.type, Identifier: r.identifier, ServerToken: r.serverToken, Payload: r.payload,
    kind: r.kind, created_at: iso(r.createdAt), updated_at: iso(r.updatedAt),
  };
}

function setJson(s: DdmSetRecord): Record<string, unknown> {
  return { name: s.name, declarations: s.declarations, enrollments: s.enrollments, created_at: iso(s.createdAt), updated_at: iso(s.updatedAt) };
}

const putJson = (r: PutDeclarationResult) => ({ declaration: r.declaration, kind: r.kind, outcome: r.outcome, notified: r.notified });

const Identifier = Type.Object({ identifier: Type.String({ minLength: 1 }) });
const SetName = Type.Object({ name: Type.String({ minLength: 1 }) });
const SetMember = Type.Object({ name: Type.String({ minLength: 1 }), identifier: Type.String({ minLength: 1 }) });
const SetEnrollment = Type.Object({ name: Type.String({ minLength: 1 }), id: Type.String({ minLength: 1 }) });
const EnrollmentId = Type.Object({ id: Type.String({ minLength: 1, description: 'Enrollment ID' }) });
const Ids = Type.Array(Type.String({ minLength: 1 }));

export function registerDdm(app: FastifyInstance, deps: AppDeps): void {
  const ddm: Ddm = createDdm({ store: deps.store, pusher: deps.pusher, logger: deps.logger, webhooks: Boolean(deps.config.webhookUrl) });

  app.get('/ddm/assets/:name', async (req, reply) => {
    const asset = await ddm.getAssetData((req.params as { name: string }).name);
    if (!asset) return reply.code(404).send({ error: 'unknown asset' });
    return reply.header('content-type', asset.contentType).header('etag', `"${asset.sha256}"`).send(asset.data);
  });

  apiScope(app, deps, (api) => {
    api.get('/v1/ddm/types', { schema: { summary: 'Declaration types of Apple\'s schema', tags: TAGS } }, async () => ({
      types: listDeclarationTypes().map((s) => ({ type: s.type, kind: s.kind, title: s.title, apply: s.apply ?? null, os: s.os })),
    }));

    api.get(
      '/v1/ddm/declarations',
      { schema: { summary: 'List declarations', tags: TAGS, querystring: Type.Object({ type: Type.Optional(Type.String()) }) } },
      async (req) => ({ declarations: (await ddm.listDeclarations({ type: req.query.type })).map(declarationJson) }),
    );

    api.get('/v1/ddm/declarations/:identifier', { schema: { summary: 'Get a declaration', tags: TAGS, params: Identifier } }, async (req) => {
      const d = await ddm.getDeclaration(req.params.identifier);
      if (!d) throw new ApiError(404, `unknown declaration ${JSON.stringify(req.params.identifier)}`, 'identifier');
      return d;
    });

    api.put(
      '/v1/ddm/declarations',
      { schema: { summary: 'Create or replace a declaration {Type, Identifier, Payload}; devices that have it are synced', tags: TAGS } },
      async (req, reply) => {
        const r = await ddm.putDeclaration(req.body);
        return reply.code(r.outcome === 'created' ? 201 : 200).send(putJson(r));
      },
    );

    api.delete('/v1/ddm/declarations/:identifier', { schema: { summary: 'Delete a declaration', tags: TAGS, params: Identifier } }, async (req) =>
      ddm.deleteDeclaration(req.params.identifier),
    );

    api.get('/v1/ddm/sets', { schema: { summary: 'List declaration sets', tags: TAGS } }, async () => ({ sets: (await ddm.listSets()).map(setJson) }));

    api.get('/v1/ddm/sets/:name', { schema: { summary: 'Get a set', tags: TAGS, params: SetName } }, async (req) => {
      const s = await ddm.getSet(req.params.name);
      if (!s) throw new ApiError(404, `unknown set ${JSON.stringify(req.params.name)}`, 'name');
      return setJson(s);
    });

    api.put(
      '/v1/ddm/sets/:name',
      { schema: { summary: 'Create a set or replace its declarations', tags: TAGS, params: SetName, body: Type.Object({ declarations: Ids }) } },
      async (req) => ddm.putSet(req.params.name, req.body.declarations),
    );

    api.delete('/v1/ddm/sets/:name', { schema: { summary: 'Delete a set', tags: TAGS, params: SetName } }, async (req) => ddm.deleteSet(req.params.name));

    api.put('/v1/ddm/sets/:name/declarations/:identifier', { schema: { summary: 'Add a declaration to a set', tags: TAGS, params: SetMember } }, async (req) =>
      ddm.addToSet(req.params.name, [req.params.identifier]),
    );

    api.delete('/v1/ddm/sets/:name/declarations/:identifier', { schema: { summary: 'Remove a declaration from a set', tags: TAGS, params: SetMember } }, async (req) =>
      ddm.removeFromSet(req.params.name, [req.params.identifier]),
    );

    api.post(
      '/v1/ddm/sets/:name/declarations',
      {
        schema: {
          summary: 'Add and remove declarations of a set in bulk',
          tags: TAGS,
          params: SetName,
          body: Type.Object({ add: Type.Optional(Ids), remove: Type.Optional(Ids) }),
        },
      },
      async (req) => {
        const added = req.body.add?.length ? await ddm.addToSet(req.params.name, req.body.add) : { notified: [] };
        const removed = req.body.remove?.length ? await ddm.removeFromSet(req.params.name, req.body.remove) : { notified: [] };
        return { notified: [...new Set([...added.notified, ...removed.notified])] };
      },
    );

    api.put('/v1/ddm/sets/:name/enrollments/:id', { schema: { summary: 'Assign a set to an enrollment', tags: TAGS, params: SetEnrollment } }, async (req) =>
      ddm.assign(req.params.name, [req.params.id]),
    );

    api.delete('/v1/ddm/sets/:name/enrollments/:id', { schema: { summary: 'Unassign a set from an enrollment', tags: TAGS, params: SetEnrollment } }, async (req) =>
      ddm.unassign(req.params.name, [req.params.id]),
    );

    api.post(
      '/v1/ddm/sets/:name/enrollments',
      {
        schema: {
          summary: 'Assign and unassign a set in bulk',
          tags: TAGS,
          params: SetName,
          body: Type.Object({ assign: Type.Optional(Ids), unassign: Type.Optional(Ids) }),
        },
      },
      async (req) => {
        const assigned = await ddm.assign(req.params.name, req.body.assign ?? []);
        const unassigned = await ddm.unassign(req.params.name, req.body.unassign ?? []);
        return { notified: [...new Set([...assigned.notified, ...unassigned.notified])] };
      },
    );

    api.get('/v1/ddm/enrollments/:id', { schema: { summary: 'An enrollment\'s sets, sync tokens and declarations with their reported status', tags: TAGS, params: EnrollmentId } }, async (req) => {
      const v = await ddm.enrollmentView(req.params.id);
      const status = (s: { serverToken: string | null; active: boolean | null; valid: string | null; reasons: unknown[] | null; updatedAt: Date }) => ({
        server_token: s.serverToken, active: s.active, valid: s.valid, reasons: s.reasons, updated_at: iso(s.updatedAt),
      });
      return {
        enrollment_id: req.params.id,
        sets: v.sets,
        sync_tokens: v.tokens,
        declarations: v.declarations.map((d) => ({
          identifier: d.identifier, type: d.type, kind: d.kind, server_token: d.serverToken, builtin: d.builtin,
          status: d.status && status(d.status),
        })),
        removed: v.removed.map((s) => ({ identifier: s.identifier, kind: s.kind, unknown: s.unknown, ...status(s) })),
      };
    });

    api.get(
      '/v1/ddm/enrollments/:id/status',
      { schema: { summary: 'Latest status items (dotted names)', tags: TAGS, params: EnrollmentId, querystring: Type.Object({ prefix: Type.Optional(Type.String()) }) } },
      async (req) => {
        const items = await ddm.statusItems(req.params.id, req.query.prefix);
        return { enrollment_id: req.params.id, status_items: Object.fromEntries(items.map((i) => [i.name, { value: i.value, updated_at: iso(i.updatedAt) }])) };
      },
    );

    api.get(
      '/v1/ddm/enrollments/:id/status/history',
      {
        schema: {
          summary: 'Changes of status items, newest first (value null: dropped by a full report)',
          tags: TAGS,
          params: EnrollmentId,
          querystring: Type.Object({ name: Type.Optional(Type.String()), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) }),
        },
      },
      async (req) => ({
        enrollment_id: req.params.id,
        history: (await ddm.statusHistory(req.params.id, { name: req.query.name, limit: req.query.limit })).map((h) => ({ name: h.name, value: h.value, at: iso(h.at) })),
      }),
    );

    api.post('/v1/ddm/enrollments/:id/sync', { schema: { summary: 'Send a DeclarativeManagement command now (enables DDM, forces a sync)', tags: TAGS, params: EnrollmentId } }, async (req) =>
      ddm.sync([req.params.id]),
    );

    api.delete('/v1/ddm/assets/:name', { schema: { summary: 'Delete asset data', tags: TAGS, params: SetName } }, async (req, reply) => {
      await ddm.deleteAssetData(req.params.name);
      return reply.code(204).send();
    });
  });

  apiScope(
    app,
    deps,
    (api) => {
      api.put(
        '/v1/ddm/assets/:name',
        { schema: { summary: 'Upload asset data (served at /ddm/assets/<name>); returns its size and SHA-256', tags: TAGS, params: SetName, consumes: ['*/*'] } },
        async (req) => {
          const info = await ddm.putAssetData(req.params.name, req.headers['content-type'] ?? 'application/octet-stream', rawBody(req.body));
          return { ...info, url: new URL(info.path, deps.config.publicUrl).toString() };
        },
      );
    },
    { raw: true },
  );
}
