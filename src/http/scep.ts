// SCEP (RFC 8894) at /scep: GetCACaps, GetCACert, GetNextCACert (404: no rollover CA), and PKIOperation
// by GET (base64 message) or POST (DER body).
// Malformed messages get 400 with a reason; never 401 on this MDM endpoint. PKIOperations pass a gate
// (gate.ts): 4 at a time, 512 waiting, beyond that 503 with Retry-After.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppDeps } from './app.js';
import { MalformedScep } from '../pki/scep/message.js';
import type { ScepServer } from '../pki/scep/server.js';
import { Gate } from './gate.js';

export const SCEP_PATHS = ['/scep', '/scep/pkiclient.exe'];
const PKI_MESSAGE = 'application/x-pki-message';

interface ScepQuery {
  operation?: string;
  message?: string;
}

function refuse(reply: FastifyReply, reason: string): void {
  void reply.code(400).type('text/plain; charset=utf-8').send(reason + '\n');
}

/**
 * The base64 message of a GET PKIOperation. The query parser has already percent-decoded it and turned
 * unescaped '+' into spaces (clients often leave '+' raw), so spaces become '+' again; base64url is accepted.
 */
function getMessage(message: string | undefined): Buffer | null {
  if (!message) return null;
  const b64 = message.replace(/ /g, '+').replace(/\s/g, '').replace(/-/g, '+').replace(/_/g, '/');
  if (!/^[A-Za-z0-9+/]+=*$/.test(b64)) return null;
  const der = Buffer.from(b64, 'base64');
  return der.length > 0 ? der : null;
}

/** PKIOperations in flight and waiting: a fleet re-enrolling at once is served a few at a time. */
export const SCEP_CONCURRENCY = 4;
export const SCEP_QUEUE = 512;
/** Seconds a turned-away client is told to wait before retrying. */
export const SCEP_RETRY_AFTER = 10;

async function pkiOperation(scep: ScepServer, gate: Gate, der: Buffer, req: FastifyRequest, reply: FastifyReply): Promise<void> {
  try {
    const result = await gate.run(() => scep.pkiOperation(der));
    if (!result) {
      req.log.warn(gate.load, 'scep: PKIOperation queue full, asked to retry');
      return void reply.code(503).header('retry-after', String(SCEP_RETRY_AFTER)).type('text/plain; charset=utf-8').send('too many enrollments at once: retry later\n');
    }
    void reply.code(200).type(PKI_MESSAGE).send(result.body);
  } catch (e) {
    if (!(e instanceof MalformedScep)) throw e;
    req.log.warn({ reason: e.message }, 'scep: malformed PKIOperation');
    refuse(reply, `malformed SCEP message: ${e.message}`);
  }
}

export function registerScep(app: FastifyInstance, deps: AppDeps): void {
  const scep = deps.pki?.scep;
  if (!scep) return;
  const gate = new Gate(SCEP_CONCURRENCY, SCEP_QUEUE);
  void app.register(async (scope) => {
    // POSTed messages arrive as application/x-pki-message, application/octet-stream or anything else.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    for (const path of SCEP_PATHS) {
      scope.get<{ Querystring: ScepQuery }>(path, async (req, reply) => {
        const { operation } = req.query;
        if (operation === 'GetCACaps') return void reply.code(200).type('text/plain; charset=utf-8').send(scep.caps());
        if (operation === 'GetCACert') return void reply.code(200).type('application/x-x509-ca-cert').send(scep.caCert());
        // RFC 8894 §3.5.2: without a rollover CA the request is rejected (and GetCACaps does not offer it).
        if (operation === 'GetNextCACert') return void reply.code(404).type('text/plain; charset=utf-8').send('no rollover CA certificate: this CA has no next CA certificate to announce\n');
        if (operation === 'PKIOperation') {
          const der = getMessage(req.query.message);
          if (!der) return refuse(reply, 'PKIOperation by GET needs a base64 "message" parameter');
          return pkiOperation(scep, gate, der, req, reply);
        }
        refuse(reply, operation ? `unsupported SCEP operation ${JSON.stringify(operation)}` : 'missing "operation" parameter');
      });
      // Some clients (mdmb) also repeat the message, percent-encoded, in the query string: the body wins.
      scope.post<{ Querystring: ScepQuery }>(path, async (req, reply) => {
        if (req.query.operation !== 'PKIOperation') return refuse(reply, 'POST supports only operation=PKIOperation');
        const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        if (body.length === 0) return refuse(reply, 'PKIOperation by POST needs the message as the body');
        return pkiOperation(scep, gate, body, req, reply);
      });
    }
  });
}
