// Schema-driven payload checking: walks a payload against the catalog's key tree and returns the
// plist to send, typed as the schema says (<real> vs <integer>, <data> as Buffer). A Dialect says how
// the input names keys and carries values (plist payloads as they are, or MicroMDM's JSON).
import { Real, type PlistDict, type PlistValue } from '../plist/index.js';
import { CommandValidationError } from './errors.js';
import type { KeySpec, KeyType } from './types.js';

export type ScalarType = Exclude<KeyType, 'array' | 'dictionary' | 'any'>;

export interface Dialect {
  /** The schema key (not ANY) that an input key names, among one dictionary's keys. */
  find(keys: readonly KeySpec[], name: string): KeySpec | undefined;
  /** How to name a schema key in messages (e.g. a required key that is missing). */
  nameOf(spec: KeySpec): string;
  /** Input keys skipped wherever they appear. */
  ignores(name: string): boolean;
  /** The input as a value of a scalar type, or undefined when it is not one. */
  scalar(type: ScalarType, value: unknown): PlistValue | undefined;
  /** The input as a dictionary when it is given in another form, else undefined. */
  dict(value: unknown, path: string): PlistDict | undefined;
  /** A value where the schema allows anything; undefined means "absent". */
  free(value: unknown, path: string): PlistValue | undefined;
  /** How this dialect words the expected form of a scalar type, where it differs from plist's. */
  expects?: Partial<Record<ScalarType, string>>;
}

const ARTICLE: Record<ScalarType, string> = {
  string: 'a string',
  integer: 'an integer',
  real: 'a number',
  boolean: 'a boolean',
  data: 'data (bytes)',
  date: 'a date',
};

export function fail(field: string, reason: string): never {
  throw new CommandValidationError(field, reason);
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    && !(v instanceof Uint8Array) && !(v instanceof Date) && !(v instanceof Real);
}

const join = (path: string, name: string): string => (path ? `${path}.${name}` : name);

/** Sets a key on a fresh output dictionary; `__proto__` would replace its prototype instead. */
export function put(out: PlistDict, name: string, value: PlistValue, path: string): void {
  if (name === '__proto__') fail(path, 'is not an allowed key name');
  out[name] = value;
}

/** Checks a dictionary against its keys: every key known (or allowed by ANY), required keys present. */
export function checkDict(keys: readonly KeySpec[], input: Record<string, unknown>, path: string, d: Dialect): PlistDict {
  const out: PlistDict = {};
  const wildcard = keys.find((k) => k.key === 'ANY');
  const seen = new Set<KeySpec>();
  for (const [name, value] of Object.entries(input)) {
    if (value === undefined || value === null) continue;
    const at = join(path, name);
    const spec = d.find(keys, name);
    if (spec) {
      if (seen.has(spec)) fail(at, `names ${d.nameOf(spec)} a second time`);
      seen.add(spec);
      out[spec.key] = checkValue(spec, value, at, d);
    } else if (wildcard) {
      put(out, name, checkValue(wildcard, value, at, d), at);
    } else if (!d.ignores(name)) {
      const known = keys.map((k) => d.nameOf(k));
      fail(at, known.length ? `unknown key (expected ${known.join(', ')})` : 'unknown key (none are allowed here)');
    }
  }
  for (const k of keys) {
    if (k.required && !seen.has(k)) fail(join(path, d.nameOf(k)), 'is required');
  }
  return out;
}

export function checkValue(spec: KeySpec, value: unknown, path: string, d: Dialect): PlistValue {
  switch (spec.type) {
    case 'dictionary': {
      const dict = isRecord(value) ? value : d.dict(value, path);
      if (!dict) return fail(path, 'must be a dictionary');
      return spec.keys?.length ? checkDict(spec.keys, dict, path, d) : (d.free(dict, path) ?? {});
    }
    case 'array': {
      if (!Array.isArray(value)) return fail(path, 'must be an array');
      return value.map((item, i) => checkItem(spec.items ?? [], item, `${path}[${i}]`, d));
    }
    case 'any': {
      const v = d.free(value, path);
      return v === undefined ? fail(path, 'must be a value') : v;
    }
    default: {
      const v = d.scalar(spec.type, value);
      if (v === undefined) return fail(path, `must be ${d.expects?.[spec.type] ?? ARTICLE[spec.type]}`);
      checkAllowed(spec, v, path);
      return v;
    }
  }
}

function checkItem(items: readonly KeySpec[], value: unknown, path: string, d: Dialect): PlistValue {
  if (value === null || value === undefined) return fail(path, 'must not be null');
  if (items.length === 0) return d.free(value, path) ?? fail(path, 'must be a value');
  if (items.length === 1) return checkValue(items[0]!, value, path, d);
  return checkValue(variantOf(items, value, path, d), value, path, d);
}

/** Array items that may be one of several dictionaries (Settings) are told apart by a key whose
 * only allowed value names the variant ("Item": "DeviceName"). */
function variantOf(items: readonly KeySpec[], value: unknown, path: string, d: Dialect): KeySpec {
  const input = isRecord(value) ? value : fail(path, 'must be a dictionary');
  const tagsOf = (alt: KeySpec) => (alt.keys ?? []).filter((k) => k.required && k.values?.length === 1);
  const entries = Object.entries(input);
  const has = (alt: KeySpec, tag: KeySpec) =>
    entries.some(([n, v]) => d.find(alt.keys ?? [], n) === tag && d.scalar(tag.type as ScalarType, v) === tag.values![0]);
  const match = items.find((alt) => tagsOf(alt).length > 0 && tagsOf(alt).every((t) => has(alt, t)));
  if (match) return match;
  const tag = tagsOf(items[0]!)[0];
  if (!tag) return fail(path, 'matches none of the allowed item types');
  const sentAs = entries.find(([n]) => d.find(items[0]!.keys ?? [], n) === tag)?.[0] ?? d.nameOf(tag);
  const allowed = items.flatMap((alt) => alt.keys?.find((k) => k.key === tag.key)?.values ?? []);
  return fail(join(path, sentAs), `must be one of ${allowed.join(', ')}`);
}

function checkAllowed(spec: KeySpec, v: PlistValue, path: string): void {
  const n = v instanceof Real ? v.value : typeof v === 'bigint' ? Number(v) : v;
  if (spec.values && !spec.values.some((a) => a === n)) {
    fail(path, `must be one of ${spec.values.join(', ')} (got ${String(n)})`);
  }
  if (spec.range && typeof n === 'number') {
    const { min, max } = spec.range;
    if ((min !== undefined && n < min) || (max !== undefined && n > max)) {
      fail(path, `must be between ${min ?? '-∞'} and ${max ?? '∞'} (got ${n})`);
    }
  }
}
