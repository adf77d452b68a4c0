// The MDM endpoints devices talk to: /mdm (check-in or command channel, told apart by Content-Type as
// NanoMDM does), /checkin, and MicroMDM's /mdm/checkin and /mdm/connect. Never answers 401 (it unenrolls).
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ProtocolError, parseCheckin, parseReport } from '../mdm/index.js';
import { PlistError, parseAnyPlist } from '../plist/index.js';
import { ServiceError, type RequestMeta } from '../service/types.js';
import type { AppDeps } from './app.js';
import { storageFault } from '../storage/errors.js';
import { BURST_SECONDS, DEFAULT_DEVICE_RATE, rateLimiter } from './rate-limit.js';

type Channel = 'checkin' | 'command';
type Route = Channel | 'auto';

const CHECKIN_TYPE = 'application/x-apple-aspen-mdm-checkin';
const COMMAND_TYPE = 'application/x-apple-aspen-mdm';
const PLIST_REPLY = 'application/xml; charset=utf-8';
const ROUTES: ReadonlyArray<[string, Route]> = [
  ['/mdm', 'auto'],
  ['/checkin', 'checkin'],
  ['/mdm/checkin', 'checkin'],
  ['/mdm/connect', 'command'],
];

export type IdentityResolver = (req: FastifyRequest) => Promise<{ certHash: string | null }>;

/** The channel a request's Content-Type names: check-in by prefix, everything else (none included) command. */
function channelOf(req: FastifyRequest): { channel: Channel; explicit: boolean } {
  const ct = req.headers['content-type']?.toLowerCase() ?? '';
  if (ct.startsWith(CHECKIN_TYPE)) return { channel: 'checkin', explicit: true };
  return { channel: 'command', explicit: ct.startsWith(COMMAND_TYPE) && (ct.length === COMMAND_TYPE.length || ct[COMMAND_TYPE.length] === ';') };
}

function urlParamsOf(query: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (query && typeof query === 'object') {
    for (const [k, v] of Object.entries(query as Record<string, unknown>)) {
      const first = Array.isArray(v) ? v[0] : v;
      if (typeof first === 'string') out[k] = first;
    }
  }
  return out;
}

/** The HTTP status for an error on an MDM route: 4xx with the reason for bad input, never 401. */
function statusOf(err: FastifyError | Error): number {
  if (err instanceof ServiceError) return err.httpStatus;
  // The database is down (503) or full (507): the device tries again later.
  const fault = storageFault(err);
  if (fault) return fault.status;
  if (err instanceof ProtocolError || err instanceof PlistError) return 400;
  const code = (err as FastifyError).statusCode;
  if (code === 401) return 400;
  return typeof code === 'number' && code >= 400 && code < 600 ? code : 500;
}

export async function registerMdm(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const { service, identity } = deps;
  const perSecond = deps.config.deviceRateLimit ?? DEFAULT_DEVICE_RATE;
  const limiter = rateLimiter({ perSecond, burst: Math.max(1, perSecond * BURST_SECONDS) });

  /** Whether this device is over its request budget: answers 429 with Retry-After if so. */
  function limited(enrollmentId: string, meta: RequestMeta, reply: FastifyReply): boolean {
    const wait = limiter.take(`${meta.certHash ?? '-'} ${enrollmentId}`, meta.at.getTime());
    if (wait === null) return false;
    reply.log.warn({ enrollment: enrollmentId, retryAfter: wait }, 'mdm request refused: device over its request rate');
    void reply.code(429).header('retry-after', String(wait)).type('text/plain; charset=utf-8').send(`too many requests from this device: retry in ${wait} s`);
    return true;
  }

  async function handle(route: Route, req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const { channel: named, explicit } = channelOf(req);
    const channel = route === 'auto' ? named : route;
    if (route !== 'auto' && explicit && named !== route) {
      throw new ServiceError(400, `${req.headers['content-type']} sent to the ${route} endpoint`);
    }
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (raw.length === 0) throw new ProtocolError(`${channel}: empty body`);
    const meta: RequestMeta = {
      raw,
      urlParams: urlParamsOf(req.query),
      certHash: identity ? (await identity(req)).certHash : null,
      at: new Date(),
    };
    const value = parseAnyPlist(raw);
    if (channel === 'checkin') {
      const msg = parseCheckin(value);
      if (limited(msg.enrollment.id, meta, reply)) return;
      const answer = await service.checkin(msg, meta);
      if (answer.body === undefined || answer.body.length === 0) return void reply.code(200).send();
      return void reply.code(200).type(answer.contentType ?? PLIST_REPLY).send(answer.body);
    }
    const report = parseReport(value);
    if (limited(report.enrollment.id, meta, reply)) return;
    const next = await service.report(report, meta);
    if (next === null) return void reply.code(200).send();
    return void reply.code(200).type(PLIST_REPLY).send(next);
  }

  await app.register(async (mdm) => {
    // Devices send plists under several content types, or none at all: take every body as raw bytes
    // (the Mdm-Signature covers the exact bytes). Encapsulated, so the API's JSON parsing is unaffected.
    mdm.removeAllContentTypeParsers();
    mdm.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: deps.config.bodyLimit }, (_req, body, done) => done(null, body));
    mdm.setErrorHandler((err: FastifyError, req, reply) => {
      const status = statusOf(err);
      const fault = storageFault(err);
      if (fault && status >= 500) req.log.error({ err: err.message, url: req.url, reason: fault.reason }, `mdm request failed: ${fault.reason}`);
      else if (status >= 500) req.log.error({ err, url: req.url }, 'mdm request failed');
      else req.log.warn({ url: req.url, status, reason: err.message }, 'mdm request refused');
      if (status === 503 || status === 507) void reply.header('retry-after', '10');
      const reason = fault ? fault.reason : status >= 500 ? 'internal error' : err.message;
      void reply.code(status).type('text/plain; charset=utf-8').send(reason);
    });
    for (const [path, route] of ROUTES) mdm.put(path, (req, reply) => handle(route, req, reply));
  });
}
