// The enrollment profile: GET /mdm/enroll (CMS-signed; ?unsigned=1 for plain XML), and POST for
// Automated Device Enrollment, where the device posts its signed machine info first.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppDeps } from './app.js';
import { PLACEHOLDER_TOPIC, PROFILE_CONTENT_TYPE, buildEnrollmentProfile, signProfile } from '../enroll/profile.js';

export const ENROLL_PATH = '/mdm/enroll';
export const TOPIC_WARNING = `no push certificate imported yet: the profile carries the placeholder topic ${PLACEHOLDER_TOPIC}, which devices cannot enroll with; import one with PUT /v1/pushcert`;

/** How long one built (and signed) profile is served before it is built again. */
const PROFILE_CACHE_MS = 5 * 60_000;

const truthy = (v: string | undefined): boolean => v !== undefined && !['', '0', 'false', 'no'].includes(v.toLowerCase());

export function registerEnroll(app: FastifyInstance, deps: AppDeps): void {
  const pki = deps.pki;
  if (!pki) return;
  // The signed profile changes only with the push topic: keep it a few minutes instead of signing per download.
  const cache = new Map<string, { body: Buffer; until: number }>();
  function profileFor(topic: string | null, unsigned: boolean): Buffer {
    const key = `${unsigned ? 'u' : 's'}:${topic ?? ''}`;
    const now = Date.now();
    const hit = cache.get(key);
    if (hit && hit.until > now) return hit.body;
    const profile = buildEnrollmentProfile({
      publicUrl: deps.config.publicUrl,
      topic,
      challenge: pki!.challenges.staticChallenge,
      uuidSeed: pki!.ca.certDer,
      caFingerprint: pki!.ca.fingerprintSha1,
    });
    const body = unsigned ? profile : signProfile(profile, pki!.profileSigner);
    if (cache.size > 8) cache.clear();
    cache.set(key, { body, until: now + PROFILE_CACHE_MS });
    return body;
  }
  async function serve(req: FastifyRequest<{ Querystring: { unsigned?: string } }>, reply: FastifyReply): Promise<void> {
    const topic = (await deps.store.getPushCert())?.topic ?? deps.config.pushTopic ?? null;
    if (!topic) {
      req.log.warn(TOPIC_WARNING);
      reply.header('x-updraft-warning', TOPIC_WARNING);
    }
    void reply
      .code(200)
      .type(PROFILE_CONTENT_TYPE)
      .header('content-disposition', 'attachment; filename="enroll.mobileconfig"')
      .send(profileFor(topic, truthy(req.query.unsigned)));
  }
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    scope.get(ENROLL_PATH, serve);
    scope.post(ENROLL_PATH, serve);
  });
}
