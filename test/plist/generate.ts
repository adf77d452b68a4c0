// Seeded random plists that stress what codecs get wrong: escaping, unicode beyond the BMP,
// integers past 2^53, integral reals, dates far from now, data of awkward lengths, empty containers.
import { Real, type PlistDict, type PlistValue } from '../../src/plist/index.js';

/** mulberry32: small, fast, and the same sequence on every machine. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rng = () => number;
const int = (r: Rng, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[int(r, xs.length)];

// No \r (XML turns it into \n, so plistlib cannot round-trip it) and no C0 controls (XML cannot carry them).
const PIECES = [
  'a', 'Z', '0', 'key', 'Value', ' ', '  ', '\t', '\n', '&', '<', '>', '"', "'", '&amp;', '&#39;', '&lt;x&gt;',
  ']]>', '<!--', '-->', '<?xml?>', '<![CDATA[', 'é', 'ß', 'Ω', '中文', 'مرحبا', '\u200b', '\ufffd', '😀', '𝄞', '\u{10ffff}',
  'Jane’s Mac', 'com.apple.mgmt.External.e0bd1eac',
];

function randomString(r: Rng): string {
  if (r() < 0.05) return '';
  if (r() < 0.03) {
    let s = '';
    for (let n = 50 + int(r, 250); n > 0; n--) s += String.fromCharCode(32 + int(r, 95));
    return s;
  }
  let s = '';
  for (let n = 1 + int(r, 8); n > 0; n--) s += pick(r, PIECES);
  return s;
}

const BIG = 2n ** 53n;
const INT_EDGES = [0n, 1n, -1n, 2n ** 31n - 1n, 2n ** 31n, 2n ** 32n, BIG - 1n, BIG, BIG + 1n, -BIG - 1n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n, -(2n ** 63n)];

function randomBigUint(r: Rng, bits: number): bigint {
  let v = 0n;
  for (let i = 0; i < bits; i += 16) v = (v << 16n) | BigInt(int(r, 65536));
  return v & ((1n << BigInt(bits)) - 1n);
}

function randomInteger(r: Rng): number | bigint {
  const k = int(r, 6);
  let v: bigint;
  if (k === 0) v = pick(r, INT_EDGES);
  else if (k === 1) v = BigInt(int(r, 2001) - 1000);
  else if (k === 2) v = randomBigUint(r, 32) - 2n ** 31n;
  else if (k === 3) v = randomBigUint(r, 53) * (r() < 0.5 ? -1n : 1n);
  else if (k === 4) v = BIG + randomBigUint(r, 63); // beyond 2^53, up to 2^64 - 1 - ...
  else v = -BIG - randomBigUint(r, 62); // negative beyond -2^53
  // Give the codec both representations it must accept: safe values as number or bigint.
  return v >= -(BIG - 1n) && v <= BIG - 1n && r() < 0.8 ? Number(v) : v;
}

const REAL_EDGES = [0, -0, 1, -1, 0.1, 0.5, 12000000000, 1e21, 1e-7, 2 ** 53, 5e-324, 1.7976931348623157e308, Infinity, -Infinity, NaN];

function randomReal(r: Rng): Real | number {
  const k = int(r, 4);
  let x: number;
  if (k === 0) x = pick(r, REAL_EDGES);
  else if (k === 1) x = int(r, 1e9) * (r() < 0.5 ? -1 : 1); // integral reals must stay reals
  else if (k === 2) x = (r() - 0.5) * 10 ** (int(r, 40) - 20);
  else {
    const bytes = Buffer.alloc(8);
    for (let i = 0; i < 8; i++) bytes[i] = int(r, 256);
    x = bytes.readDoubleBE(0);
  }
  // A plain non-integral number must be written as <real> too.
  return !Number.isInteger(x) && r() < 0.3 ? x : new Real(x);
}

const MIN_DATE = -62135596800; // 0001-01-01T00:00:00Z (Python's datetime starts at year 1)
const MAX_DATE = 253402300799; // 9999-12-31T23:59:59Z

function randomScalar(r: Rng): PlistValue {
  switch (int(r, 7)) {
    case 0:
    case 1:
      return randomString(r);
    case 2:
      return randomInteger(r);
    case 3:
      return randomReal(r);
    case 4:
      return r() < 0.5;
    case 5: {
      const s = r() < 0.3 ? pick(r, [0, 978307200, 1539720300, MIN_DATE, MAX_DATE]) : MIN_DATE + Math.floor(r() * (MAX_DATE - MIN_DATE));
      return new Date(s * 1000);
    }
    default: {
      const n = r() < 0.5 ? int(r, 10) : pick(r, [45, 46, 47, 48, 51, 57, 100, 255, 700]);
      const b = Buffer.alloc(n);
      for (let i = 0; i < n; i++) b[i] = int(r, 256);
      return b;
    }
  }
}

function randomValue(r: Rng, depth: number): PlistValue {
  const c = depth >= 4 ? 1 : r();
  if (c < 0.2) {
    const d: PlistDict = {};
    for (let n = int(r, 7); n > 0; n--) {
      const key = r() < 0.03 ? '__proto__' : randomString(r);
      Object.defineProperty(d, key, { value: randomValue(r, depth + 1), enumerable: true, writable: true, configurable: true });
    }
    return d;
  }
  if (c < 0.35) return Array.from({ length: int(r, 7) }, () => randomValue(r, depth + 1));
  return randomScalar(r);
}

/** The i-th random plist of a seeded series: mostly dicts, as devices send, sometimes an array or a scalar. */
export function randomPlist(r: Rng): PlistValue {
  const c = r();
  if (c < 0.8) {
    const d: PlistDict = {};
    for (let n = int(r, 9); n > 0; n--) d[randomString(r) || 'k'] = randomValue(r, 1);
    return d;
  }
  return c < 0.9 ? Array.from({ length: int(r, 6) }, () => randomValue(r, 1)) : randomScalar(r);
}
