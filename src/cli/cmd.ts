// `updraft cmd <RequestType> IDS… [--key value…]`: any command of Apple's schema, its keys as flags typed
// from the catalog, checked locally (clear errors, close matches), queued raw and pushed; --wait prints
// each device's typed result. `--list` and `--help <RequestType>` describe the catalog.
import { statSync } from 'node:fs';
import type { Command } from 'commander';
import {
  buildCommand, commandKeys, commandSpec, CommandValidationError, fromMicroMDMJson, listCommands, microMDMName, type CommandSpec, type KeySpec,
  type WireCommand,
} from '../commands/index.js';
import { parseAnyPlist, type PlistDict } from '../plist/index.js';
import { isRecord } from '../commands/validate.js';
import { ApiClient, CliError, readInput } from './client.js';
import { closeMatches, findRequestType, parseCmdArgs, type CmdArgs, type FlagKind, type KeyFlag } from './cmd-args.js';
import { commandHelp, flagName, keyOfFlag, listRows, USAGE } from './cmd-help.js';
import { action, printJson, table } from './output.js';
import { describeProfile } from './profile-file.js';
import { idList, printQueued, printResults, send } from './send.js';

const isFile = (p: string): boolean => {
  if (p === '-') return true;
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
};

/** The command a word names: exactly, or ignoring case; else an error with the closest names. */
export function resolveRequestType(word: string): CommandSpec {
  const all = listCommands();
  const spec = commandSpec(word) ?? all.find((c) => c.requestType.toLowerCase() === word.toLowerCase());
  if (spec) return spec;
  const close = closeMatches(word, all.map((c) => c.requestType));
  throw new CliError(`unknown command ${JSON.stringify(word)}${close.length ? `: did you mean ${close.join(', ')}?` : ''} (updraft cmd --list shows them all)`);
}

/** A file's bytes as base64 (`@path`, `@-` for stdin), or the value itself (taken as base64 already). */
const dataValue = (v: string, what: string): string => (v.startsWith('@') ? readInput(v.slice(1), what).toString('base64') : v);

function jsonValue(v: string, flag: string): unknown {
  try {
    return JSON.parse(v);
  } catch (err) {
    throw new CliError(`--${flag}: not JSON (${(err as Error).message})`);
  }
}

