// Binary plist (bplist00) writer. Written here rather than taken from bplist-creator, whose object
// flattening is quadratic (15 s for a 5,000-item array) and which turns a dict with a lone integer
// "UID" key into a keyed-archiver UID. Objects are flattened once, equal strings shared, as Apple does.
import { CF_EPOCH, MAGIC, TRAILER } from './binary-read.js';
import { PlistBuildError } from './xml-build.js';
import { INT_MAX, INT_MIN, Real, type BuildInput, type PlistValue } from './types.js';

const MAX_DEPTH = 512;
const ARRAY = 0xa, DICT = 0xd;

/** A flattened object: encoded bytes for a scalar, or a container's marker, entry count and references
 * (for a dict, all key references, then all value references). */
type Node = Buffer | { kind: number; count: number; refs: number[] };

/** Builds a bplist00 document. Dict values that are `undefined` or `null` are left out. */
export function buildBinaryPlist(value: PlistValue | BuildInput): Buffer {
  const f = new Flattener();
  f.add(value, 0);
  return serialize(f.nodes);
}

class Flattener {
  readonly nodes: Node[] = [];
  private readonly strings = new Map<string, number>();

  /** Appends v (and everything in it) and returns its object index. */
  add(v: unknown, depth: number): number {
    if (typeof v === 'string') {
      let i = this.strings.get(v);
      if (i === undefined) {
        i = this.nodes.push(encodeString(v)) - 1;
        this.strings.set(v, i);
      }
      return i;
    }
    if (typeof v !== 'object' || v === null || v instanceof Real || v instanceof Uint8Array || v instanceof Date) {
      return this.nodes.push(encodeScalar(v)) - 1;
    }
    if (depth > MAX_DEPTH) throw new PlistBuildError(`nesting deeper than ${MAX_DEPTH} levels (a cycle?)`);
    if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) {
      throw new PlistBuildError(`${v.constructor.name} is not plist data (pass a Buffer or Uint8Array)`);
    }
    const index = this.nodes.length;
    const refs: number[] = [];
    if (Array.isArray(v)) {
      this.nodes.push({ kind: ARRAY, count: v.length, refs });
      for (let i = 0; i < v.length; i++) refs.push(this.child(v[i], i, depth));
      return index;
    }
    const d = v as Record<string, unknown>;
    const keys = Object.keys(d).filter((k) => d[k] !== undefined && d[k] !== null);
    this.nodes.push({ kind: DICT, count: keys.length, refs });
    for (const k of keys) refs.push(this.add(k, depth + 1));
    for (const k of keys) refs.push(this.child(d[k], k, depth));
    return index;
  }

  private child(v: unknown, key: string | number, depth: number): number {
    try {
      return this.add(v, depth + 1);
    } catch (e) {
      throw e instanceof PlistBuildError ? e.under(key) : e;
    }
  }
}

/** Marker byte for `kind` with length n, followed by the length as an integer object when n >= 15. */
function header(kind: number, n: number): Buffer {
  return n < 15 ? Buffer.from([(kind << 4) | n]) : Buffer.concat([Buffer.from([(kind << 4) | 0xf]), encodeInteger(n)]);
}

function encodeString(s: string): Buffer {
  let ascii = true;
  for (let i = 0; i < s.length && ascii; i++) ascii = s.charCodeAt(i) < 0x80;
  if (ascii) return Buffer.concat([header(0x5, s.length), Buffer.from(s, 'latin1')]);
  return Buffer.concat([header(0x6, s.length), Buffer.from(s, 'utf16le').swap16()]);
}

function encodeScalar(v: unknown): Buffer {
  if (typeof v === 'boolean') return Buffer.from([v ? 0x09 : 0x08]);
  if (typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v))) return encodeInteger(v);
  if (typeof v === 'number') return encodeDouble(0x23, v);
  if (v instanceof Real) return encodeDouble(0x23, v.value);
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) throw new PlistBuildError('date is invalid');
    return encodeDouble(0x33, v.getTime() / 1000 - CF_EPOCH);
  }
  if (v instanceof Uint8Array) return Buffer.concat([header(0x4, v.length), v]);
  throw new PlistBuildError(`${v === null ? 'null' : typeof v} has no plist form`);
}

function encodeDouble(marker: number, x: number): Buffer {
  const b = Buffer.alloc(9);
  b[0] = marker;
  b.writeDoubleBE(x, 1);
  return b;
}

/** 1, 2 or 4 unsigned bytes when they suffice; 8 signed bytes; 16 for values from 2^63 up to 2^64 - 1. */
function encodeInteger(v: number | bigint): Buffer {
  if (typeof v === 'number' && v >= 0 && v <= 0xffffffff) {
    const n = v <= 0xff ? 1 : v <= 0xffff ? 2 : 4;
    const b = Buffer.alloc(1 + n);
    b[0] = 0x10 | (n >> 1);
    b.writeUIntBE(v, 1, n);
    return b;
  }
  const big = BigInt(v);
  if (big < INT_MIN || big > INT_MAX) throw new PlistBuildError(`integer ${big} is outside the 64-bit range`);
  if (big < 2n ** 63n) {
    const b = Buffer.alloc(9);
    b[0] = 0x13;
    b.writeBigInt64BE(big, 1);
    return b;
  }
  const b = Buffer.alloc(17);
  b[0] = 0x14;
  b.writeBigUInt64BE(big, 9);
  return b;
}

/** Bytes needed for unsigned values up to max: 1, 2, 4 or 8. */
function widthFor(max: number): number {
  return max < 0x100 ? 1 : max < 0x10000 ? 2 : max < 0x100000000 ? 4 : 8;
}

function writeUint(buf: Buffer, v: number, at: number, width: number): void {
  if (width === 8) buf.writeBigUInt64BE(BigInt(v), at);
  else buf.writeUIntBE(v, at, width);
}

function serialize(nodes: Node[]): Buffer {
  const refSize = widthFor(nodes.length - 1);
  const parts: Buffer[] = [Buffer.from(MAGIC, 'latin1')];
  const offsets: number[] = [];
  let pos = MAGIC.length;
  for (const node of nodes) {
    let bytes: Buffer;
    if (Buffer.isBuffer(node)) bytes = node;
    else {
      const head = header(node.kind, node.count);
      bytes = Buffer.alloc(head.length + node.refs.length * refSize);
      head.copy(bytes);
      node.refs.forEach((r, i) => writeUint(bytes, r, head.length + i * refSize, refSize));
    }
    offsets.push(pos);
    parts.push(bytes);
    pos += bytes.length;
  }
  const offsetSize = widthFor(pos);
  const table = Buffer.alloc(offsets.length * offsetSize);
  offsets.forEach((o, i) => writeUint(table, o, i * offsetSize, offsetSize));
  const trailer = Buffer.alloc(TRAILER);
  trailer[6] = offsetSize;
  trailer[7] = refSize;
  trailer.writeBigUInt64BE(BigInt(nodes.length), 8);
  trailer.writeBigUInt64BE(0n, 16);
  trailer.writeBigUInt64BE(BigInt(pos), 24);
  return Buffer.concat([...parts, table, trailer]);
}
