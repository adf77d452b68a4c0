// DEP devices and their sync: GET /v1/dep-devices (devices Apple Business Manager lists, per DEP
// name, with op_type and profile status; ?enrolled=false: the ones not enrolled yet), POST
// /v1/dep/{name}/sync (a sync pass now), GET|PUT /v1/dep/{name}/assign-rules (the assigner's rules).
import { Type } from '../schema.js';
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app.js';
import { ApiError, apiScope } from './scope.js';
import { AssignRuleError, loadRules, saveRules } from '../../dep/assigner.js';
import { syncDepNames } from '../../dep/syncer.js';
import { DepApiError } from '../../dep/errors.js';
import { depFailureStatus } from './dep-proxy.js';
import type { DepDeviceRecord } from '../../storage/types-dep.js';

const Name = Type.Object({ name: Type.String({ minLength: 1 }) });
const Query = Type.Object({
  dep_name: Type.Optional(Type.String({ minLength: 1 })),
  enrolled: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')], { description: 'false: only devices no enrollment reports yet' })),
  op_type: Type.Optional(Type.Union([Type.Literal('added'), Type.Literal('modified'), Type.Literal('deleted')])),
  include_deleted: Type.Optional(Type.Literal('true')),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  offset: Type.Optional(Type.Integer({ minimum: 0 })),
});

const iso = (d: Date | null) => d?.toISOString() ?? null;

export function depDeviceJson(d: DepDeviceRecord, enrolled: boolean): Record<string, unknown> {
  return {
    dep_name: d.depName, serial_number: d.serialNumber, model: d.model, description: d.description, color: d.color, asset_tag: d.assetTag,
    os: d.os, device_family: d.deviceFamily, device_assigned_by: d.deviceAssignedBy, device_assigned_date: iso(d.deviceAssignedDate),
    op_type: d.opType, op_date: iso(d.opDate), profile_uuid: d.profileUuid, profile_status: d.profileStatus,
    profile_assign_time: iso(d.profileAssignTime), profile_push_time: iso(d.profilePushTime), enrolled, updated_at: d.updatedAt.toISOString(),
  };
}

export function registerDepDevices(app: FastifyInstance, deps: AppDeps): void {
  const now = () => (deps.clock ?? (() => new Date()))();
  apiScope(app, deps, (api) => {
    api.get('/v1/dep-devices', { schema: { summary: 'Devices Apple Business Manager lists (synced), with op_type, profile status and whether enrolled', tags: ['ADE'], querystring: Query } }, async (req) => {
      const q = req.query;
      const list = await deps.store.listDepDevices({
        depName: q.dep_name, opType: q.op_type, enrolled: q.enrolled === undefined ? undefined : q.enrolled === 'true',
        excludeDeleted: q.include_deleted !== 'true' && q.op_type !== 'deleted', limit: q.limit, offset: q.offset,
      });
      const enrolled = new Set((await deps.store.listEnrollments({ serialNumbers: list.map((d) => d.serialNumber), limit: 1000 })).map((e) => e.serialNumber));
      return { devices: list.map((d) => depDeviceJson(d, enrolled.has(d.serialNumber))) };
    });
    api.post('/v1/dep/:name/sync', { schema: { summary: 'Sync a DEP name\'s devices now (fetch on the first run, then changes from the kept cursor), then assign new ones', tags: ['ADE'], params: Name } }, async (req, reply) => {
      const dep = await deps.store.getDepName(req.params.name);
      if (!dep) throw new ApiError(404, `no DEP name ${req.params.name}`);
      if (!dep.tokens) throw new ApiError(409, `DEP name ${req.params.name} has no server token yet (updraft dep token ${req.params.name} FILE)`);
      let failure: unknown = null;
      const [r] = await syncDepNames({ store: deps.store, logger: deps.logger, now, names: [req.params.name], onFailure: (_, err) => (failure = err) });
      // Apple's code and what to do (terms to accept in ABM, a token to renew, …), as /proxy answers them.
      if (failure instanceof DepApiError) return reply.code(depFailureStatus(failure)).send({ error: `the sync of ${req.params.name} failed: ${failure.message}`, code: failure.code });
      if (failure) throw new ApiError(502, `the sync of ${req.params.name} failed: ${(failure as Error).message}`);
      if (!r) throw new ApiError(409, `another server is syncing ${req.params.name} now: try again in a moment`);
      return { dep_name: r.name, mode: r.mode, devices: r.devices, added: r.added, assigned: r.assigned };
    });
    api.get('/v1/dep/:name/assign-rules', { schema: { summary: 'The assigner\'s rules: the first rule a new device matches (models, os, serials) gives its ADE profile; else the default (/v1/assigner)', tags: ['ADE'], params: Name } }, async (req) => ({
      rules: await loadRules(deps.store, req.params.name),
    }));
    api.put('/v1/dep/:name/assign-rules', { schema: { summary: 'Replace the assigner\'s rules: {"rules": [{"profile_uuid", "models"?, "os"?, "serials"?}]}', tags: ['ADE'], params: Name } }, async (req) => {
      try {
        return { rules: await saveRules(deps.store, req.params.name, req.body) };
      } catch (e) {
        if (e instanceof AssignRuleError) throw new ApiError(400, e.message);
        throw e;
      }
    });
  });
}
