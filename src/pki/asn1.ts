// A minimal DER/BER reader and DER writer over Buffers, for the SCEP hot path: walking a request and
// building the fixed structures of a reply by hand costs microseconds, where schema-driven ASN.1
// object models cost milliseconds. The reader is bounds-checked and throws Asn1Error on any bad input.

export class Asn1Error extends Error {}

/** One TLV: tag byte, where its header starts, where its content starts and ends (BER indefinite lengths resolved). */
export interface Tlv {
  tag: number;
  at: number;
  start: number;
  end: number;
  /** True for an indefinite-length encoding (end excludes the two end-of-contents bytes). */
  indefinite?: boolean;
}

const MAX_DEPTH = 32;

/** Reads the TLV at `at`, not past `limit`. */
export function read(b: Buffer, at = 0, limit = b.length, depth = 0): Tlv {
  if (depth > MAX_DEPTH) throw new Asn1Error('ASN.1 nesting too deep');
  if (at + 2 > limit) throw new Asn1Error('truncated ASN.1');
  const tag = b[at]!;
  if ((tag & 0x1f) === 0x1f) throw new Asn1Error('multi-byte ASN.1 tags are not supported');
  let len = b[at + 1]!;
  let start = at + 2;
  if (len === 0x80) {
    if (!(tag & 0x20)) throw new Asn1Error('indefinite length on a primitive value');
    let p = start;
    for (;;) {
      if (p + 2 > limit) throw new Asn1Error('unterminated indefinite-length value');
      if (b[p] === 0 && b[p + 1] === 0) return { tag, at, start, end: p, indefinite: true };
      p = endOf(read(b, p, limit, depth + 1));
    }
  }
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n > 4 || start + n > limit) throw new Asn1Error('bad ASN.1 length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[start + i]!;
    start += n;
  }
  if (start + len > limit) throw new Asn1Error('ASN.1 value runs past its container');
  return { tag, at, start, end: start + len };
}

/** Where the TLV ends including any end-of-contents octets. */
export const endOf = (t: Tlv): number => (t.indefinite ? t.end + 2 : t.end);

export function children(b: Buffer, t: Tlv, depth = 0): Tlv[] {
  if (!(t.tag & 0x20)) throw new Asn1Error('expected a constructed ASN.1 value');
  const out: Tlv[] = [];
  for (let p = t.start; p < t.end; ) {
    const c = read(b, p, t.end, depth + 1);
    out.push(c);
    p = endOf(c);
  }
  return out;
}

/** Reads the TLV at `at` and checks its tag. */
export function expect(b: Buffer, t: Tlv | undefined, tag: number, what: string): Tlv {
  if (!t || t.tag !== tag) throw new Asn1Error(`${what}: expected tag 0x${tag.toString(16)}`);
  return t;
}

export const content = (b: Buffer, t: Tlv): Buffer => b.subarray(t.start, t.end);
/** The whole encoding (header and content) of a definite-length TLV. */
export const whole = (b: Buffer, t: Tlv): Buffer => b.subarray(t.at, endOf(t));

/** An OCTET STRING's bytes, primitive or constructed (BER chunks); any tag number (implicit tagging). */
export function octetBytes(b: Buffer, t: Tlv): Buffer {
  if (!(t.tag & 0x20)) return content(b, t);
  return Buffer.concat(children(b, t).map((c) => octetBytes(b, c)));
}

export function readOid(b: Buffer, t: Tlv): string {
  if (t.tag !== 0x06 || t.end === t.start) throw new Asn1Error('expected an OBJECT IDENTIFIER');
  const parts: number[] = [];
  let v = 0;
  for (let i = t.start; i < t.end; i++) {
    v = v * 128 + (b[i]! & 0x7f);
    if (!(b[i]! & 0x80)) {
      if (parts.length === 0) parts.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

const STRING_TAGS = new Set([0x0c, 0x13, 0x14, 0x16, 0x1a, 0x1e]);

/** The text of a UTF8, Printable, Teletex, IA5, Visible or BMP string, or null for another type. */
export function readText(b: Buffer, t: Tlv): string | null {
  if (!STRING_TAGS.has(t.tag)) return null;
  const c = content(b, t);
  if (t.tag === 0x1e) return Buffer.from(c).swap16().toString('utf16le');
  return c.toString(t.tag === 0x0c ? 'utf8' : 'latin1');
}

// ---- writing (DER) ----

export function header(tag: number, length: number): Buffer {
  if (length < 0x80) return Buffer.from([tag, length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([tag, 0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, ...parts: Buffer[]): Buffer {
  const len = parts.reduce((n, p) => n + p.length, 0);
  return Buffer.concat([header(tag, len), ...parts]);
}

export const seq = (...parts: Buffer[]): Buffer => tlv(0x30, ...parts);
export const set = (...parts: Buffer[]): Buffer => tlv(0x31, ...parts);
/** A DER SET OF: elements sorted by their encodings. */
export const setOf = (parts: Buffer[]): Buffer => tlv(0x31, ...[...parts].sort(Buffer.compare));
export const octetString = (b: Buffer): Buffer => tlv(0x04, b);
export const printableString = (s: string): Buffer => tlv(0x13, Buffer.from(s, 'latin1'));
export const NULL = Buffer.from([0x05, 0x00]);

export function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const bytes: number[] = [];
  const push = (v: number) => {
    const out = [v & 0x7f];
    for (v = Math.floor(v / 128); v > 0; v = Math.floor(v / 128)) out.unshift((v & 0x7f) | 0x80);
    bytes.push(...out);
  };
  push(parts[0]! * 40 + parts[1]!);
  for (const p of parts.slice(2)) push(p);
  return tlv(0x06, Buffer.from(bytes));
}

/** A non-negative INTEGER from big-endian magnitude bytes (leading zeros trimmed, sign byte added). */
export function unsignedInteger(magnitude: Buffer): Buffer {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  const m = magnitude.subarray(i);
  return m[0]! & 0x80 ? tlv(0x02, Buffer.from([0]), m) : tlv(0x02, m);
}

export const smallInteger = (n: number): Buffer => tlv(0x02, Buffer.from([n]));

/** UTCTime before 2050, GeneralizedTime after (RFC 5280 §4.1.2.5), whole seconds. */
export function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14); // YYYYMMDDHHMMSS
  const year = d.getUTCFullYear();
  return year >= 1950 && year < 2050 ? tlv(0x17, Buffer.from(iso.slice(2) + 'Z')) : tlv(0x18, Buffer.from(iso + 'Z'));
}

/** An AlgorithmIdentifier; params undefined gives an explicit NULL, null leaves them absent. */
export const algorithm = (dotted: string, params: Buffer | null = NULL): Buffer => (params ? seq(oid(dotted), params) : seq(oid(dotted)));