/** A flag's values as MicroMDM JSON (the dialect the schema check reads): strings it converts, JSON for structures. */
function fieldValue(spec: KeySpec, flags: KeyFlag[]): unknown {
  const name = flags[0]!.flag;
  const one = (): string | true => {
    if (flags.length > 1) throw new CliError(`--${name} is given ${flags.length} times; it takes one value`);
    return flags[0]!.value;
  };
  const text = (v: string | true): string => {
    if (v === true) throw new CliError(`--${name} needs a value`);
    return v;
  };
  switch (spec.type) {
    case 'boolean': {
      const v = one();
      return v === true ? true : /^(true|yes|1)$/i.test(v) ? true : /^(false|no|0)$/i.test(v) ? false : v;
    }
    case 'data':
      return dataValue(text(one()), `--${name}`);
    case 'dictionary': {
      const v = text(one());
      if (!v.startsWith('@')) return jsonValue(v, name);
      const bytes = readInput(v.slice(1), `--${name}`);
      return bytes.toString('utf8').trimStart().startsWith('{') ? jsonValue(bytes.toString('utf8'), name) : bytes.toString('base64');
    }
    case 'array': {
      const values = flags.map((f) => text(f.value));
      if (values.length === 1 && values[0]!.trimStart().startsWith('[')) return jsonValue(values[0]!, name);
      const item = spec.items?.length === 1 ? spec.items[0]! : undefined;
      return values.map((v) => (item?.type === 'data' ? dataValue(v, `--${name}`) : item && item.type !== 'string' && /^[[{]/.test(v.trim()) ? jsonValue(v, name) : v));
    }
    case 'any':
      return /^\s*[[{"]/.test(text(one())) ? jsonValue(text(one()), name) : one();
    default:
      return text(one());
  }
}

/** The payload from --json FILE: a JSON object (MicroMDM or Apple names) or a plist dictionary. */
function payloadFile(path: string, spec: CommandSpec): { json?: Record<string, unknown>; plist?: PlistDict } {
  const bytes = readInput(path, 'payload file');
  const text = bytes.toString('utf8').trimStart();
  if (text.startsWith('{')) {
    const json = jsonValue(text, 'json') as Record<string, unknown>;
    const named = json.request_type ?? json.RequestType;
    if (named !== undefined && named !== spec.requestType) throw new CliError(`${path} is a ${String(named)} payload, not ${spec.requestType}`);
    const { request_type: _a, RequestType: _b, ...rest } = json;
    return { json: rest };
  }
  let plist: unknown;
  try {
    plist = parseAnyPlist(bytes);
  } catch (err) {
    throw new CliError(`${path} is neither a JSON object nor a plist: ${(err as Error).message}`);
  }
  if (!isRecord(plist)) throw new CliError(`${path}: the payload must be a dictionary`);
  if (isRecord(plist.Command)) throw new CliError(`${path} is a whole command (CommandUUID, Command): queue it with \`updraft enqueue ID ${path}\``);
  const { RequestType: named, ...rest } = plist as PlistDict;
  if (named !== undefined && named !== spec.requestType) throw new CliError(`${path} is a ${String(named)} payload, not ${spec.requestType}`);
  return { plist: rest };
}

/** Builds the command from --json FILE, --file and the key flags; every error names the flag or key. */
export function buildFromArgs(spec: CommandSpec, a: CmdArgs): WireCommand {
  const keys = commandKeys(spec);
  const unknown = a.keys.filter((k) => !keyOfFlag(keys, k.flag));
  if (unknown.length) {
    const f = unknown[0]!.flag;
    const close = closeMatches(f, keys.filter((k) => k.key !== 'ANY').map((k) => flagName(k.key)));
    const known = keys.filter((k) => k.key !== 'ANY').map((k) => `--${flagName(k.key)}`).join(', ') || 'none';
    throw new CliError(`${spec.requestType} has no key --${f}${close.length ? `: did you mean ${close.map((c) => `--${c}`).join(', ')}?` : ''} (its keys: ${known})`);
  }
  const fromFile = a.opts.payloadFile ? payloadFile(a.opts.payloadFile, spec) : {};
  const fields: Record<string, unknown> = {};
  // Named as MicroMDM's JSON names them, so errors read `updates[0].install_action` whichever way keys came.
  const jsonName = (k: KeySpec) => microMDMName(k.key);
  for (const [name, value] of Object.entries(fromFile.json ?? {})) {
    const k = keyOfFlag(keys, name);
    fields[k ? jsonName(k) : name] = value;
  }
  if (a.opts.file) {
    const data = spec.payload.filter((k) => k.type === 'data');
    if (data.length !== 1) throw new CliError(`--file sets a command's one data key; ${spec.requestType} has ${data.length ? data.map((k) => k.key).join(', ') : 'none'} (use --key @FILE)`);
    const bytes = readInput(a.opts.file, '--file');
    if (bytes.length === 0) throw new CliError(`${a.opts.file} is empty`);
    fields[jsonName(data[0]!)] = bytes.toString('base64');
  }
  const byKey = new Map<KeySpec, KeyFlag[]>();
  for (const f of a.keys) {
    const k = keyOfFlag(keys, f.flag)!;
    byKey.set(k, [...(byKey.get(k) ?? []), f]);
  }
  for (const [k, flags] of byKey) fields[jsonName(k)] = fieldValue(k, flags);
  try {
    if (fromFile.plist) {
      if (Object.keys(fields).length) throw new CliError('a plist payload file cannot be combined with key flags or --file; use a JSON payload file');
      return buildCommand(spec.requestType, fromFile.plist, { uuid: a.opts.commandUuid });
    }
    const { payload } = fromMicroMDMJson({ ...fields, udid: '-', request_type: spec.requestType });
    return buildCommand(spec.requestType, payload, { uuid: a.opts.commandUuid });
  } catch (err) {
    if (err instanceof CommandValidationError) throw new CliError(`${spec.requestType}: ${err.message}`);
    throw err;
  }
}

function kindOf(spec: CommandSpec | null): (flag: string) => FlagKind | undefined {
  return (flag) => {
    const k = spec ? keyOfFlag(commandKeys(spec), flag) : undefined;
    return k ? (k.type === 'boolean' ? 'boolean' : 'value') : undefined;
  };
}

/** The command's schema entry (null when none is named) and its arguments, from the words after `cmd`. */
export function parseTokens(tokens: readonly string[]): { spec: CommandSpec | null; a: CmdArgs } {
  const requestType = findRequestType(tokens, isFile);
  const spec = requestType ? resolveRequestType(requestType) : null;
  return { spec, a: parseCmdArgs(tokens, kindOf(spec), isFile) };
}

async function run(tokens: string[]): Promise<void> {
  const { spec, a } = parseTokens(tokens);
  if (a.opts.list) {
    const all = listCommands();
    if (a.opts.json) printJson(all.map((c) => ({ request_type: c.requestType, title: c.title, os: c.os, has_response: !!c.response })));
    else console.log(table(['REQUEST TYPE', 'RUNS ON', 'ANSWERS WITH DATA'], listRows(all)));
    return;
  }
  if (!spec || a.opts.help) {
    if (!spec) {
      process.stdout.write(USAGE);
      if (!a.opts.help && tokens.length) throw new CliError('give a RequestType (updraft cmd --list)');
      return;
    }
    const { DESCRIPTIONS } = await import('../commands/descriptions.generated.js');
    process.stdout.write(commandHelp(spec, DESCRIPTIONS[spec.requestType]));
    return;
  }
  const command = buildFromArgs(spec, a);
  const ids = idList(a.ids);
  if (spec.requestType === 'InstallProfile' && !a.opts.json) {
    const payload = (command.plist.Command as PlistDict).Payload;
    const info = describeProfile(Buffer.isBuffer(payload) ? payload : Buffer.alloc(0));
    if (info.problem) process.stderr.write(`updraft: warning: the payload does not look like a configuration profile (${info.problem}); sending it anyway\n`);
    else console.log(`profile ${info.identifier} (${info.signed ? 'signed' : 'unsigned'})`);
  }
  const client = new ApiClient(a.opts);
  const outcome = await send(client, ids, command, a.opts);
  if (!a.opts.wait) {
    if (a.opts.json) printJson(outcome.enqueue);
    else printQueued(outcome, ids);
    return;
  }
  printResults(outcome, !!a.opts.json, ['ENROLLMENT', 'RESULT'], (id, t) => [[id, t.status === 'Acknowledged' ? 'acknowledged' : t.status]], (id, t) =>
    t.response && Object.keys(t.response).length ? `${id}:\n${JSON.stringify(t.response, null, 2)}` : null);
}

export function register(program: Command): void {
  program
    .command('cmd')
    .description('send any MDM command of Apple\'s schema, its keys as flags (updraft cmd --list; updraft cmd --help <RequestType>)')
    .usage('<RequestType> ID… [--key value…] [--json FILE] [--wait] [--json]')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]')
    .action(action(async (args: string[]) => run(args)));
}
