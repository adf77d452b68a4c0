// A minimal DER writer and reader for the simulator's client-side PKI (CSR, self-signed
// certificate, SCEP and Mdm-Signature CMS). Encoding by hand keeps a signed check-in cheap.

export type Der = Buffer;

function lengthBytes(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, ...content: Buffer[]): Der {
  const body = content.length === 1 ? content[0] : Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), lengthBytes(body.length), body]);
}

export const seq = (...items: Buffer[]): Der => tlv(0x30, ...items);
export const set = (...items: Buffer[]): Der => tlv(0x31, ...items);
/** SET OF in DER order (sorted by encoding), as signed attributes must be. */
export const setOf = (items: Buffer[]): Der => tlv(0x31, ...[...items].sort(Buffer.compare));
export const ctx = (n: number, ...items: Buffer[]): Der => tlv(0xa0 + n, ...items);
export const octets = (b: Buffer): Der => tlv(0x04, b);
export const utf8 = (s: string): Der => tlv(0x0c, Buffer.from(s, 'utf8'));
export const printable = (s: string): Der => tlv(0x13, Buffer.from(s, 'ascii'));
export const NULL: Der = Buffer.from([0x05, 0x00]);

export function integer(value: Buffer | number): Der {
  const hex = typeof value === 'number' ? value.toString(16) : '';
  let b = typeof value === 'number' ? Buffer.from(hex.length % 2 ? '0' + hex : hex, 'hex') : value;
  let i = 0;
  while (i < b.length - 1 && b[i] === 0 && b[i + 1] < 0x80) i++;
  b = b.subarray(i);
  return tlv(0x02, b[0] >= 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
}

export function oid(dotted: string): Der {
  const parts = dotted.split('.').map(Number);
  const out: number[] = [parts[0] * 40 + parts[1]];
  for (const p of parts.slice(2)) {
    const chunk: number[] = [p & 0x7f];
    for (let v = Math.floor(p / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

const two = (n: number) => String(n).padStart(2, '0');
/** UTCTime for years before 2050, GeneralizedTime after (RFC 5280). */
export function time(d: Date): Der {
  const rest = `${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}${two(d.getUTCHours())}${two(d.getUTCMinutes())}${two(d.getUTCSeconds())}Z`;
  const y = d.getUTCFullYear();
  return y < 2050 ? tlv(0x17, Buffer.from(two(y % 100) + rest)) : tlv(0x18, Buffer.from(String(y) + rest));
}

export const algorithm = (dotted: string, params: Buffer | null = NULL): Der => (params ? seq(oid(dotted), params) : seq(oid(dotted)));

/** A Name of one RDN per [type OID, value] pair, values as UTF8String. */
export const name = (rdns: Array<[string, string]>): Der => seq(...rdns.map(([t, v]) => set(seq(oid(t), utf8(v)))));

// ---- reading ----

export interface Node {
  tag: number;
  /** Offset of the value, and of the end of the value. */
  start: number;
  end: number;
  /** Offset where the whole TLV begins. */
  at: number;
}

export function read(buf: Buffer, at = 0): Node {
  const tag = buf[at];
  let len = buf[at + 1];
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new Error('DER: unsupported length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[start + i];
    start += n;
  }
  if (tag === undefined || start + len > buf.length) throw new Error('DER: truncated');
  return { tag, start, end: start + len, at };
}

export function children(buf: Buffer, node: Node): Node[] {
  const out: Node[] = [];
  for (let p = node.start; p < node.end; ) {
    const c = read(buf, p);
    out.push(c);
    p = c.end;
  }
  return out;
}

export const bytes = (buf: Buffer, n: Node): Buffer => buf.subarray(n.start, n.end);
export const whole = (buf: Buffer, n: Node): Buffer => buf.subarray(n.at, n.end);

export function readOid(buf: Buffer, n: Node): string {
  const b = bytes(buf, n);
  const parts = [Math.floor(b[0] / 40), b[0] % 40];
  let v = 0;
  for (const x of b.subarray(1)) {
    v = v * 128 + (x & 0x7f);
    if (!(x & 0x80)) { parts.push(v); v = 0; }
  }
  return parts.join('.');
}
