// MicroMDM v1 command JSON (POST /v1/commands) ⇄ Apple's command keys, driven by the schema.
// MicroMDM names each key by the snake_case of Apple's name, with a few irregular names; <data> is
// base64 in JSON; a dictionary may come as a base64 plist (Settings ApplicationConfiguration).
import { Real, parseAnyPlist, type PlistDict, type PlistValue } from '../plist/index.js';
import { commandKeys, plistScalar } from './build.js';
import { commandSpec, variantOf } from './catalog.js';
import type { KeySpec } from './types.js';
import { checkDict, fail, isRecord, put, type Dialect, type ScalarType } from './validate.js';

/** MicroMDM JSON names that are not the snake_case of Apple's key (JSON tags in its mdm/mdm/command.go). */
const IRREGULAR_NAMES: Readonly<Record<string, string>> = {
  iTunesStoreID: 'itunes_store_id',
  ManagedAppsOnly: 'managed_appd_only',
  UserName: 'username',
  HostName: 'hostname',
  FileVaultUnlock: 'filevault_unlock',
  FilterExtensionPoints: 'filter_extensions_points',
  eSIMServerURL: 'esim_server_url',
  PrimaryIPv6AddressList: 'primary_id_v6_address_list',
  SecondaryIPv6AddressList: 'secondary_ip_v6_address_list',
};

/** Request fields, not command keys. MicroMDM's own tools/api/commands/schedule_os_update builds each
 * `updates` item from the request object with jq, so they also turn up there; MicroMDM ignored them. */
const ENVELOPE = new Set(['udid', 'request_type', 'command_uuid']);

/** The JSON name MicroMDM uses for an Apple key: ProductKey → product_key, MDMOptions → mdm_options. */
export function microMDMName(key: string): string {
  return (Object.hasOwn(IRREGULAR_NAMES, key) ? IRREGULAR_NAMES[key] : undefined) ?? key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
}

const squash = (name: string): string => name.replace(/_/g, '').toLowerCase();
const indexes = new WeakMap<readonly KeySpec[], Map<string, KeySpec>>();

/** A JSON name matches a key when equal to it or its MicroMDM name, ignoring case and underscores. */
function find(keys: readonly KeySpec[], name: string): KeySpec | undefined {
  let index = indexes.get(keys);
  if (!index) {
    index = new Map();
    for (const k of keys) {
      if (k.key === 'ANY') continue;
      index.set(squash(k.key), k);
      index.set(squash(microMDMName(k.key)), k);
    }
    indexes.set(keys, index);
  }
  return index.get(squash(name));
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;

function base64(s: string): Buffer | undefined {
  const compact = s.replace(/\s+/g, '');
  return BASE64.test(compact) ? Buffer.from(compact, 'base64') : undefined;
}

/** JSON (or an already decoded plist value) where the schema allows anything; null means absent. */
function fromJson(v: unknown, path: string): PlistValue | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'number') return Number.isInteger(v) ? v : new Real(v);
  if (typeof v === 'string' || typeof v === 'boolean' || typeof v === 'bigint') return v;
  if (Buffer.isBuffer(v) || v instanceof Date || v instanceof Real) return v;
  if (Array.isArray(v)) return v.map((x, i) => fromJson(x, `${path}[${i}]`) ?? fail(`${path}[${i}]`, 'must not be null'));
  if (isRecord(v)) {
    const out: PlistDict = {};
    for (const [k, x] of Object.entries(v)) {
      const value = fromJson(x, `${path}.${k}`);
      if (value !== undefined) put(out, k, value, `${path}.${k}`);
    }
    return out;
  }
  return fail(path, 'is not a JSON value');
}

