// Automated Device Enrollment over HTTP. POST /mdm/ade/enroll is the `url` of ADE profiles: the device
// posts its CMS-signed MachineInfo (application/pkcs7-signature) and gets the signed enrollment
// profile, or 403 com.apple.softwareupdate.required (JSON) when it must update first, or a 4xx with
// the reason (bad signature, unknown serial). The API: ADE settings (global and per DEP name) and
// the ADE enrollments Updraft recorded.
import type { FastifyInstance } from 'fastify';
import { Type } from './schema.js';
import type { AppDeps } from './app.js';
import { PLACEHOLDER_TOPIC, PROFILE_CONTENT_TYPE, buildEnrollmentProfile, signProfile } from '../enroll/profile.js';
import { adeEnroll, type AdeEnrollDeps } from '../dep/ade-enroll.js';
import { AdeSettingsError, effectiveAdeSettings, saveAdeSettings, storedAdeSettings } from '../dep/ade-settings.js';
import type { AdeEnrollmentRecord } from '../storage/types.js';
import { apiScope, ApiError } from './api/scope.js';

export const ADE_ENROLL_PATH = '/mdm/ade/enroll';

export function adeEnrollmentJson(r: AdeEnrollmentRecord): Record<string, unknown> {
  return {
    udid: r.udid, serial: r.serial, dep_name: r.depName, profile_uuid: r.profileUuid, product: r.product, platform: r.platform,
    os_version: r.osVersion, build_version: r.buildVersion, language: r.language, supervised: r.supervised, mdm_removable: r.removable,
    await_device_configured: r.awaitConfiguration, enrolled_via_ade: r.active, served_at: r.servedAt.toISOString(),
    enrolled_at: r.enrolledAt?.toISOString() ?? null, configured_at: r.configuredAt?.toISOString() ?? null, machine_info: r.machineInfo,
  };
}

export function registerAde(app: FastifyInstance, deps: AppDeps): void {
  const pki = deps.pki;
  if (pki) {
    const enrollDeps: AdeEnrollDeps = {
      store: deps.store,
      anchors: deps.adeAnchors ?? [],
      catalog: () => deps.catalogs.view(),
      lookup: deps.depLookup,
      logger: deps.logger,
      async profile({ removable }) {
        const topic = (await deps.store.getPushCert())?.topic ?? deps.config.pushTopic ?? PLACEHOLDER_TOPIC;
        const profile = buildEnrollmentProfile({
          publicUrl: deps.config.publicUrl, topic, challenge: pki.challenges.staticChallenge, uuidSeed: pki.ca.certDer,
          caFingerprint: pki.ca.fingerprintSha1, removalDisallowed: !removable,
        });
        return signProfile(profile, pki.profileSigner);
      },
    };
    void app.register(async (scope) => {
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
      scope.post(ADE_ENROLL_PATH, async (req, reply) => {
        const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const answer = await adeEnroll(enrollDeps, body);
        if ('profile' in answer) return reply.code(200).type(PROFILE_CONTENT_TYPE).send(answer.profile);
        if ('updateRequired' in answer) return reply.code(403).type('application/json').send(answer.updateRequired);
        req.log.warn({ reason: answer.reason }, 'ADE enrollment refused');
        return reply.code(answer.status).type('application/json').send({ error: answer.reason });
      });
      scope.get(ADE_ENROLL_PATH, async (_req, reply) =>
        reply.code(405).header('allow', 'POST').type('application/json').send({ error: 'POST the device\'s CMS-signed MachineInfo (Content-Type application/pkcs7-signature)' }),
      );
    });
  }

  const Scope = Type.Object({ dep_name: Type.String({ minLength: 1, maxLength: 200 }) });
  const Page = Type.Object({
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
    after: Type.Optional(Type.String({ description: 'Only UDIDs sorting after this one' })),
  });
  apiScope(app, deps, (api) => {
    const put = async (depName: string | null, body: unknown) => {
      try {
        return { stored: await saveAdeSettings(deps.store, depName, body ?? {}), effective: await effectiveAdeSettings(deps.store, depName) };
      } catch (e) {
        if (e instanceof AdeSettingsError) throw new ApiError(400, e.message);
        throw e;
      }
    };
    const get = async (depName: string | null) => ({ stored: await storedAdeSettings(deps.store, depName), effective: await effectiveAdeSettings(deps.store, depName) });
    const tags = ['ADE'];
    api.get('/v1/ade/settings', { schema: { summary: 'ADE enrollment settings (global): minimum OS per platform, unknown serials, supervision, removability, Await Configuration commands', tags } }, () => get(null));
    api.put('/v1/ade/settings', { schema: { summary: 'Replace the global ADE enrollment settings', tags } }, (req) => put(null, req.body));
    api.get('/v1/ade/settings/:dep_name', { schema: { summary: 'ADE enrollment settings of one DEP name (over the global ones)', tags, params: Scope } }, (req) => get(req.params.dep_name));
    api.put('/v1/ade/settings/:dep_name', { schema: { summary: 'Replace the ADE enrollment settings of one DEP name', tags, params: Scope } }, (req) => put(req.params.dep_name, req.body));
    api.get('/v1/ade/enrollments', { schema: { summary: 'Devices that fetched their profile through ADE, by UDID', tags, querystring: Page } }, async (req) => ({
      enrollments: (await deps.store.listAdeEnrollments({ limit: req.query.limit, after: req.query.after })).map(adeEnrollmentJson),
    }));
    api.get('/v1/ade/enrollments/:udid', { schema: { summary: 'One device\'s ADE enrollment', tags, params: Type.Object({ udid: Type.String({ minLength: 1 }) }) } }, async (req) => {
      const r = await deps.store.getAdeEnrollment(req.params.udid);
      if (!r) throw new ApiError(404, `no ADE enrollment for ${req.params.udid}`);
      return adeEnrollmentJson(r);
    });
  });
}
