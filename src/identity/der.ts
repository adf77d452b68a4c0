// A minimal ASN.1 reader over raw bytes: just enough to walk a CMS SignedData and an X.509
// certificate without building object trees. It keeps byte offsets so signed structures can be
// verified over their exact encoding. BER indefinite lengths are accepted on constructed values
// (some signers stream the outer layers); everything else must be definite.

export class DerError extends Error {
  override name = 'DerError';
}

export interface Tlv {
  tag: number;
  /** Offset of the tag byte. */
  hdr: number;
  /** Offsets of the value: [start, end). */
  start: number;
  end: number;
  /** Offset just past this element (after the end-of-contents octets of an indefinite length). */
  next: number;
}

const MAX_DEPTH = 32;

export function readTlv(buf: Uint8Array, pos: number, limit = buf.length, depth = 0): Tlv {
  if (depth > MAX_DEPTH) throw new DerError('ASN.1 nested too deeply');
  if (pos + 2 > limit) throw new DerError('truncated ASN.1 element');
  const tag = buf[pos];
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte ASN.1 tags are not supported');
  let p = pos + 1;
  const first = buf[p++];
  if (first === 0x80) {
    if ((tag & 0x20) === 0) throw new DerError('indefinite length on a primitive ASN.1 value');
    const start = p;
    while (true) {
      if (p + 2 > limit) throw new DerError('unterminated indefinite-length ASN.1 value');
      if (buf[p] === 0 && buf[p + 1] === 0) return { tag, hdr: pos, start, end: p, next: p + 2 };
      p = readTlv(buf, p, limit, depth + 1).next;
    }
  }
  let len = first;
  if (first > 0x80) {
    const n = first & 0x7f;
    if (n > 4) throw new DerError('ASN.1 length too large');
    if (p + n > limit) throw new DerError('truncated ASN.1 length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p++];
  }
  const end = p + len;
  if (end > limit) throw new DerError('ASN.1 value runs past its container');
  return { tag, hdr: pos, start: p, end, next: end };
}

/** The elements inside a constructed value. */
export function children(buf: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let p = parent.start; p < parent.end; ) {
    const t = readTlv(buf, p, parent.end);
    out.push(t);
    p = t.next;
  }
  return out;
}

/** Reads one element at pos and checks its tag. */
export function expect(buf: Uint8Array, pos: number, tag: number, what: string, limit = buf.length): Tlv {
  const t = readTlv(buf, pos, limit);
  if (t.tag !== tag) throw new DerError(`${what}: expected tag 0x${tag.toString(16)}, got 0x${t.tag.toString(16)}`);
  return t;
}

/** Dotted form of an OBJECT IDENTIFIER element. */
export function oid(buf: Uint8Array, t: Tlv): string {
  if (t.tag !== 0x06 || t.end === t.start) throw new DerError('expected an OBJECT IDENTIFIER');
  const parts: number[] = [];
  let v = 0;
  for (let i = t.start; i < t.end; i++) {
    v = v * 128 + (buf[i] & 0x7f);
    if ((buf[i] & 0x80) === 0) {
      if (parts.length === 0) parts.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

/** The whole encoding of an element (tag, length and value). */
export function encoding(buf: Buffer, t: Tlv): Buffer {
  return buf.subarray(t.hdr, t.next);
}

/** The value bytes of an element. */
export function value(buf: Buffer, t: Tlv): Buffer {
  return buf.subarray(t.start, t.end);
}