/** A scalar spelled as a string: "42", "1.5", "true", base64 data, an RFC 3339 date. */
function fromString(type: ScalarType, s: string): PlistValue | undefined {
  switch (type) {
    case 'string':
      return s;
    case 'integer': {
      if (!/^[+-]?\d+$/.test(s.trim())) return undefined;
      const n = BigInt(s.trim());
      return Number.isSafeInteger(Number(n)) ? Number(n) : n;
    }
    case 'real': {
      const n = s.trim() === '' ? NaN : Number(s);
      return Number.isFinite(n) ? new Real(n) : undefined;
    }
    case 'boolean':
      return s === 'true' ? true : s === 'false' ? false : undefined;
    case 'data':
      return base64(s);
    case 'date': {
      const d = new Date(s);
      return Number.isNaN(d.getTime()) ? undefined : d;
    }
  }
}

const jsonDialect: Dialect = {
  find,
  nameOf: (spec) => microMDMName(spec.key),
  ignores: (name) => ENVELOPE.has(name),
  // What a plist would hold, or the string spelling of it that JSON clients send.
  scalar: (type, v) => plistScalar(type, v) ?? (typeof v === 'string' ? fromString(type, v) : undefined),
  dict(v, path) {
    if (typeof v !== 'string') return undefined;
    const bytes = base64(v);
    let parsed: PlistValue | undefined;
    try {
      parsed = bytes && parseAnyPlist(bytes);
    } catch {
      parsed = undefined;
    }
    return isRecord(parsed) ? parsed : fail(path, 'must be a dictionary, or a base64-encoded plist dictionary');
  },
  free: fromJson,
  expects: { data: 'base64-encoded data (a string)', date: 'an RFC 3339 date string' },
};

export interface MicroMDMCommand {
  udid: string;
  requestType: string;
  /** Apple's keys and types, ready for buildCommand. */
  payload: PlistDict;
  /** MicroMDM lets the caller choose the command UUID. */
  uuid?: string;
}

/** Reads MicroMDM's POST /v1/commands body: {"udid", "request_type", snake_case payload fields}. */
export function fromMicroMDMJson(json: unknown): MicroMDMCommand {
  if (!isRecord(json)) fail('', 'body must be a JSON object');
  const { udid, request_type: requestType, command_uuid: uuid, ...fields } = json;
  if (typeof udid !== 'string' || udid.trim() === '') fail('udid', 'must be a non-empty string');
  if (typeof requestType !== 'string' || requestType === '') fail('request_type', 'must be a non-empty string');
  if (uuid !== undefined && uuid !== null && typeof uuid !== 'string') fail('command_uuid', 'must be a string');
  const spec = commandSpec(requestType) ?? fail('request_type', `unknown command ${JSON.stringify(requestType)}`);
  const payload = checkDict(commandKeys(spec), fields, '', jsonDialect);
  return { udid, requestType, payload, ...(typeof uuid === 'string' && uuid.trim() ? { uuid } : {}) };
}

/** The "command" object MicroMDM echoes: {"request_type", snake_case fields}, <data> as base64. */
export function toMicroMDMJson(requestType: string, payload: PlistDict): Record<string, unknown> {
  const spec = commandSpec(requestType);
  const { RequestType: _ignored, ...rest } = payload;
  return { request_type: requestType, ...jsonDict(spec ? commandKeys(spec) : undefined, rest) };
}

/** Known keys get their MicroMDM names; keys of free-form dictionaries stay as they are. */
function jsonDict(keys: readonly KeySpec[] | undefined, d: PlistDict): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(d)) {
    const spec = keys?.find((s) => s.key === k);
    out[spec || !keys ? microMDMName(k) : k] = jsonValue(spec, v);
  }
  return out;
}

function jsonValue(spec: KeySpec | undefined, v: PlistValue): unknown {
  if (Buffer.isBuffer(v)) return v.toString('base64');
  if (v instanceof Date) return v.toISOString().replace(/\.\d{3}Z$/, 'Z');
  if (v instanceof Real) return v.value;
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (Array.isArray(v)) return v.map((x) => jsonValue(variantOf(spec?.items ?? [], x), x));
  if (isRecord(v)) return spec?.keys?.length ? jsonDict(spec.keys, v) : jsonDict([], v);
  return v;
}
