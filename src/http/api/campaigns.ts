// OS update campaigns over HTTP (this shape is fixed: other tools depend on it). POST /v1/campaigns
// creates one (201) or answers its dry run (200); GET lists and shows them with counts per state;
// pause, resume and cancel; each device's state and reason. Device tags (campaign selection) too.
import { Type } from '../schema.js';
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app.js';
import { CampaignInputError, DEVICE_STATES } from '../../osupdate/campaign/index.js';
import { campaignJson, deviceJson, planJson } from './campaign-views.js';
import { effectiveAdeSettings } from '../../dep/ade-settings.js';
import { adeMinimumJson, adeMinimums } from '../../dep/min-os-view.js';
import { ApiError, apiScope } from './scope.js';

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

async function inputErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof CampaignInputError) throw new ApiError(400, err.message, err.field);
    throw err;
  }
}

export function registerCampaigns(app: FastifyInstance, deps: AppDeps): void {
  const engine = deps.campaigns;
  if (!engine) return;
  const { store } = deps;

  async function known(id: string) {
    const c = await store.campaignGet(id);
    if (!c) throw new ApiError(404, `unknown campaign: ${id}`, 'id');
    return c;
  }

  async function show(id: string) {
    return campaignJson(await known(id), await store.campaignCounts(id));
  }

  apiScope(app, deps, (api) => {
    api.post('/v1/campaigns', {
      schema: {
        summary: 'Create an OS update campaign, or with "dry_run": true see what each selected device would do',
        description: 'Body: {"name", "select": {"enrollment_ids"} | {"platform", "models", "os_min", "os_max", "tags"} | {"all": true}, "target": {"version"[, "build"]} | {"policy": "latest"|"latest-minor"|"latest-major"|"minimum"[, "version"]}, "deadline"?, "waves"?, "window"?, "time_zone"?, "max_in_flight"?, "dry_run"?, "promotion"?, "retries"?, "install_action"?, "max_user_deferrals"?, "details_url"?, "ddm_settings"?}',
        tags: ['Campaigns'],
      },
    }, async (req, reply) => {
      const out = await inputErrors(() => engine.create(req.body));
      if ('dryRun' in out) {
        const d = out.dryRun;
        const adeMinimumOs = (await effectiveAdeSettings(deps.store, null)).minimum_os; // what a device re-enrolled through ADE must run
        // Devices enrolled through ADE: the minimum of their platform in their DEP name's settings, and whether they run below it.
        const ade = await deps.store.activeAdeEnrollments(d.devices.map((p) => p.deviceId));
        const minimums = await adeMinimums(deps.store, d.devices.filter((p) => ade.has(p.deviceId)).map((p) => ({ ...p, depName: ade.get(p.deviceId)!.depName })));
        const devices = d.devices.map((p) => ({ ...planJson(p), ...(minimums.has(p.deviceId) ? adeMinimumJson(minimums.get(p.deviceId)!) : {}) }));
        return reply.code(200).send({ dry_run: true, name: d.name, counts: d.counts, unknown_ids: d.unknown_ids, ade_minimum_os: adeMinimumOs, devices });
      }
      const { campaign, refused, unknownIds } = out.created;
      const body = campaignJson(campaign, await store.campaignCounts(campaign.id));
      return reply.code(201).send({
        ...body,
        unknown_ids: unknownIds,
        refused: refused.map((r) => ({ enrollment_id: r.deviceId, reason: `already in active campaign ${r.campaignId}`, campaign_id: r.campaignId })),
      });
    });

    api.get('/v1/campaigns', {
      schema: {
        summary: 'List campaigns, newest first', tags: ['Campaigns'],
        querystring: Type.Object({ state: Type.Optional(Type.Enum(['running', 'paused', 'done', 'cancelled'])), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) }),
      },
    }, async (req) => {
      const list = await store.campaignList({ state: req.query.state, limit: req.query.limit ?? 100 });
      return { campaigns: await Promise.all(list.map(async (c) => campaignJson(c, await store.campaignCounts(c.id)))) };
    });

    api.get('/v1/campaigns/:id', { schema: { summary: 'One campaign: state, counts per state and wave, spec', tags: ['Campaigns'], params: IdParams } },
      async (req) => show(req.params.id));

    for (const action of ['pause', 'resume', 'cancel'] as const) {
      api.post(`/v1/campaigns/:id/${action}`, {
        schema: {
          summary: action === 'cancel' ? 'Cancel a campaign: withdraws its declarations and the commands it queued' : `${action[0]!.toUpperCase()}${action.slice(1)} a campaign`,
          tags: ['Campaigns'], params: IdParams,
        },
      }, async (req) => {
        await known(req.params.id);
        await engine[action](req.params.id);
        return show(req.params.id);
      });
    }

    api.get('/v1/campaigns/:id/devices', {
      schema: {
        summary: 'Each device of a campaign with its state and the reason', tags: ['Campaigns'], params: IdParams,
        querystring: Type.Object({
          state: Type.Optional(Type.String({ description: 'Comma-separated states' })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000 })),
          after: Type.Optional(Type.String({ description: 'Page on: the last enrollment_id of the previous page' })),
        }),
      },
    }, async (req) => {
      await known(req.params.id);
      const states = req.query.state?.split(',').map((s) => s.trim()).filter(Boolean);
      const unknown = states?.find((s) => !DEVICE_STATES.includes(s));
      if (unknown !== undefined) throw new ApiError(400, `unknown device state ${JSON.stringify(unknown)} (one of ${DEVICE_STATES.join(', ')})`, 'state');
      const limit = req.query.limit ?? 1000;
      const rows = await store.campaignDevices(req.params.id, { states, limit, after: req.query.after });
      return { devices: rows.map(deviceJson), next: rows.length === limit ? rows.at(-1)!.deviceId : null };
    });

    api.put('/v1/devices/:id/tags', {
      schema: {
        summary: 'Replace a device\'s tags (campaigns select by tag)', tags: ['Campaigns'], params: IdParams,
        body: Type.Object({ tags: Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 100 }) }, { additionalProperties: false }),
      },
    }, async (req) => {
      if (!(await store.getEnrollment(req.params.id))) throw new ApiError(404, `unknown enrollment: ${req.params.id}`, 'id');
      await store.setTags(req.params.id, req.body.tags, new Date());
      return { enrollment_id: req.params.id, tags: await store.getTags(req.params.id) };
    });

    api.get('/v1/devices/:id/tags', { schema: { summary: 'A device\'s tags', tags: ['Campaigns'], params: IdParams } }, async (req) => {
      if (!(await store.getEnrollment(req.params.id))) throw new ApiError(404, `unknown enrollment: ${req.params.id}`, 'id');
      return { enrollment_id: req.params.id, tags: await store.getTags(req.params.id) };
    });
  });
}
