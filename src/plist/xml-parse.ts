// XML plist parser: one hand-written pass over the text, no DOM, no regex per character.
// Tolerant where devices vary (whitespace, comments, wrapped <data>, missing prolog), strict
// where input is malformed, and it never expands a DTD or a custom entity.
import { PlistError, INT_MAX, INT_MIN, Real, type PlistDict, type PlistValue } from './types.js';

const LT = 60, GT = 62, SLASH = 47, BANG = 33, QMARK = 63, EQ = 61, DQUOTE = 34, SQUOTE = 39, LBRACKET = 91;
const MAX_DEPTH = 512;

const PREDEFINED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

const DECIMAL = /^[+-]?\d+$/;
const HEX = /^([+-]?)0[xX]([0-9a-fA-F]+)$/;
const REAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const SPECIAL_REALS: Readonly<Record<string, number>> = {
  nan: NaN, '+nan': NaN, '-nan': NaN,
  inf: Infinity, '+inf': Infinity, infinity: Infinity, '+infinity': Infinity,
  '-inf': -Infinity, '-infinity': -Infinity,
};
const DATE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?Z$/;

/** 1 for each base64 alphabet character, by char code. */
const BASE64 = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') BASE64[c.charCodeAt(0)] = 1;

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 9 || c === 13;
}

function isNameChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 58) || c === 45 || c === 95 || c === 46;
}

/** Decodes bytes (UTF-8, or UTF-16 with a byte order mark) and drops a leading BOM. */
function decodeInput(input: string | Buffer): string {
  if (typeof input === 'string') return input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  if (input[0] === 0xef && input[1] === 0xbb && input[2] === 0xbf) return input.toString('utf8', 3);
  if (input[0] === 0xff && input[1] === 0xfe) return input.toString('utf16le', 2);
  if (input[0] === 0xfe && input[1] === 0xff) return Buffer.from(input.subarray(2)).swap16().toString('utf16le');
  return input.toString('utf8');
}

/** Parses an XML property list. Throws PlistError naming the position and reason on malformed input. */
export function parsePlist(input: string | Buffer): PlistValue {
  return new XmlParser(decodeInput(input)).document();
}

class XmlParser {
  private pos = 0;
  private readonly len: number;
  /** Name of the tag openTag() last read, and whether it was self-closing (`<x/>`). */
  private tag = '';
  private selfClosing = false;

  constructor(private readonly s: string) {
    this.len = s.length;
  }

  private fail(reason: string, at: number = this.pos): never {
    throw PlistError.inText(this.s, Math.min(at, this.len), reason);
  }

  document(): PlistValue {
    const s = this.s;
    if (s.startsWith('bplist')) this.fail('a binary plist, not XML (parseAnyPlist reads both)');
    for (;;) {
      this.skipSpace();
      if (s.startsWith('<?', this.pos)) this.skipUntil('?>', 'processing instruction');
      else if (s.startsWith('<!--', this.pos)) this.skipUntil('-->', 'comment');
      else if (s.startsWith('<!DOCTYPE', this.pos)) this.skipDoctype();
      else if (s.startsWith('<!', this.pos)) this.failMarkup();
      else break;
    }
    const root = this.pos;
    if (root >= this.len) this.fail('no <plist> element');
    if (s.charCodeAt(root) !== LT) this.fail('text before the <plist> element');
    this.openTag();
    if (this.tag !== 'plist') this.fail(`root element is <${this.tag}>, expected <plist>`, root);
    if (this.selfClosing) this.fail('<plist> holds no value', root);
    this.skipMisc();
    if (s.startsWith('</', this.pos)) this.fail('<plist> holds no value');
    const value = this.value(1);
    this.skipMisc();
    if (this.pos >= this.len) this.fail('unterminated <plist>', root);
    if (!s.startsWith('</', this.pos)) this.fail('<plist> holds more than one value');
    this.closeTag('plist');
    this.skipSpace();
    if (this.pos < this.len) this.fail('content after </plist>');
    return value;
  }

