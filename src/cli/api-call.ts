// API calls whose refusals the user acts on field by field (campaigns, tags): a 4xx/5xx answer is
// printed as "error: <field>: <reason>" (the API's own words) and the command exits 1. Trouble
// before the API answers (no server, no key) keeps the CLI's "updraft: <reason>".
import type { ApiClient } from './client.js';
import { CliError } from './client.js';
import { action, STDIO, type CliOutput } from './output.js';

/** The API refused the request; the message is the line to print. */
export class ApiRefusal extends CliError {
  constructor(readonly status: number, readonly field: string | null, readonly reason: string) {
    super(`error: ${field ? `${field}: ${reason}` : reason}`);
  }
}

/** The reason without the field the API may already have put in front of it ("deadline: …", "querystring state …"). */
function reasonOf(field: string | null, message: string): string {
  if (!field) return message;
  for (const lead of [`${field}: `, `${field} `]) if (message.startsWith(lead)) return message.slice(lead.length);
  return message;
}

/** Calls the API and answers the body of a 2xx; anything else throws an ApiRefusal. */
export async function call(client: ApiClient, method: string, path: string, body?: object): Promise<unknown> {
  const res = await client.request(method, path, body, { accept: () => true });
  if (res.status < 300) return res.body;
  const e = res.body as { error?: unknown; message?: unknown; field?: unknown } | string | null;
  let message = typeof e === 'string' && e ? e.slice(0, 300) : `${res.status}`;
  let field: string | null = null;
  if (e && typeof e === 'object') {
    if (typeof e.field === 'string' && e.field) field = e.field;
    // fastify's own answers (an unknown route) put the words in "message".
    if (typeof e.error === 'string') message = typeof e.message === 'string' && res.status === 404 && !field ? e.message : e.error;
  }
  throw new ApiRefusal(res.status, field, reasonOf(field, message));
}

/** A command action: ApiRefusals print their line and exit 1; other CliErrors print "updraft: …" (output.ts). */
export function run<A extends unknown[]>(fn: (...args: A) => Promise<void>, io: CliOutput = STDIO): (...args: A) => Promise<void> {
  return action(async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      if (!(err instanceof ApiRefusal)) throw err;
      io.err(`${err.message}\n`);
      process.exitCode = 1;
    }
  }, io);
}
