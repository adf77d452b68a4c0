// Typed reads of plist dict keys. Optional readers return null when the key is absent or empty;
// required readers throw a ProtocolError naming the key and the message it belongs to.
import { asBool, type PlistDict, type PlistValue } from '../plist/index.js';
import { ProtocolError } from './errors.js';

export function isDict(v: PlistValue | undefined): v is PlistDict {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v) && !(v instanceof Date) &&
    Object.getPrototypeOf(v) === Object.prototype;
}

export function optString(d: PlistDict, key: string, what: string): string | null {
  const v = d[key];
  if (v === undefined || v === '') return null;
  if (typeof v !== 'string') throw new ProtocolError(`${what}: ${key} must be a string`);
  return v;
}

export function reqString(d: PlistDict, key: string, what: string): string {
  const v = optString(d, key, what);
  if (v === null) throw new ProtocolError(`${what}: missing ${key}`);
  return v;
}

export function optData(d: PlistDict, key: string, what: string): Buffer | null {
  const v = d[key];
  if (v === undefined) return null;
  if (!Buffer.isBuffer(v)) throw new ProtocolError(`${what}: ${key} must be <data>`);
  return v.length === 0 ? null : v;
}

export function reqData(d: PlistDict, key: string, what: string): Buffer {
  const v = optData(d, key, what);
  if (v === null) throw new ProtocolError(`${what}: missing ${key}`);
  return v;
}

/** Lenient boolean: <true/>, "true", 1; absent means false. */
export function flag(d: PlistDict, key: string): boolean {
  return asBool(d[key]) === true;
}

export function optDict(d: PlistDict, key: string, what: string): PlistDict | null {
  const v = d[key];
  if (v === undefined) return null;
  if (!isDict(v)) throw new ProtocolError(`${what}: ${key} must be a dict`);
  return v;
}