  private skipSpace(): void {
    while (isSpace(this.s.charCodeAt(this.pos))) this.pos++;
  }

  /** Skips to just past `end`, which closes the construct starting at pos. */
  private skipUntil(end: string, what: string): void {
    const i = this.s.indexOf(end, this.pos + 2);
    if (i < 0) this.fail(`unterminated ${what}`);
    this.pos = i + end.length;
  }

  /** Skips `<!DOCTYPE …>`, refusing an internal subset (the only place entities can be declared). */
  private skipDoctype(): void {
    const s = this.s;
    const start = this.pos;
    for (let i = start + 9; i < this.len; i++) {
      const c = s.charCodeAt(i);
      if (c === GT) {
        this.pos = i + 1;
        return;
      }
      if (c === LBRACKET) this.fail('DOCTYPE internal subset refused: DTDs and entities are never expanded', i);
      if (c === DQUOTE || c === SQUOTE) {
        i = s.indexOf(s[i], i + 1);
        if (i < 0) break;
      }
    }
    this.fail('unterminated DOCTYPE', start);
  }

  private failMarkup(): never {
    const s = this.s, at = this.pos;
    if (s.startsWith('<!ENTITY', at)) this.fail('entity declaration refused: entities are never expanded');
    if (s.startsWith('<!DOCTYPE', at)) this.fail('DOCTYPE after the root element');
    if (s.startsWith('<![CDATA[', at)) this.fail('CDATA section outside a <string>');
    this.fail('unexpected markup');
  }

  /** Skips whitespace, comments and processing instructions between elements. */
  private skipMisc(): void {
    const s = this.s;
    for (;;) {
      this.skipSpace();
      if (s.charCodeAt(this.pos) !== LT) return;
      const next = s.charCodeAt(this.pos + 1);
      if (next === QMARK) this.skipUntil('?>', 'processing instruction');
      else if (next !== BANG) return;
      else if (s.startsWith('<!--', this.pos)) this.skipUntil('-->', 'comment');
      else this.failMarkup();
    }
  }

  /** Reads `<name attr="…">` or `<name/>` at pos into tag/selfClosing; attributes are ignored. */
  private openTag(): void {
    const s = this.s, start = this.pos;
    let i = start + 1;
    while (isNameChar(s.charCodeAt(i))) i++;
    if (i === start + 1) this.fail(s.charCodeAt(i) === SLASH ? 'unexpected closing tag' : 'malformed tag', start);
    this.tag = s.slice(start + 1, i);
    for (; i < this.len; i++) {
      const c = s.charCodeAt(i);
      if (c === GT) {
        this.selfClosing = false;
        this.pos = i + 1;
        return;
      }
      if (c === SLASH && s.charCodeAt(i + 1) === GT) {
        this.selfClosing = true;
        this.pos = i + 2;
        return;
      }
      if (c === DQUOTE || c === SQUOTE) {
        i = s.indexOf(s[i], i + 1);
        if (i < 0) break;
      } else if (c === LT) break;
      else if (!isSpace(c) && !isNameChar(c) && c !== EQ) this.fail(`malformed <${this.tag}> tag`, i);
    }
    this.fail(`unterminated <${this.tag}> tag`, start);
  }

  /** Consumes `</tag>` at pos (which points at `</`). */
  private closeTag(tag: string): void {
    const s = this.s;
    let i = this.pos + 2;
    if (s.startsWith(tag, i)) {
      i += tag.length;
      while (isSpace(s.charCodeAt(i))) i++;
      if (s.charCodeAt(i) === GT) {
        this.pos = i + 1;
        return;
      }
    }
    let end = this.pos + 2;
    while (isNameChar(s.charCodeAt(end))) end++;
    this.fail(`expected </${tag}>, found </${s.slice(this.pos + 2, end)}>`);
  }

