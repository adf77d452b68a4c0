// `updraft certs list [--enrollment-id ID] [--limit N] [--offset N] [--json]` and
// `updraft certs revoke SERIAL [--json]`: the certificates the server's SCEP CA issued
// (GET /v1/certificates, POST /v1/certificates/{serial}/revoke).
import type { Command } from 'commander';
import { ApiClient, CliError, clientOptions, type ClientOptions } from './client.js';
import { action, printJson, shortTime, table } from './output.js';

interface CertJson {
  serial: string;
  subject: string;
  not_after: string;
  enrollment_id: string | null;
  issued_at: string;
  revoked_at: string | null;
}

interface ListOptions extends ClientOptions {
  enrollmentId?: string;
  limit?: string;
  offset?: string;
}

function whole(name: string, value: string | undefined): string | undefined {
  if (value !== undefined && !/^\d+$/.test(value)) throw new CliError(`--${name} must be a whole number, got ${value}`);
  return value;
}

function rows(certs: CertJson[]): string {
  return table(
    ['SERIAL', 'SUBJECT', 'ENROLLMENT', 'ISSUED', 'EXPIRES', 'REVOKED'],
    certs.map((c) => [c.serial, c.subject, c.enrollment_id, shortTime(c.issued_at), shortTime(c.not_after), shortTime(c.revoked_at)]),
  );
}

export function register(program: Command): void {
  const certs = program.command('certs').description('certificates issued by the SCEP CA: list them, revoke one');

  clientOptions(
    certs
      .command('list')
      .description('list issued certificates, newest first')
      .option('--enrollment-id <id>', 'only the certificates of this enrollment')
      .option('--limit <n>', 'at most this many (server default 100, at most 1000)')
      .option('--offset <n>', 'skip this many'),
  ).action(
    action(async (opts: ListOptions) => {
      const q = new URLSearchParams();
      if (opts.enrollmentId) q.set('enrollment_id', opts.enrollmentId);
      const limit = whole('limit', opts.limit);
      const offset = whole('offset', opts.offset);
      if (limit !== undefined) q.set('limit', limit);
      if (offset !== undefined) q.set('offset', offset);
      const path = `/v1/certificates${q.size ? `?${q}` : ''}`;
      const { body } = await new ApiClient(opts).request('GET', path);
      if (opts.json) return printJson(body);
      const list = (body as { certificates: CertJson[] }).certificates;
      console.log(list.length ? rows(list) : 'no certificates');
    }),
  );

  clientOptions(
    certs
      .command('revoke <serial>')
      .description('revoke a certificate: MDM requests identified by it are refused from then on, and it cannot renew'),
  ).action(
    action(async (serial: string, opts: ClientOptions) => {
      const { body } = await new ApiClient(opts).request('POST', `/v1/certificates/${encodeURIComponent(serial)}/revoke`);
      if (opts.json) return printJson(body);
      const c = body as CertJson;
      console.log(`revoked ${c.serial} (${c.subject}) at ${shortTime(c.revoked_at)}`);
    }),
  );
}
