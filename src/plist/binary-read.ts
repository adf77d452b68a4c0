// Binary plist (bplist00) reader. Written here rather than taken from bplist-parser, which returns a
// binary real as a bare number (losing integer vs real) and trusts sizes, offsets and references;
// this one checks bounds, refuses reference cycles and caps how far shared references expand.
import { INT_MAX, INT_MIN, PlistError, Real, type PlistDict, type PlistValue } from './types.js';

export const MAGIC = 'bplist00';
export const TRAILER = 32;
/** Seconds from the Unix epoch to CoreFoundation's (2001-01-01T00:00:00Z). */
export const CF_EPOCH = 978307200;
const MAX_DEPTH = 512;
/** Shared references let a small file expand into a huge tree; stop well before that hurts. */
const MIN_VISIT_BUDGET = 1_000_000;

export function isBinaryPlist(buf: Buffer): boolean {
  return buf.length >= MAGIC.length && buf.toString('latin1', 0, MAGIC.length) === MAGIC;
}

/** Parses a bplist00 document. Throws PlistError with the byte offset on malformed input. */
export function parseBinaryPlist(buf: Buffer): PlistValue {
  return new BinaryReader(buf).document();
}

function fail(reason: string, at: number): never {
  throw new PlistError(reason, at, 0, 0);
}

class BinaryReader {
  /** Where object data ends: the start of the offset table. */
  private end = 0;
  private offsetSize = 0;
  private refSize = 0;
  private count = 0;
  private table = 0;
  private budget = 0;
  /** Containers on the current path, to refuse reference cycles. */
  private open = new Uint8Array(0);

  constructor(private readonly buf: Buffer) {}

  document(): PlistValue {
    const b = this.buf;
    if (!isBinaryPlist(b)) fail('missing "bplist00" header', 0);
    if (b.length < MAGIC.length + TRAILER + 1) fail('too short to hold a trailer', b.length);
    const t = b.length - TRAILER;
    this.offsetSize = b[t + 6];
    this.refSize = b[t + 7];
    this.count = this.uint(t + 8, 8);
    const top = this.uint(t + 16, 8);
    this.table = this.uint(t + 24, 8);
    if (this.offsetSize < 1 || this.offsetSize > 8 || this.refSize < 1 || this.refSize > 8) fail('invalid offset or reference size', t + 6);
    if (this.count < 1 || this.table < MAGIC.length || this.table + this.count * this.offsetSize > t) fail('offset table out of bounds', t + 8);
    if (top >= this.count) fail('top object out of range', t + 16);
    this.end = this.table;
    this.budget = Math.max(MIN_VISIT_BUDGET, 4 * this.count);
    this.open = new Uint8Array(this.count);
    return this.object(top, 0);
  }

  /** Big-endian unsigned integer of n bytes, which must be exact as a JS number. */
  private uint(at: number, n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 256 + this.buf[at + i];
    if (v > Number.MAX_SAFE_INTEGER) fail('size or offset too large', at);
    return v;
  }

  private need(at: number, n: number): void {
    if (at + n > this.end) fail('object runs past the object area', at);
  }

  /** Length of a string/data/array/dict object from its marker's low nibble, and where its content starts. */
  private sized(off: number, low: number): [length: number, start: number] {
    if (low < 15) return [low, off + 1];
    this.need(off + 1, 1);
    const marker = this.buf[off + 1];
    if (marker >> 4 !== 1 || (marker & 15) > 3) fail('invalid length marker', off + 1);
    const n = 1 << (marker & 15);
    this.need(off + 2, n);
    return [this.uint(off + 2, n), off + 2 + n];
  }

  private ref(at: number): number {
    const r = this.uint(at, this.refSize);
    if (r >= this.count) fail(`object reference ${r} out of range`, at);
    return r;
  }

  private object(ref: number, depth: number): PlistValue {
    if (--this.budget < 0) fail('shared references expand to too many objects', 0);
    const b = this.buf;
    const off = this.uint(this.table + ref * this.offsetSize, this.offsetSize);
    if (off < MAGIC.length || off >= this.end) fail(`offset of object ${ref} out of bounds`, this.table + ref * this.offsetSize);
    const marker = b[off];
    const low = marker & 15;
    switch (marker >> 4) {
      case 0x0:
        if (marker === 0x08 || marker === 0x09) return marker === 0x09;
        break;
      case 0x1:
        return this.integer(off, low);
      case 0x2:
        if (low === 2 || low === 3) {
          this.need(off + 1, 1 << low);
          return new Real(low === 2 ? b.readFloatBE(off + 1) : b.readDoubleBE(off + 1));
        }
        break;
      case 0x3:
        if (low === 3) {
          this.need(off + 1, 8);
          const date = new Date(Math.round((b.readDoubleBE(off + 1) + CF_EPOCH) * 1000));
          if (Number.isNaN(date.getTime())) fail('date out of range', off);
          return date;
        }
        break;
      case 0x4: {
        const [n, start] = this.sized(off, low);
        this.need(start, n);
        return Buffer.from(b.subarray(start, start + n));
      }
      case 0x5: {
        const [n, start] = this.sized(off, low);
        this.need(start, n);
        return b.toString('latin1', start, start + n);
      }
      case 0x6: {
        const [n, start] = this.sized(off, low);
        this.need(start, 2 * n);
        return Buffer.from(b.subarray(start, start + 2 * n)).swap16().toString('utf16le');
      }
      case 0x8:
        return fail('UID objects (keyed archives) are not supported', off);
      case 0xa:
      case 0xd:
        return this.container(ref, off, low, marker >> 4 === 0xd, depth);
    }
    return fail(`unsupported object type 0x${marker.toString(16).padStart(2, '0')}`, off);
  }

  private integer(off: number, low: number): number | bigint {
    const b = this.buf;
    if (low > 4) fail('invalid integer size', off);
    const n = 1 << low;
    this.need(off + 1, n);
    let v: bigint;
    if (n <= 4) return b.readUIntBE(off + 1, n);
    if (n === 8) v = b.readBigInt64BE(off + 1);
    else v = (b.readBigInt64BE(off + 1) << 64n) | b.readBigUInt64BE(off + 9);
    if (v < INT_MIN || v > INT_MAX) fail('integer outside the 64-bit range', off);
    return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
  }

  private container(ref: number, off: number, low: number, isDict: boolean, depth: number): PlistValue {
    if (depth >= MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH} levels`, off);
    if (this.open[ref]) fail('reference cycle', off);
    const [n, start] = this.sized(off, low);
    this.need(start, (isDict ? 2 : 1) * n * this.refSize);
    this.open[ref] = 1;
    const rs = this.refSize;
    let result: PlistValue;
    if (isDict) {
      const d: PlistDict = {};
      for (let i = 0; i < n; i++) {
        const key = this.object(this.ref(start + i * rs), depth + 1);
        if (typeof key !== 'string') fail('dictionary key is not a string', start + i * rs);
        const v = this.object(this.ref(start + (n + i) * rs), depth + 1);
        if (key === '__proto__') Object.defineProperty(d, key, { value: v, enumerable: true, writable: true, configurable: true });
        else d[key] = v;
      }
      result = d;
    } else {
      const a: PlistValue[] = new Array(n);
      for (let i = 0; i < n; i++) a[i] = this.object(this.ref(start + i * rs), depth + 1);
      result = a;
    }
    this.open[ref] = 0;
    return result;
  }
}