  private value(depth: number): PlistValue {
    const s = this.s, start = this.pos;
    if (s.charCodeAt(start) !== LT) this.fail(start >= this.len ? 'unexpected end of input' : 'text where a value was expected');
    this.openTag();
    const empty = this.selfClosing;
    switch (this.tag) {
      case 'string':
        return empty ? '' : this.text('string', start);
      case 'dict':
        return empty ? {} : this.dict(start, depth);
      case 'array':
        return empty ? [] : this.array(start, depth);
      case 'integer':
        return this.integer(empty ? '' : this.text('integer', start).trim(), start);
      case 'real':
        return this.real(empty ? '' : this.text('real', start).trim(), start);
      case 'true':
      case 'false': {
        const v = this.tag === 'true';
        if (!empty) {
          this.skipMisc();
          if (!s.startsWith('</', this.pos)) this.fail(`<${this.tag}> must be empty`);
          this.closeTag(v ? 'true' : 'false');
        }
        return v;
      }
      case 'date':
        return this.date(empty ? '' : this.text('date', start).trim(), start);
      case 'data':
        return empty ? Buffer.alloc(0) : this.data(start);
      case 'key':
        return this.fail('<key> outside a <dict>', start);
      default:
        return this.fail(`unknown element <${this.tag}>`, start);
    }
  }

