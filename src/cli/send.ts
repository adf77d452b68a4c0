// What `updraft os-update` and `updraft cmd` share: queue a command built and checked here (sent raw, as
// NanoMDM's PUT /v1/enqueue takes it), wait for every enrollment's result, and print outcomes with the
// device errors explained.
import type { Command } from 'commander';
import type { ExplainedError, TypedResult, WireCommand } from '../commands/index.js';
import { ApiClient, CliError } from './client.js';
import { printJson, table, type Cell } from './output.js';

export interface SendOptions {
  nopush?: boolean;
  expiresIn?: string;
  wait?: boolean;
  timeout?: string;
  json?: boolean;
}

/** Adds --wait, --timeout, --nopush and --expires-in. */
export function sendOptions(cmd: Command): Command {
  return cmd
    .option('--wait', 'wait for every enrollment to answer and print the results')
    .option('--timeout <seconds>', 'with --wait: give up after this many seconds (default 60); the command stays queued')
    .option('--nopush', 'queue only; devices get it at their next check-in')
    .option('--expires-in <seconds>', 'drop the command if not sent within this many seconds');
}

/** Enrollment IDs as given: space- or comma-separated, each once. */
export function idList(args: readonly string[]): string[] {
  const ids = [...new Set(args.flatMap((a) => a.split(',')).map((s) => s.trim()).filter(Boolean))];
  if (ids.length === 0) throw new CliError('give at least one enrollment ID');
  return ids;
}

