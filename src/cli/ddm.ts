// `updraft ddm …`: Declarative Device Management through the running server's API (/v1/ddm).
//   ddm types | list [--type T] | get ID | put FILE|- | delete ID
//   ddm sets | set NAME [ID…] | set-add NAME ID… | set-remove NAME ID… | set-delete NAME
//   ddm assign SET ENROLLMENT… | unassign SET ENROLLMENT…
//   ddm show ENROLLMENT | status ENROLLMENT [--prefix P] [--history NAME] | sync ENROLLMENT
//   ddm asset NAME FILE [--content-type T]
// Every command prints the server's JSON answer.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { API_KEY_FILE } from '../secrets.js';
import { CliError } from './pushcert.js';
import { defaultServer } from './profile.js';

interface Conn {
  server: string;
  apiKey?: string;
  dataDir?: string;
}

function apiKey(c: Conn): string {
  if (c.apiKey) return c.apiKey;
  const file = c.dataDir ? join(c.dataDir, API_KEY_FILE) : null;
  if (file && existsSync(file)) return readFileSync(file, 'utf8').trim();
  throw new CliError("no API key: pass --api-key, set UPDRAFT_API_KEY, or point --data-dir at the server's data directory");
}

const seg = encodeURIComponent;

async function call(c: Conn, method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(new URL(path, c.server), {
      method,
      headers: { authorization: `Bearer ${apiKey(c)}`, ...(body === undefined ? {} : { 'content-type': contentType }) },
      body: body === undefined ? undefined : Buffer.isBuffer(body) ? new Uint8Array(body) : JSON.stringify(body),
    });
  } catch (err) {
    throw new CliError(`cannot reach the server at ${c.server}: ${(err as Error).cause ?? (err as Error).message}`);
  }
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    throw new CliError(`the server answered ${res.status}: ${text.slice(0, 200)}`);
  }
  if (!res.ok) {
    const e = json as { error?: string; field?: string } | null;
    throw new CliError(`refused (${res.status}): ${e?.error ?? text}${e?.field ? ` [${e.field}]` : ''}`);
  }
  return json;
}

function readInput(file: string): Buffer {
  try {
    return readFileSync(file === '-' ? 0 : file);
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`);
  }
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readInput(file).toString('utf8'));
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`${file} is not JSON: ${(err as Error).message}`);
  }
}

/** Where the commands write (the process's stdout and stderr unless a caller passes others). */
export interface CliOutput {
  out(text: string): void;
  err(text: string): void;
}

const STDIO: CliOutput = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

export function register(program: Command, io: CliOutput = STDIO): void {
  const ddm = program
    .command('ddm')
    .description('declarative device management: declarations, sets, assignments and device status')
    .option('--server <url>', 'server base URL (env UPDRAFT_SERVER)', defaultServer())
    .option('--api-key <key>', 'API key (env UPDRAFT_API_KEY)', process.env.UPDRAFT_API_KEY)
    .option('--data-dir <dir>', 'read the API key from this data directory (env UPDRAFT_DATA_DIR)', process.env.UPDRAFT_DATA_DIR);

  /** A subcommand whose action returns what to print. */
  function sub(spec: string, description: string, run: (c: Conn, args: string[], opts: Record<string, string>) => Promise<unknown>): Command {
    return ddm
      .command(spec)
      .description(description)
      .action(async (...all: unknown[]) => {
        const cmd = all[all.length - 1] as Command;
        const args = all.slice(0, -2).flatMap((a) => (Array.isArray(a) ? (a as string[]) : [a as string]));
        try {
          const out = await run(ddm.opts<Conn>(), args, cmd.opts<Record<string, string>>());
          io.out(JSON.stringify(out, null, 2) + '\n');
        } catch (err) {
          if (!(err instanceof CliError)) throw err;
          io.err(`updraft ddm ${cmd.name()}: ${err.message}\n`);
          process.exitCode = 1;
        }
      });
  }

  sub('types', "list the declaration types of Apple's schema", (c) => call(c, 'GET', '/v1/ddm/types'));
  sub('list', 'list declarations', (c, _a, o) => call(c, 'GET', `/v1/ddm/declarations${o.type ? `?type=${seg(o.type)}` : ''}`))
    .option('--type <type>', 'only this declaration type');
  sub('get <identifier>', 'show a declaration', (c, [id]) => call(c, 'GET', `/v1/ddm/declarations/${seg(id!)}`));
  sub('put <file>', 'create or replace a declaration from a JSON file ({Type, Identifier, Payload}; - for stdin)', (c, [file]) =>
    call(c, 'PUT', '/v1/ddm/declarations', readJson(file!)));
  sub('delete <identifier>', 'delete a declaration (it leaves every set)', (c, [id]) => call(c, 'DELETE', `/v1/ddm/declarations/${seg(id!)}`));

  sub('sets', 'list declaration sets', (c) => call(c, 'GET', '/v1/ddm/sets'));
  sub('set <name> [identifiers...]', 'create a set or replace its declarations', (c, [name, ...ids]) =>
    call(c, 'PUT', `/v1/ddm/sets/${seg(name!)}`, { declarations: ids }));
  sub('set-add <name> <identifiers...>', 'add declarations to a set', (c, [name, ...ids]) =>
    call(c, 'POST', `/v1/ddm/sets/${seg(name!)}/declarations`, { add: ids }));
  sub('set-remove <name> <identifiers...>', 'remove declarations from a set', (c, [name, ...ids]) =>
    call(c, 'POST', `/v1/ddm/sets/${seg(name!)}/declarations`, { remove: ids }));
  sub('set-delete <name>', 'delete a set', (c, [name]) => call(c, 'DELETE', `/v1/ddm/sets/${seg(name!)}`));

  sub('assign <set> <enrollments...>', 'assign a set to enrollments', (c, [name, ...ids]) =>
    call(c, 'POST', `/v1/ddm/sets/${seg(name!)}/enrollments`, { assign: ids }));
  sub('unassign <set> <enrollments...>', 'unassign a set from enrollments', (c, [name, ...ids]) =>
    call(c, 'POST', `/v1/ddm/sets/${seg(name!)}/enrollments`, { unassign: ids }));

  sub('show <enrollment>', "an enrollment's sets, sync tokens and declarations with their status", (c, [id]) =>
    call(c, 'GET', `/v1/ddm/enrollments/${seg(id!)}`));
  sub('status <enrollment>', "an enrollment's latest status items (or one item's history)", (c, [id], o) =>
    o.history
      ? call(c, 'GET', `/v1/ddm/enrollments/${seg(id!)}/status/history?name=${seg(o.history)}`)
      : call(c, 'GET', `/v1/ddm/enrollments/${seg(id!)}/status${o.prefix ? `?prefix=${seg(o.prefix)}` : ''}`))
    .option('--prefix <prefix>', 'only items whose name starts with this (e.g. softwareupdate.)')
    .option('--history <name>', "this item's changes, newest first");
  sub('sync <enrollment>', 'send a DeclarativeManagement command now (enables DDM, forces a sync)', (c, [id]) =>
    call(c, 'POST', `/v1/ddm/enrollments/${seg(id!)}/sync`));

  sub('asset <name> <file>', 'upload asset data (served at /ddm/assets/<name>)', (c, [name, file], o) =>
    call(c, 'PUT', `/v1/ddm/assets/${seg(name!)}`, readInput(file!), o.contentType ?? 'application/octet-stream'))
    .option('--content-type <type>', 'media type of the data', 'application/octet-stream');
}
