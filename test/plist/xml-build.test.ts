// XML building: Apple's layout, the types devices insist on, and values that cannot be written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPlist, parsePlist, PlistBuildError, Real } from '../../src/plist/index.js';

const HEAD =
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n' +
  '<plist version="1.0">\n';

test('writes a full, tab-indented document with each type in its own element', () => {
  const xml = buildPlist({
    S: 'Jane’s <Mac> & co',
    I: 42,
    Big: 2n ** 63n,
    R: new Real(1),
    F: 0.25,
    B: true,
    D: new Date('2018-10-16T20:05:00.987Z'),
    Bytes: Buffer.from('hi'),
    E: [],
    O: {},
    Skipped: undefined,
    AlsoSkipped: null,
    L: [false, new Uint8Array([1, 2, 3])],
  });
  assert.equal(
    xml,
    HEAD +
      '<dict>\n' +
      '\t<key>S</key>\n\t<string>Jane’s &lt;Mac&gt; &amp; co</string>\n' +
      '\t<key>I</key>\n\t<integer>42</integer>\n' +
      '\t<key>Big</key>\n\t<integer>9223372036854775808</integer>\n' +
      '\t<key>R</key>\n\t<real>1</real>\n' +
      '\t<key>F</key>\n\t<real>0.25</real>\n' +
      '\t<key>B</key>\n\t<true/>\n' +
      '\t<key>D</key>\n\t<date>2018-10-16T20:05:00Z</date>\n' +
      '\t<key>Bytes</key>\n\t<data>\n\taGk=\n\t</data>\n' +
      '\t<key>E</key>\n\t<array/>\n' +
      '\t<key>O</key>\n\t<dict/>\n' +
      '\t<key>L</key>\n\t<array>\n\t\t<false/>\n\t\t<data>\n\t\tAQID\n\t\t</data>\n\t</array>\n' +
      '</dict>\n</plist>\n',
  );
});

test('<data> is wrapped like Apple does: 76 columns less 8 per indentation level', () => {
  const bytes = Buffer.alloc(300, 0xab);
  const lines = (xml: string, prefix: string) => xml.split('\n').filter((l) => l.startsWith(prefix) && !l.includes('<'));
  const top = lines(buildPlist(bytes), 'q');
  assert.deepEqual(top.map((l) => l.length), [76, 76, 76, 76, 76, 20]);
  const nested = lines(buildPlist({ A: { B: bytes } }), '\t\tq');
  assert.deepEqual(nested.map((l) => l.length), [62, 62, 62, 62, 62, 62, 42]);
  assert.deepEqual(parsePlist(buildPlist({ A: { B: bytes } })), { A: { B: bytes } });
});

test('a Date is written in UTC with Z and no fractional seconds, whatever the local zone', () => {
  assert.match(buildPlist(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 999))), /<date>2026-01-02T03:04:05Z<\/date>/);
  const y99 = new Date(0);
  y99.setUTCFullYear(99, 0, 1);
  assert.match(buildPlist(y99), /<date>0099-01-01T00:00:00Z<\/date>/);
});

test('reals are written so they read back as the same double, integral ones included', () => {
  const reals = [1, 0.1, -0, 1e21, 5e-324, 1.7976931348623157e308, 12000000000, NaN, Infinity, -Infinity].map((x) => new Real(x));
  const xml = buildPlist(reals);
  assert.match(xml, /<real>1<\/real>\n\t<real>0.1<\/real>\n\t<real>-0<\/real>\n\t<real>1e\+21<\/real>/);
  assert.match(xml, /<real>nan<\/real>\n\t<real>\+infinity<\/real>\n\t<real>-infinity<\/real>/);
  const back = parsePlist(xml) as Real[];
  back.forEach((r, i) => assert.ok(r instanceof Real && Object.is(r.value, reals[i].value), `${reals[i].value}`));
});

test('integers: JS numbers that are integral, bigints, and the 64-bit limits', () => {
  assert.match(buildPlist([1e19, -(2n ** 63n), 2n ** 64n - 1n, -0]), /<integer>10000000000000000000<\/integer>\n\t<integer>-9223372036854775808<\/integer>\n\t<integer>18446744073709551615<\/integer>\n\t<integer>0<\/integer>/);
  assert.throws(() => buildPlist({ N: 2n ** 64n }), /cannot build plist at N: integer 18446744073709551616 is outside the 64-bit range/);
  assert.throws(() => buildPlist({ N: -(2n ** 63n) - 1n }), PlistBuildError);
});

test('strings survive escaping, unicode beyond the BMP, and carriage returns', () => {
  const s = 'a & b < c > d "q" \'a\' ]]> &amp; \r\n x\ry 😀 𝄞 \t';
  const xml = buildPlist({ [s]: s });
  assert.ok(xml.includes('&amp;amp;') && xml.includes('&#13;'));
  assert.deepEqual(parsePlist(xml), { [s]: s });
});

test('values a plist cannot carry are refused with where they are', () => {
  assert.throws(() => buildPlist({ Payload: [{ Name: 'ok' }, { Name: 'bell\u0007' }] }), {
    name: 'PlistBuildError',
    message: 'cannot build plist at Payload[1].Name: string holds U+0007, which XML cannot carry (send bytes as <data>)',
  });
  assert.throws(() => buildPlist({ A: [1, undefined as unknown as number] }), /at A\[1\]: undefined has no plist form/);
  assert.throws(() => buildPlist(null as unknown as string), /cannot build plist: null has no plist form/);
  assert.throws(() => buildPlist({ F: (() => 1) as unknown as string }), /at F: function has no plist form/);
  assert.throws(() => buildPlist({ D: new Date(NaN) }), /at D: date is invalid/);
  assert.throws(() => buildPlist({ U: new Uint16Array(2) as unknown as Uint8Array }), /Uint16Array is not plist data/);
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.throws(() => buildPlist(cyclic as never), /nesting deeper than 512 levels \(a cycle\?\)/);
});

test('a parsed device message builds back to the same document, and Real survives the trip', () => {
  const doc = HEAD + '<dict>\n\t<key>DownloadSize</key>\n\t<real>12000000000</real>\n\t<key>N</key>\n\t<integer>12000000000</integer>\n</dict>\n</plist>\n';
  const v = parsePlist(doc);
  assert.deepEqual(v, { DownloadSize: new Real(12000000000), N: 12000000000 });
  assert.equal(buildPlist(v), doc);
});