export function positiveInt(value: string | undefined, flag: string, { zero = false } = {}): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || (!zero && Number(value) === 0)) {
    throw new CliError(`${flag} must be a ${zero ? 'whole number' : 'positive whole number'}, got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

interface NanoResult {
  status?: Record<string, { push_result?: string; push_error?: string; command_error?: string }>;
  no_push?: boolean;
  command_uuid?: string;
  request_type?: string;
}

/** One enrollment's entry of GET /v1/commands/{uuid}/results. */
export interface ResultEntry {
  enrollment_id: string;
  status: string;
  result_typed: TypedResult | null;
}

export interface Outcome {
  uuid: string;
  requestType: string;
  /** The enrollments the command was queued for (unknown IDs are reported and left out). */
  queued: string[];
  /** With --wait: every queued enrollment's entry, answered or not. */
  results: ResultEntry[] | null;
}

/**
 * Queues `command` for `ids` and pushes (unless --nopush); with --wait, polls until each enrollment has
 * answered or the timeout passes. Prints nothing; throws when no enrollment took the command.
 */
export async function send(client: ApiClient, ids: string[], command: WireCommand, opts: SendOptions): Promise<Outcome & { enqueue: NanoResult }> {
  const expiresIn = positiveInt(opts.expiresIn, '--expires-in');
  const timeout = positiveInt(opts.timeout, '--timeout') ?? 60;
  const q = new URLSearchParams();
  if (opts.nopush) q.set('nopush', '1');
  if (expiresIn !== undefined) q.set('expires_in', String(expiresIn));
  const path = `/v1/enqueue/${ids.map(encodeURIComponent).join(',')}${q.size ? `?${q}` : ''}`;
  const res = await client.request('PUT', path, command.xml, { accept: (s) => [200, 207, 500].includes(s) });
  const enqueue = res.body as NanoResult;
  const refused = enqueue.status ?? {};
  const queued = ids.filter((id) => !refused[id]?.command_error);
  if (queued.length === 0) {
    throw new CliError(`not queued: ${ids.map((id) => `${id}: ${refused[id]?.command_error ?? 'refused'}`).join('; ')}`);
  }
  const outcome = { uuid: command.uuid, requestType: command.requestType, queued, results: null, enqueue };
  if (!opts.wait) return outcome;
  return { ...outcome, results: await waitFor(client, command.uuid, queued, timeout) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls the results route until no enrollment's command is still queued, or `timeout` seconds pass. */
export async function waitFor(client: ApiClient, uuid: string, ids: string[], timeout: number): Promise<ResultEntry[]> {
  const deadline = Date.now() + timeout * 1000;
  let delay = 250;
  for (;;) {
    const { body } = await client.request('GET', `/v1/commands/${encodeURIComponent(uuid)}/results`);
    const entries = ((body as { enrollments: ResultEntry[] }).enrollments ?? []).filter((e) => ids.includes(e.enrollment_id));
    if (entries.every((e) => e.status !== 'queued') || Date.now() >= deadline) return entries;
    await sleep(Math.min(delay, Math.max(0, deadline - Date.now())));
    delay = Math.min(delay * 2, 2000);
  }
}

/** What the human output says after queueing, without --wait. */
export function printQueued(o: Outcome & { enqueue: NanoResult }, ids: string[]): void {
  const status = o.enqueue.status ?? {};
  console.log(`${o.requestType} ${o.uuid}`);
  const push = (id: string) => (o.enqueue.no_push ? 'not requested' : status[id]?.push_error ? `failed: ${status[id]!.push_error}` : 'sent');
  console.log(table(['ID', 'QUEUED', 'PUSH'], ids.map((id) => (status[id]?.command_error ? [id, `no: ${status[id]!.command_error}`, '-'] : [id, 'yes', push(id)]))));
  console.log(`\nresults: updraft results ${o.uuid}   (or add --wait)`);
}

/** "MCMDMErrorDomain 12008: Unsupported InstallAction for this ProductKey". */
export function errorLine(e: ExplainedError): string {
  const where = [e.domain, e.code].filter((x) => x !== null).join(' ');
  return `${where}${e.description ? `: ${e.description.trim()}` : ''}`;
}

/** The first error of a chain as a short table cell; the whole chain is printed under the table. */
export const errorCell = (chain: ExplainedError[] | null | undefined): string =>
  chain?.length ? `error ${[chain[0]!.domain, chain[0]!.code].filter((x) => x !== null).join(' ')}` : '';

/** Each error under the table: the device's words, and what it means and what to do when known. */
export function printExplanations(entries: Array<{ id: string; chain: ExplainedError[] | null | undefined }>): void {
  for (const { id, chain } of entries) {
    for (const e of chain ?? []) {
      const advice = e.explanation ? `\n  ${e.explanation}${e.action ? `\n  What to do: ${e.action}` : ''}` : '';
      console.log(`\n${id}: ${errorLine(e)}${advice}`);
    }
  }
}

/**
 * Prints waited-for results: the API's JSON with --json, else one table (rows from `rows` for answered
 * enrollments, a status row for the others) and the explanations of device errors. Throws (exit 1) when
 * some enrollment did not answer in time or answered with an error.
 */
export function printResults(
  o: Outcome,
  json: boolean,
  headers: string[],
  rows: (id: string, typed: TypedResult) => Cell[][],
  details?: (id: string, typed: TypedResult) => string | null,
): void {
  const results = o.results ?? [];
  if (json) printJson({ command_uuid: o.uuid, request_type: o.requestType, enrollments: results });
  else {
    const body: Cell[][] = [];
    const errors: Array<{ id: string; chain: ExplainedError[] | null }> = [];
    const blank = (id: string, text: string): Cell[] => [id, text, ...headers.slice(2).map(() => '')];
    for (const e of results) {
      const t = e.result_typed;
      if (e.status === 'queued') body.push(blank(e.enrollment_id, 'no answer yet (still queued)'));
      else if (e.status === 'acknowledged' && t) {
        const r = rows(e.enrollment_id, t);
        body.push(...(r.length ? r : [blank(e.enrollment_id, 'none')]));
        const nested = collectChains(t.response);
        if (nested.length) errors.push(...nested.map((chain) => ({ id: e.enrollment_id, chain })));
      } else if (t?.error_chain?.length) {
        body.push(blank(e.enrollment_id, errorCell(t.error_chain)));
        errors.push({ id: e.enrollment_id, chain: t.error_chain });
      } else body.push(blank(e.enrollment_id, e.status));
    }
    console.log(`${o.requestType} ${o.uuid}`);
    console.log(table(headers, body));
    for (const e of results) {
      const more = e.status === 'acknowledged' && e.result_typed && details?.(e.enrollment_id, e.result_typed);
      if (more) console.log(`\n${more}`);
    }
    printExplanations(errors);
    for (const e of results) {
      for (const w of e.result_typed?.warnings ?? []) console.log(`\n${e.enrollment_id}: note: ${w}`);
    }
  }
  const late = results.filter((e) => e.status === 'queued').length;
  const failed = results.filter((e) => e.status !== 'queued' && e.status !== 'acknowledged').length;
  if (late) throw new CliError(`${late} of ${results.length} enrollments did not answer in time; the command stays queued (updraft results ${o.uuid})`);
  if (failed) throw new CliError(`${failed} of ${results.length} enrollments answered with an error`);
}

/** ErrorChains inside a typed response (UpdateResults[].error_chain, OSUpdateStatus[].error_chain). */
function collectChains(v: unknown): ExplainedError[][] {
  if (Array.isArray(v)) return v.flatMap(collectChains);
  if (typeof v !== 'object' || v === null) return [];
  const out: ExplainedError[][] = [];
  for (const [k, x] of Object.entries(v)) {
    if (k === 'error_chain' && Array.isArray(x) && x.length) out.push(x as ExplainedError[]);
    else out.push(...collectChains(x));
  }
  return out;
}
