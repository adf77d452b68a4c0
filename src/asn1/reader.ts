// A bounds-checked DER/BER reader over Buffers: it walks an encoding by byte offsets without building
// object trees, so signed structures can be checked over their exact bytes. BER indefinite lengths are
// accepted on constructed values (some signers stream the outer layers); anything malformed throws
// Asn1Error. Single-byte tags only, lengths up to 4 bytes, nesting up to 32 levels.

export class Asn1Error extends Error {
  override name = 'Asn1Error';
}

/** One TLV: tag byte, where its header starts, where its content starts and ends, and where the next TLV starts. */
export interface Tlv {
  tag: number;
  /** Offset of the tag byte. */
  at: number;
  /** The content: [start, end). */
  start: number;
  end: number;
  /** Just past this element (past the end-of-contents octets of an indefinite length). */
  next: number;
}

const MAX_DEPTH = 32;

/** Reads the TLV at `at`, not past `limit`. */
export function read(b: Uint8Array, at = 0, limit = b.length, depth = 0): Tlv {
  if (depth > MAX_DEPTH) throw new Asn1Error('ASN.1 nested too deeply');
  if (at + 2 > limit) throw new Asn1Error('truncated ASN.1 element');
  const tag = b[at]!;
  if ((tag & 0x1f) === 0x1f) throw new Asn1Error('multi-byte ASN.1 tags are not supported');
  let len = b[at + 1]!;
  let start = at + 2;
  if (len === 0x80) {
    if (!(tag & 0x20)) throw new Asn1Error('indefinite length on a primitive ASN.1 value');
    for (let p = start; ; ) {
      if (p + 2 > limit) throw new Asn1Error('unterminated indefinite-length ASN.1 value');
      if (b[p] === 0 && b[p + 1] === 0) return { tag, at, start, end: p, next: p + 2 };
      p = read(b, p, limit, depth + 1).next;
    }
  }
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n > 4) throw new Asn1Error('ASN.1 length too large');
    if (start + n > limit) throw new Asn1Error('truncated ASN.1 length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[start + i]!;
    start += n;
  }
  const end = start + len;
  if (end > limit) throw new Asn1Error('ASN.1 value runs past its container');
  return { tag, at, start, end, next: end };
}

/** True when the element was encoded with an indefinite length (so it is not DER). */
export const indefinite = (t: Tlv): boolean => t.next !== t.end;

/** The elements inside a constructed value. */
export function children(b: Uint8Array, t: Tlv, depth = 0): Tlv[] {
  if (!(t.tag & 0x20)) throw new Asn1Error('expected a constructed ASN.1 value');
  const out: Tlv[] = [];
  for (let p = t.start; p < t.end; ) {
    const c = read(b, p, t.end, depth + 1);
    out.push(c);
    p = c.next;
  }
  return out;
}

/** Checks an element's presence and tag, and returns it. */
export function expect(t: Tlv | undefined, tag: number, what: string): Tlv {
  if (!t) throw new Asn1Error(`${what}: missing`);
  if (t.tag !== tag) throw new Asn1Error(`${what}: expected tag 0x${tag.toString(16)}, got 0x${t.tag.toString(16)}`);
  return t;
}

/** The content bytes of an element. */
export const content = (b: Buffer, t: Tlv): Buffer => b.subarray(t.start, t.end);
/** The whole encoding (header, content and any end-of-contents octets) of an element. */
export const whole = (b: Buffer, t: Tlv): Buffer => b.subarray(t.at, t.next);

/** An OCTET STRING's bytes, primitive or constructed (BER chunks); any tag number (implicit tagging). */
export function octetBytes(b: Buffer, t: Tlv): Buffer {
  if (!(t.tag & 0x20)) return content(b, t);
  return Buffer.concat(children(b, t).map((c) => octetBytes(b, c)));
}

/** The dotted form of an OBJECT IDENTIFIER. */
export function readOid(b: Uint8Array, t: Tlv | undefined): string {
  if (!t || t.tag !== 0x06 || t.end === t.start) throw new Asn1Error('expected an OBJECT IDENTIFIER');
  let out = '';
  let v = 0;
  for (let i = t.start; i < t.end; i++) {
    v = v * 128 + (b[i]! & 0x7f);
    if (!(b[i]! & 0x80)) {
      out += out === '' ? (v < 80 ? `${Math.floor(v / 40)}.${v % 40}` : `2.${v - 80}`) : `.${v}`;
      v = 0;
    }
  }
  return out;
}

/** The first element of an AlgorithmIdentifier (its OID). */
export const algorithmOid = (b: Uint8Array, t: Tlv | undefined): string => readOid(b, children(b, expect(t, 0x30, 'AlgorithmIdentifier'))[0]);

const STRING_TAGS = new Set([0x0c, 0x13, 0x14, 0x16, 0x1a, 0x1e]);

/** The text of a UTF8, Printable, Teletex, IA5, Visible or BMP string, or null for another type. */
export function readText(b: Buffer, t: Tlv): string | null {
  if (!STRING_TAGS.has(t.tag)) return null;
  const c = content(b, t);
  if (t.tag === 0x1e) return Buffer.from(c).swap16().toString('utf16le');
  return c.toString(t.tag === 0x0c ? 'utf8' : 'latin1');
}
