// `updraft ddm …`: Declarative Device Management through the running server's API (/v1/ddm).
//   ddm types | list [--type T] | get ID | put FILE|- | delete ID
//   ddm sets | set NAME [ID…] | set-add NAME ID… | set-remove NAME ID… | set-delete NAME
//   ddm assign SET ENROLLMENT… | unassign SET ENROLLMENT…
//   ddm show ENROLLMENT | status ENROLLMENT [--prefix P] [--history NAME] | sync ENROLLMENT
//   ddm asset NAME FILE [--content-type T]
// Every command prints the server's JSON answer.
import type { Command } from 'commander';
import { ApiClient, CliError, clientOptions, readInput, type ClientOptions } from './client.js';
import { action, STDIO, type CliOutput } from './output.js';

const seg = encodeURIComponent;

async function call(c: ClientOptions, method: string, path: string, body?: object | Buffer, contentType?: string): Promise<unknown> {
  const headers = contentType ? { 'content-type': contentType } : undefined;
  return (await new ApiClient(c).request(method, path, body, { headers })).body;
}

function readJson(file: string): object {
  let v: unknown;
  try {
    v = JSON.parse(readInput(file).toString('utf8'));
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`${file} is not JSON: ${(err as Error).message}`);
  }
  if (typeof v !== 'object' || v === null) throw new CliError(`${file} must hold a JSON object ({Type, Identifier, Payload})`);
  return v;
}

export function register(program: Command, io: CliOutput = STDIO): void {
  const ddm = program
    .command('ddm')
    .description('declarative device management: declarations, sets, assignments and device status');
  clientOptions(ddm, { json: false });

  /** A subcommand whose action returns what to print. */
  function sub(spec: string, description: string, run: (c: ClientOptions, args: string[], opts: Record<string, string>) => Promise<unknown>): Command {
    return ddm
      .command(spec)
      .description(description)
      .action(
        action(async (...all: unknown[]) => {
          const cmd = all[all.length - 1] as Command;
          const args = all.slice(0, -2).flatMap((a) => (Array.isArray(a) ? (a as string[]) : [a as string]));
          io.out(JSON.stringify(await run(ddm.opts<ClientOptions>(), args, cmd.opts<Record<string, string>>()), null, 2) + '\n');
        }, io),
      );
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
    call(c, 'PUT', `/v1/ddm/assets/${seg(name!)}`, readInput(file!), o.contentType))
    .option('--content-type <type>', 'media type of the data', 'application/octet-stream');
}
