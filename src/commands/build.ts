// Building wire commands from typed payloads, and accepting raw command plists (NanoMDM-style enqueue).
import { randomUUID } from 'node:crypto';
import { Real, buildPlist, parseAnyPlist, type BuildInput, type PlistDict, type PlistValue } from '../plist/index.js';
import { commandSpec } from './catalog.js';
import { CommandValidationError } from './errors.js';
import type { CommandSpec, KeySpec } from './types.js';
import { checkDict, fail, isRecord, put, type Dialect, type ScalarType } from './validate.js';

export interface WireCommand {
  uuid: string;
  requestType: string;
  /** {CommandUUID, Command: {RequestType, …payload}} */
  plist: PlistDict;
  xml: Buffer;
}

/** Keys Apple's MDM protocol accepts in every command's dictionary, beside the command's own keys. */
const COMMON_KEYS: readonly KeySpec[] = [{ key: 'RequestRequiresNetworkTether', type: 'boolean' }];

/** The keys a command's dictionary may hold (its payload keys and the common ones). */
export function commandKeys(spec: CommandSpec): readonly KeySpec[] {
  return [...spec.payload, ...COMMON_KEYS];
}

/** A plist value with Uint8Arrays made Buffers and null/undefined dictionary entries dropped. */
function plainPlist(v: unknown, path: string): PlistValue {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return v;
  if (Buffer.isBuffer(v) || v instanceof Real) return v;
  if (v instanceof Uint8Array) return Buffer.from(v);
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? fail(path, 'is an invalid date') : v;
  if (Array.isArray(v)) return v.map((x, i) => plainPlist(x, `${path}[${i}]`));
  if (isRecord(v)) {
    const out: PlistDict = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined && x !== null) put(out, k, plainPlist(x, `${path}.${k}`), `${path}.${k}`);
    return out;
  }
  return fail(path, `is not a plist value (${v === null ? 'null' : typeof v})`);
}

/** A value already of the plist type `type` (a Real holding a whole number counts as an integer), else undefined. */
export function plistScalar(type: ScalarType, v: unknown): PlistValue | undefined {
  switch (type) {
    case 'string':
      return typeof v === 'string' ? v : undefined;
    case 'integer':
      if (typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v))) return v;
      return v instanceof Real && Number.isInteger(v.value) ? v.value : undefined;
    case 'real':
      if (v instanceof Real) return v;
      return typeof v === 'number' && Number.isFinite(v) ? new Real(v) : undefined;
    case 'boolean':
      return typeof v === 'boolean' ? v : undefined;
    case 'data':
      return v instanceof Uint8Array ? (Buffer.isBuffer(v) ? v : Buffer.from(v)) : undefined;
    case 'date':
      return v instanceof Date && !Number.isNaN(v.getTime()) ? v : undefined;
  }
}

/** Plist payloads: exact key names, values already of plist types. */
const plistDialect: Dialect = {
  find: (keys, name) => keys.find((k) => k.key === name && k.key !== 'ANY'),
  nameOf: (spec) => spec.key,
  ignores: () => false,
  scalar: plistScalar,
  dict: () => undefined,
  free: (v, path) => (v === undefined || v === null ? undefined : plainPlist(v, path)),
};

/** A command payload: plist values, plus Uint8Arrays and null/undefined (absent) entries. */
export type PayloadInput = { readonly [key: string]: BuildInput | undefined | null };

/** Checks `payload` against the schema of `requestType` and builds the wire command. */
export function buildCommand(requestType: string, payload: PayloadInput, opts: { uuid?: string } = {}): WireCommand {
  const spec = commandSpec(requestType);
  if (!spec) fail('RequestType', `unknown command ${JSON.stringify(requestType)}`);
  const { RequestType: named, ...rest } = payload;
  if (named !== undefined && named !== requestType) fail('RequestType', `is ${String(named)} but the command is ${requestType}`);
  const command = checkDict(commandKeys(spec), rest, '', plistDialect);
  return wire(opts.uuid ?? randomUUID(), requestType, command);
}

export function wire(uuid: string, requestType: string, command: PlistDict): WireCommand {
  const plist: PlistDict = { Command: { RequestType: requestType, ...command }, CommandUUID: uuid };
  return { uuid, requestType, plist, xml: Buffer.from(buildPlist(plist)) };
}

/** Reads a raw command plist (XML or binary). Only CommandUUID and Command.RequestType are checked, so
 * vendor commands and keys newer than the schema pass. `xml` is the body itself when it was XML. */
export function parseRawCommand(body: Buffer): WireCommand {
  let plist: PlistValue;
  try {
    plist = parseAnyPlist(body);
  } catch (e) {
    throw new CommandValidationError('', `body is not a valid plist: ${(e as Error).message}`);
  }
  if (!isRecord(plist)) fail('', 'body must be a plist dictionary');
  const uuid = plist.CommandUUID;
  if (typeof uuid !== 'string' || uuid.trim() === '') fail('CommandUUID', 'must be a non-empty string');
  const command = plist.Command;
  if (!isRecord(command)) fail('Command', 'must be a dictionary');
  const requestType = command.RequestType;
  if (typeof requestType !== 'string' || requestType === '') fail('Command.RequestType', 'must be a non-empty string');
  const binary = body.subarray(0, 8).toString('latin1') === 'bplist00';
  return { uuid, requestType, plist, xml: binary ? Buffer.from(buildPlist(plist)) : body };
}
