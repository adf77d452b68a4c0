// Typed command results: any command's result plist read against its response schema from the catalog.
// Device data is never refused: values are coerced where devices are known to stray (a <real> where an
// integer is documented, booleans as strings, integers beyond 2^53), anything else that does not fit the
// schema is kept as sent and named in `warnings`, and keys newer than the schema are kept. Keys the schema
// names come out in snake_case (MicroMDM's JSON names); values under free-form or unknown keys as sent.
// The OS update commands get hand-tuned shapes on top (os-update-results.ts).
import { Real, parseAnyPlist, toJSONSafe, type PlistDict, type PlistValue } from '../plist/index.js';
import { parseErrorChain } from '../mdm/index.js';
import type { Platform } from '../mdm/types.js';
import { commandSpec, compareVersions, schemaOs, variantOf } from './catalog.js';
import { explainError } from './error-codes.js';
import { microMDMName } from './micromdm.js';
import { OS_UPDATE_REFINERS } from './os-update-results.js';
import type { KeySpec } from './types.js';
import { isRecord } from './validate.js';

/** One ErrorChain entry with its plain-language reading (null when the code is not a known one). */
export interface ExplainedError {
  code: number | null;
  domain: string | null;
  description: string | null;
  us_english_description: string | null;
  explanation: string | null;
  action: string | null;
}

export interface TypedResult {
  request_type: string | null;
  /** The result's Status: Acknowledged, Error, CommandFormatError (NotNow results are not final). */
  status: string | null;
  /** The response keys, typed; null when the result carries none (an error, or a command without a response). */
  response: Record<string, unknown> | null;
  /** The top-level ErrorChain, explained; null when there is none. */
  error_chain: ExplainedError[] | null;
  /** Where the result does not fit the schema (paths in Apple's names). */
  warnings: string[];
}

/** What is known of the device that answered: keys its OS lacks are not expected of it. */
export interface ResultTarget {
  platform?: Platform | null;
  osVersion?: string | null;
}

/** Keys of every report, not of the command's response. */
const ENVELOPE = new Set(['CommandUUID', 'Status', 'UDID', 'RequestType', 'ErrorChain', 'EnrollmentID', 'EnrollmentUserID', 'UserID', 'UserShortName', 'UserLongName']);

/** Sets a key on a fresh object (a device's "__proto__" key stays a key). */
function set(out: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
}

export function explainErrorChain(v: PlistValue | undefined, requestType: string | null): ExplainedError[] | null {
  const chain = parseErrorChain(v);
  return chain?.map((e) => {
    const advice = explainError(e.errorDomain, e.errorCode, requestType);
    return {
      code: e.errorCode,
      domain: e.errorDomain,
      description: e.localizedDescription,
      us_english_description: e.usEnglishDescription,
      explanation: advice?.explanation ?? null,
      action: advice?.action ?? null,
    };
  }) ?? null;
}

class Walker {
  readonly warnings: string[] = [];
  constructor(
    private readonly requestType: string | null,
    private readonly target: ResultTarget,
  ) {}

  warn(path: string, what: string): void {
    this.warnings.push(path ? `${path}: ${what}` : what);
  }

  /** Whether the target is expected to send a required key: not when its OS lacks the key, nor (when the
   * device is unknown) when the key exists only on some OSes or versions. */
  expects(spec: KeySpec): boolean {
    if (!spec.os) return true;
    const platform = this.target.platform;
    if (!platform) return false;
    const a = spec.os[schemaOs(platform)];
    if (a === false) return false;
    const v = this.target.osVersion;
    if (a?.introduced && (!v || compareVersions(v, a.introduced) < 0)) return false;
    return !(a?.removed && v && compareVersions(v, a.removed) >= 0);
  }

  dict(keys: readonly KeySpec[], d: PlistDict, path: string, skip?: ReadonlySet<string>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const wildcard = keys.find((k) => k.key === 'ANY');
    const seen = new Set<string>();
    for (const [name, value] of Object.entries(d)) {
      if (skip?.has(name)) continue;
      const at = path ? `${path}.${name}` : name;
      if (name === 'ErrorChain') {
        set(out, 'error_chain', explainErrorChain(value, this.requestType) ?? toJSONSafe(value));
        continue;
      }
      const spec = keys.find((k) => k.key === name && k.key !== 'ANY');
      if (spec) {
        seen.add(name);
        set(out, microMDMName(name), this.value(spec, value, at));
      } else if (wildcard) {
        set(out, name, this.value(wildcard, value, at));
      } else {
        set(out, microMDMName(name), toJSONSafe(value));
      }
    }
    for (const k of keys) {
      if (k.required && k.key !== 'ANY' && !seen.has(k.key) && this.expects(k)) this.warn(path ? `${path}.${k.key}` : k.key, 'required key missing');
    }
    return out;
  }

  value(spec: KeySpec, v: PlistValue, path: string): unknown {
    switch (spec.type) {
      case 'dictionary': {
        if (!isRecord(v)) return this.mismatch(path, 'a dictionary', v);
        const keys = spec.keys ?? [];
        return keys.length === 0 || (keys.length === 1 && keys[0]!.key === 'ANY' && keys[0]!.type === 'any') ? toJSONSafe(v) : this.dict(keys, v as PlistDict, path);
      }
      case 'array': {
        if (!Array.isArray(v)) return this.mismatch(path, 'an array', v);
        const items = spec.items ?? [];
        return v.map((item, i) => {
          const alt = variantOf(items, item);
          return alt ? this.value(alt, item, `${path}[${i}]`) : toJSONSafe(item);
        });
      }
      case 'any':
        return toJSONSafe(v);
      default: {
        const out = this.scalar(spec.type, v, path);
        this.checkAllowed(spec, out, path);
        return out;
      }
    }
  }

