// The enrollment profile: GET /mdm/enroll (CMS-signed; ?unsigned=1 for plain XML), and POST for
// Automated Device Enrollment, where the device posts its signed machine info first.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppDeps } from './app.js';
import { PLACEHOLDER_TOPIC, PROFILE_CONTENT_TYPE, buildEnrollmentProfile, signProfile } from '../enroll/profile.js';

export const ENROLL_PATH = '/mdm/enroll';
export const TOPIC_WARNING = `no push certificate imported yet: the profile carries the placeholder topic ${PLACEHOLDER_TOPIC}, which devices cannot enroll with; import one with PUT /v1/pushcert`;

const truthy = (v: string | undefined): boolean => v !== undefined && !['', '0', 'false', 'no'].includes(v.toLowerCase());

export function registerEnroll(app: FastifyInstance, deps: AppDeps): void {
  const pki = deps.pki;
  if (!pki) return;
  async function serve(req: FastifyRequest<{ Querystring: { unsigned?: string } }>, reply: FastifyReply): Promise<void> {
    const topic = (await deps.store.getPushCert())?.topic ?? deps.config.pushTopic ?? null;
    const profile = buildEnrollmentProfile({
      publicUrl: deps.config.publicUrl,
      topic,
      challenge: pki!.challenges.staticChallenge,
      uuidSeed: pki!.ca.certDer,
    });
    if (!topic) {
      req.log.warn(TOPIC_WARNING);
      reply.header('x-updraft-warning', TOPIC_WARNING);
    }
    const body = truthy(req.query.unsigned) ? profile : signProfile(profile, pki!.profileSigner);
    void reply
      .code(200)
      .type(PROFILE_CONTENT_TYPE)
      .header('content-disposition', 'attachment; filename="enroll.mobileconfig"')
      .send(body);
  }
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    scope.get(ENROLL_PATH, serve);
    scope.post(ENROLL_PATH, serve);
  });
}