  private dict(start: number, depth: number): PlistDict {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH} levels`, start);
    const s = this.s;
    const d: PlistDict = {};
    for (;;) {
      this.skipMisc();
      const at = this.pos;
      if (at >= this.len) this.fail('unterminated <dict>', start);
      if (s.startsWith('</', at)) {
        this.closeTag('dict');
        return d;
      }
      if (s.charCodeAt(at) !== LT) this.fail('text inside <dict>');
      this.openTag();
      if (this.tag !== 'key') this.fail(`expected <key> in <dict>, found <${this.tag}>`, at);
      const key = this.selfClosing ? '' : this.text('key', at);
      this.skipMisc();
      if (this.pos >= this.len || s.startsWith('</', this.pos)) this.fail(`key "${key}" has no value`, at);
      const v = this.value(depth + 1);
      if (key === '__proto__') Object.defineProperty(d, key, { value: v, enumerable: true, writable: true, configurable: true });
      else d[key] = v;
    }
  }

  private array(start: number, depth: number): PlistValue[] {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH} levels`, start);
    const a: PlistValue[] = [];
    for (;;) {
      this.skipMisc();
      if (this.pos >= this.len) this.fail('unterminated <array>', start);
      if (this.s.startsWith('</', this.pos)) {
        this.closeTag('array');
        return a;
      }
      a.push(this.value(depth + 1));
    }
  }

  /** Character content of `<tag>` up to its closing tag: entities decoded, CDATA kept, comments dropped,
   * line endings normalized to \n as XML requires. */
  private text(tag: string, start: number): string {
    const s = this.s;
    let out = '';
    for (;;) {
      const lt = s.indexOf('<', this.pos);
      if (lt < 0) this.fail(`unterminated <${tag}>`, start);
      if (lt > this.pos) out += this.decode(this.pos, lt);
      this.pos = lt;
      const next = s.charCodeAt(lt + 1);
      if (next === SLASH) {
        this.closeTag(tag);
        return out;
      }
      if (s.startsWith('<![CDATA[', lt)) {
        const end = s.indexOf(']]>', lt + 9);
        if (end < 0) this.fail('unterminated CDATA section');
        out += normalizeNewlines(s.slice(lt + 9, end));
        this.pos = end + 3;
      } else if (s.startsWith('<!--', lt)) this.skipUntil('-->', 'comment');
      else if (next === QMARK) this.skipUntil('?>', 'processing instruction');
      else this.fail(`element inside <${tag}>`);
    }
  }

  /** s[from, to) with the five predefined entities and character references decoded. */
  private decode(from: number, to: number): string {
    const raw = this.s.slice(from, to);
    let amp = raw.indexOf('&');
    if (amp < 0) return normalizeNewlines(raw);
    let out = '';
    let last = 0;
    while (amp >= 0) {
      const semi = raw.indexOf(';', amp + 1);
      if (semi < 0 || semi - amp > 32) this.fail('"&" that does not start an entity (write &amp;)', from + amp);
      const name = raw.slice(amp + 1, semi);
      const ch = name.charCodeAt(0) === 35 ? this.charRef(name, from + amp) : PREDEFINED[name];
      if (ch === undefined) this.fail(`undefined entity &${name}; (only the five XML entities and character references are decoded)`, from + amp);
      out += normalizeNewlines(raw.slice(last, amp)) + ch;
      last = semi + 1;
      amp = raw.indexOf('&', last);
    }
    return out + normalizeNewlines(raw.slice(last));
  }

  /** `#39` or `#x27` → the character. */
  private charRef(name: string, at: number): string {
    const hex = name.charCodeAt(1) === 120;
    const digits = name.slice(hex ? 2 : 1);
    const code = (hex ? /^[0-9a-fA-F]+$/ : /^[0-9]+$/).test(digits) ? parseInt(digits, hex ? 16 : 10) : NaN;
    if (!(code > 0 && code <= 0x10ffff) || (code >= 0xd800 && code <= 0xdfff)) this.fail(`invalid character reference &${name};`, at);
    return String.fromCodePoint(code);
  }

  private integer(t: string, at: number): number | bigint {
    let v: bigint;
    if (DECIMAL.test(t)) {
      if (t.length <= 15) return Number(t) || 0;
      v = BigInt(t);
    } else {
      const m = HEX.exec(t);
      if (!m) this.fail(`invalid <integer> "${t}"`, at);
      v = BigInt('0x' + m[2]);
      if (m[1] === '-') v = -v;
    }
    if (v < INT_MIN || v > INT_MAX) this.fail(`<integer> ${t} is outside the 64-bit range`, at);
    return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
  }

  private real(t: string, at: number): Real {
    if (REAL.test(t)) return new Real(Number(t));
    const special = SPECIAL_REALS[t.toLowerCase()];
    if (special === undefined) this.fail(`invalid <real> "${t}"`, at);
    return new Real(special);
  }

  private date(t: string, at: number): Date {
    const m = DATE.exec(t);
    const [y, mo, d, h, mi, sec] = m ? m.slice(1, 7).map(Number) : [];
    if (!m || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || sec > 59) {
      this.fail(`invalid <date> "${t}" (expected YYYY-MM-DDTHH:MM:SSZ)`, at);
    }
    const ms = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
    const date = new Date(Date.UTC(2000, 0, 1, h, mi, sec, ms));
    date.setUTCFullYear(y, mo - 1, d);
    return date;
  }

  private data(start: number): Buffer {
    const from = this.pos;
    const t = this.text('data', start);
    let chars = 0, pad = 0;
    for (let i = 0; i < t.length; i++) {
      const c = t.charCodeAt(i);
      if (isSpace(c)) continue;
      if (c === EQ) {
        if (++pad > 2) this.fail('invalid base64 in <data>: too much "=" padding', from + i);
      } else if (pad > 0 || c > 127 || BASE64[c] === 0) {
        this.fail(`invalid base64 in <data>: unexpected "${t[i]}"`, from + i);
      } else chars++;
    }
    if (chars % 4 === 1 || (pad > 0 && (chars + pad) % 4 !== 0)) this.fail('invalid base64 in <data>: truncated', from);
    return Buffer.from(t, 'base64');
  }
}

function normalizeNewlines(t: string): string {
  return t.indexOf('\r') < 0 ? t : t.replace(/\r\n?/g, '\n');
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}