  private mismatch(path: string, expected: string, v: PlistValue): unknown {
    this.warn(path, `expected ${expected}, got ${describe(v)}`);
    return toJSONSafe(v);
  }

  private scalar(type: KeySpec['type'], v: PlistValue, path: string): unknown {
    switch (type) {
      case 'string':
        if (typeof v === 'string') return v;
        if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean' || v instanceof Real) {
          this.warn(path, `expected a string, got ${describe(v)}`);
          return String(v instanceof Real ? v.value : v);
        }
        return this.mismatch(path, 'a string', v);
      case 'integer':
      case 'real': {
        const n = numberOf(v);
        if (n === undefined) return this.mismatch(path, type === 'integer' ? 'an integer' : 'a number', v);
        if (typeof v === 'string') this.warn(path, `expected ${type === 'integer' ? 'an integer' : 'a number'}, got a numeric string`);
        else if (type === 'integer' && typeof n === 'number' && !Number.isInteger(n)) this.warn(path, `expected an integer, got ${n}`);
        return n;
      }
      case 'boolean': {
        const b = boolOf(v);
        return b === undefined ? this.mismatch(path, 'a boolean', v) : b;
      }
      case 'date': {
        if (v instanceof Date) return v.toISOString();
        const d = typeof v === 'string' ? new Date(v) : undefined;
        return d && !Number.isNaN(d.getTime()) ? d.toISOString() : this.mismatch(path, 'a date', v);
      }
      case 'data':
        return Buffer.isBuffer(v) ? v.toString('base64') : this.mismatch(path, 'data', v);
      default:
        return toJSONSafe(v);
    }
  }

  private checkAllowed(spec: KeySpec, v: unknown, path: string): void {
    if (spec.values && (typeof v === 'string' || typeof v === 'number') && !spec.values.includes(v)) {
      this.warn(path, `${JSON.stringify(v)} is not a value the schema lists (${spec.values.join(', ')})`);
    }
  }
}

function describe(v: PlistValue): string {
  if (Array.isArray(v)) return 'an array';
  if (Buffer.isBuffer(v)) return 'data';
  if (v instanceof Date) return 'a date';
  if (v instanceof Real) return `the real ${v.value}`;
  if (isRecord(v)) return 'a dictionary';
  return `${typeof v === 'bigint' ? 'the integer' : `the ${typeof v}`} ${JSON.stringify(typeof v === 'bigint' ? v.toString() : v)}`;
}

/** A number from <integer>, <real> or a numeric string; integers beyond 2^53 as their decimal string. */
function numberOf(v: PlistValue): number | string | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof Real) return Number.isFinite(v.value) ? v.value : undefined;
  if (typeof v === 'string' && /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(v)) {
    if (/^\s*[+-]?\d+\s*$/.test(v) && !Number.isSafeInteger(Number(v))) return BigInt(v.trim()).toString();
    return Number(v);
  }
  return undefined;
}

/** Booleans as devices send them: <true/>/<false/>, "true"/"false"/"YES"/"NO", 1/0. */
function boolOf(v: PlistValue): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const t = v.trim().toLowerCase();
    if (t === 'true' || t === 'yes' || t === '1') return true;
    if (t === 'false' || t === 'no' || t === '0') return false;
    return undefined;
  }
  const n = typeof v === 'number' || typeof v === 'bigint' ? Number(v) : v instanceof Real ? v.value : NaN;
  return n === 1 ? true : n === 0 ? false : undefined;
}

/**
 * The typed reading of a command result (the plist a device PUT, parsed). `requestType` is the command's
 * (the result's own RequestType key is often missing or empty); an unknown command is read without a
 * schema. Never throws on device data.
 */
export function typedResult(requestType: string | null, result: PlistValue, target: ResultTarget = {}): TypedResult {
  const type = requestType || (isRecord(result) && typeof result.RequestType === 'string' && result.RequestType) || null;
  const w = new Walker(type, target);
  if (!isRecord(result)) {
    w.warn('', `expected a dictionary, got ${describe(result)}`);
    return { request_type: type, status: null, response: null, error_chain: null, warnings: w.warnings };
  }
  const d = result as PlistDict;
  const status = typeof d.Status === 'string' ? d.Status : null;
  const spec = type ? commandSpec(type) : undefined;
  const acknowledged = status === 'Acknowledged';
  let response: Record<string, unknown> | null = null;
  const keys = Object.keys(d).filter((k) => !ENVELOPE.has(k));
  if (spec?.response && acknowledged) response = w.dict(spec.response, d, '', ENVELOPE);
  else if (keys.length > 0) response = w.dict(spec?.response ?? [], d, '', ENVELOPE);
  const refine = type && Object.hasOwn(OS_UPDATE_REFINERS, type) ? OS_UPDATE_REFINERS[type] : undefined;
  if (response && refine && acknowledged) response = refine(response, d, w.warnings);
  return { request_type: type, status, response, error_chain: explainErrorChain(d.ErrorChain, type), warnings: w.warnings };
}

/** typedResult of a result as the device sent it (XML or binary plist bytes). */
export function typedResultOf(requestType: string | null, raw: Buffer, target: ResultTarget = {}): TypedResult {
  let plist: PlistValue;
  try {
    plist = parseAnyPlist(raw);
  } catch (err) {
    return { request_type: requestType, status: null, response: null, error_chain: null, warnings: [`the result is not a readable plist: ${(err as Error).message}`] };
  }
  return typedResult(requestType, plist, target);
}
