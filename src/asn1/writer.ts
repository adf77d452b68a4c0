// A DER writer: each function returns one complete encoding, so structures are built bottom-up by
// concatenation. Fixed parts (OIDs, algorithm identifiers) are worth building once at module load.

/** A tag and definite length header. */
export function header(tag: number, length: number): Buffer {
  if (length < 0x80) return Buffer.from([tag, length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([tag, 0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, ...parts: Buffer[]): Buffer {
  let len = 0;
  for (const p of parts) len += p.length;
  return Buffer.concat([header(tag, len), ...parts]);
}

export const seq = (...parts: Buffer[]): Buffer => tlv(0x30, ...parts);
export const set = (...parts: Buffer[]): Buffer => tlv(0x31, ...parts);
/** A DER SET OF: elements sorted by their encodings (as signed attributes must be). */
export const setOf = (parts: Buffer[]): Buffer => tlv(0x31, ...[...parts].sort(Buffer.compare));
/** A context-specific constructed [n]. */
export const ctx = (n: number, ...parts: Buffer[]): Buffer => tlv(0xa0 + n, ...parts);
export const octetString = (b: Buffer): Buffer => tlv(0x04, b);
export const utf8String = (s: string): Buffer => tlv(0x0c, Buffer.from(s, 'utf8'));
export const printableString = (s: string): Buffer => tlv(0x13, Buffer.from(s, 'latin1'));
export const NULL: Buffer = Buffer.from([0x05, 0x00]);

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

/** A non-negative INTEGER from a number or big-endian magnitude bytes (leading zeros trimmed, sign byte added). */
export function integer(value: number | Buffer): Buffer {
  let m: Buffer;
  if (typeof value === 'number') {
    const hex = value.toString(16);
    m = Buffer.from(hex.length % 2 ? '0' + hex : hex, 'hex');
  } else m = value;
  let i = 0;
  while (i < m.length - 1 && m[i] === 0) i++;
  m = m.subarray(i);
  return m[0]! & 0x80 ? tlv(0x02, Buffer.from([0]), m) : tlv(0x02, m);
}

const two = (n: number) => String(n).padStart(2, '0');
/** UTCTime before 2050, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5), whole seconds. */
export function time(d: Date): Buffer {
  const rest = `${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}${two(d.getUTCHours())}${two(d.getUTCMinutes())}${two(d.getUTCSeconds())}Z`;
  const y = d.getUTCFullYear();
  return y >= 1950 && y < 2050 ? tlv(0x17, Buffer.from(two(y % 100) + rest)) : tlv(0x18, Buffer.from(String(y).padStart(4, '0') + rest));
}

/** An AlgorithmIdentifier; params default to an explicit NULL, null leaves them absent. */
export const algorithm = (dotted: string, params: Buffer | null = NULL): Buffer => (params ? seq(oid(dotted), params) : seq(oid(dotted)));

/** A Name of one RDN per [type OID, value] pair, values as UTF8String. */
export const name = (rdns: Array<[string, string]>): Buffer => seq(...rdns.map(([t, v]) => set(seq(oid(t), utf8String(v)))));
