// Binary plists: type fidelity through our reader and writer, and hostile documents.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildBinaryPlist, buildPlist, parseAnyPlist, parseBinaryPlist, PlistError, Real } from '../../src/plist/index.js';

/** A bplist00 document from raw object bytes, with 1-byte offsets and references. */
function bplist(objects: number[][], top = 0): Buffer {
  const body: number[] = [];
  const offsets: number[] = [];
  for (const o of objects) {
    offsets.push(8 + body.length);
    body.push(...o);
  }
  const trailer = Buffer.alloc(32);
  trailer[6] = 1;
  trailer[7] = 1;
  trailer.writeBigUInt64BE(BigInt(objects.length), 8);
  trailer.writeBigUInt64BE(BigInt(top), 16);
  trailer.writeBigUInt64BE(BigInt(8 + body.length), 24);
  return Buffer.concat([Buffer.from('bplist00'), Buffer.from(body), Buffer.from(offsets), trailer]);
}

function failure(buf: Buffer): PlistError {
  try {
    parseBinaryPlist(buf);
  } catch (e) {
    assert.ok(e instanceof PlistError, `expected PlistError, got ${String(e)}`);
    return e;
  }
  assert.fail('parsed without error');
}

test('binary round trip keeps Real, bigint, Buffer, Date, unicode and empty containers', () => {
  const v = {
    DownloadSize: new Real(12000000000),
    Half: new Real(0.5),
    Count: 12000000000,
    Big: 18446744073709551615n,
    Neg: -9223372036854775808n,
    Small: -1,
    Token: Buffer.from('0011ff', 'hex'),
    When: new Date('2018-10-16T20:05:00Z'),
    Name: 'Jane’s 😀 Mac',
    Flags: [true, false],
    Empty: { A: [], D: {} },
  };
  assert.deepEqual(parseBinaryPlist(buildBinaryPlist(v)), v);
});

test('a dict whose only key is UID stays a dict holding an integer', () => {
  const v = { Users: [{ UID: 501 }] };
  assert.deepEqual(parseBinaryPlist(buildBinaryPlist(v)), v);
});

test('dict values that are undefined or null are skipped; out-of-range integers are refused with a path', () => {
  assert.deepEqual(parseBinaryPlist(buildBinaryPlist({ A: 1, B: undefined, C: null } as never)), { A: 1 });
  assert.throws(() => buildBinaryPlist({ L: [2n ** 64n] }), /cannot build plist at L\[0\]: integer 18446744073709551616 is outside the 64-bit range/);
});

test('large documents build and parse in linear time, with equal strings stored once', () => {
  const v = { items: Array.from({ length: 20_000 }, (_, i) => ({ name: `item${i % 100}`, size: i * 1000, flag: i % 2 === 0 })) };
  const start = performance.now();
  const doc = buildBinaryPlist(v);
  assert.deepEqual(parseBinaryPlist(doc), v);
  assert.ok(performance.now() - start < 10_000, `took ${Math.round(performance.now() - start)} ms`);
  assert.ok(doc.length < 20_000 * 40, `${doc.length} bytes: keys and names are not shared`);
});

test('parseAnyPlist tells binary from XML by the bplist00 magic', () => {
  const v = { A: new Real(1), B: [1, 'two'] };
  assert.deepEqual(parseAnyPlist(buildBinaryPlist(v)), v);
  assert.deepEqual(parseAnyPlist(Buffer.from(buildPlist(v))), v);
});

test('hand-made documents: every integer width and a UTF-16 string', () => {
  const doc = bplist([
    [0xa5, 1, 2, 3, 4, 5],
    [0x10, 0xff],
    [0x13, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe],
    [0x14, ...Array(8).fill(0), ...Array(8).fill(0xff)],
    [0x22, 0x3f, 0x80, 0x00, 0x00],
    [0x62, 0xd8, 0x3d, 0xde, 0x00],
  ]);
  assert.deepEqual(parseBinaryPlist(doc), [255, -2, 18446744073709551615n, new Real(1), '😀']);
});

test('malformed and hostile binary plists throw PlistError with the byte offset', () => {
  const cases: [Buffer, RegExp][] = [
    [Buffer.from('bplist00'), /too short to hold a trailer/],
    [Buffer.from('bplist01' + ' '.repeat(40)), /missing "bplist00" header/],
    [bplist([[0xa1, 0x00]]), /reference cycle/],
    [bplist([[0xa1, 0x07]]), /object reference 7 out of range/],
    [bplist([[0xa2, 0x01]]), /object runs past the object area/],
    [bplist([[0x80, 0x01]]), /UID objects .* not supported/],
    [bplist([[0x00]]), /unsupported object type 0x00/],
    [bplist([[0xd1, 0x01, 0x01], [0x10, 0x01]]), /dictionary key is not a string/],
    [bplist([[0x10, 0x01]], 3), /top object out of range/],
    [bplist([[0x33, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0]]), /date out of range/],
  ];
  for (const [doc, reason] of cases) assert.match(failure(doc).message, /^invalid binary plist at byte \d+: /), assert.match(failure(doc).reason, reason);
});

test('shared references that expand exponentially are refused quickly', () => {
  // Object i is [i+1, i+1]: 2^40 leaves from 42 objects.
  const objects = Array.from({ length: 41 }, (_, i) => [0xa2, i + 1, i + 1]);
  objects.push([0x51, 0x78]);
  const start = performance.now();
  assert.match(failure(bplist(objects)).reason, /expand to too many objects/);
  assert.ok(performance.now() - start < 5000);
});
